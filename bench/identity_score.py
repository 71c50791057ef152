"""The measures bench/eval_identity.py reports, free of syncd and of any database.

Pairwise scores (the usual measure of record linkage, as in splink and
recordlinkage): over a universe of items (person addresses, or company domains),
a *true pair* is two items of one true entity and a *predicted pair* two items in
one predicted cluster. TP = pairs that are both; precision = TP / predicted pairs,
recall = TP / true pairs, F1 = 2 TP / (predicted + true). An item the prediction
does not know (an address that became no contact) is a cluster of its own. A ratio
whose denominator is zero is ``None`` ("n/a"): a resolver that merges nothing has
no precision to speak of, and its recall is 0.

Pairs are counted from cluster sizes (C(n, 2) per cluster and per cluster x entity
cell), so the cost is linear in the items, whatever the clusters look like. The
breakdowns (recall by kind of perturbation, false pairs by cause) enumerate pairs
within a true entity, which are few, and within a predicted cluster only up to a
bound.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

KIND_ORDER = ("job_change", "personal", "assistant", "sister_domain", "subdomain", "nickname",
              "alias", "gmail_variant", "company_domains")
"""When two addresses of one person differ in several ways, the pair counts under the
first of these (the hardest evidence to find); two primary work addresses never
occur (each job has one)."""
ENUMERATE_LIMIT = 400
"""Entities per predicted cluster beyond which false pairs are not broken down."""


@dataclass(frozen=True)
class PairScore:
    """Pairwise counts and the ratios drawn from them."""

    tp: int
    predicted: int
    true: int

    @property
    def precision(self) -> float | None:
        return self.tp / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.true if self.true else None

    @property
    def f1(self) -> float | None:
        total = self.predicted + self.true
        return 2 * self.tp / total if total else None

    def as_dict(self) -> dict[str, Any]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "tp": self.tp, "predicted_pairs": self.predicted, "true_pairs": self.true}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pair_score(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable],
               universe: Iterable[str]) -> PairScore:
    """Pairwise counts of ``predicted`` (item -> cluster) against ``truth`` (item -> entity).

    Only items of ``universe`` count; an item without a predicted cluster is alone.
    """
    clusters: Counter[Hashable] = Counter()
    entities: Counter[Hashable] = Counter()
    cells: Counter[tuple[Hashable, Hashable]] = Counter()
    for item in universe:
        entities[truth[item]] += 1
        if item in predicted:
            clusters[predicted[item]] += 1
            cells[predicted[item], truth[item]] += 1
    return PairScore(tp=sum(_pairs(n) for n in cells.values()),
                     predicted=sum(_pairs(n) for n in clusters.values()),
                     true=sum(_pairs(n) for n in entities.values()))


def pair_kind(tags_a: Iterable[str], tags_b: Iterable[str]) -> str:
    """The perturbation that separates two addresses of one person."""
    a, b = set(tags_a), set(tags_b)
    differing = (a ^ b) or (a | b)
    return next((kind for kind in KIND_ORDER if kind in differing), "other")


@dataclass
class KindRecall:
    """True pairs found, by the kind of perturbation that separates them."""

    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {kind: {"found": self.found[kind], "true_pairs": self.total[kind],
                       "recall": self.found[kind] / self.total[kind]}
                for kind in sorted(self.total)}


def recall_by_kind(predicted: Mapping[str, Hashable], groups: Mapping[str, list[str]],
                   tags: Mapping[str, Iterable[str]]) -> KindRecall:
    """For each true entity's items (``groups``), which of their pairs share a cluster."""
    result = KindRecall()
    for items in groups.values():
        for a, b in combinations(sorted(items), 2):
            kind = pair_kind(tags[a], tags[b])
            result.total[kind] += 1
            if a in predicted and b in predicted and predicted[a] == predicted[b]:
                result.found[kind] += 1
    return result


def false_pairs_by_cause(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable],
                         universe: Iterable[str],
                         cause: Callable[[Hashable, Hashable], str]) -> Counter[str]:
    """Predicted pairs of different entities, counted by ``cause(entity_a, entity_b)``."""
    members: dict[Hashable, Counter[Hashable]] = defaultdict(Counter)
    for item in universe:
        if item in predicted:
            members[predicted[item]][truth[item]] += 1
    causes: Counter[str] = Counter()
    for counts in members.values():
        if len(counts) > ENUMERATE_LIMIT:
            total = sum(counts.values())
            causes["not broken down"] += _pairs(total) - sum(_pairs(n) for n in counts.values())
            continue
        for (a, n_a), (b, n_b) in combinations(sorted(counts.items(), key=str), 2):
            causes[cause(a, b)] += n_a * n_b
    return causes


def over_merged(predicted: Mapping[str, Hashable], truth: Mapping[str, Hashable],
                universe: Iterable[str]) -> tuple[int, int]:
    """(clusters holding items of more than one entity, clusters holding any item)."""
    entities: dict[Hashable, set[Hashable]] = defaultdict(set)
    for item in universe:
        if item in predicted:
            entities[predicted[item]].add(truth[item])
    return sum(len(e) > 1 for e in entities.values()), len(entities)


def resolve_roots(parents: Mapping[int, int | None]) -> dict[int, int]:
    """Record id -> the id it was finally merged into (itself when never merged).

    A chain is followed to its end; a cycle or a dangling id stops where it is seen.
    """
    roots: dict[int, int] = {}
    for start in parents:
        node, path = start, [start]
        while node in parents and parents[node] is not None and node not in roots:
            node = parents[node]  # type: ignore[assignment]
            if node in path:
                break
            path.append(node)
        root = roots.get(node, node)
        for item in path:
            if item in parents:
                roots[item] = root
    return roots
