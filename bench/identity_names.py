"""Names for bench/gen_identity.py, drawn as often as real people bear them.

Identity resolution lives or dies on how often two people share a name, so the
benchmark must get that rate right. A few dozen first and last names per language
(what bench/gen_mailbox.py needs for readable sample mail) make almost every other
person a namesake of someone: with 3,000 people, 45% shared a full name. Real
populations are far more varied; the name lists of Faker (US census frequencies for
English names, long unweighted lists for German and French, Japanese
names added to our own) bring the share of
people with an accidental namesake to a few percent. The namesakes the benchmark
*plants* on purpose (people with another company's person's name) are drawn on top
of this, in identity_world.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from functools import cache
from itertools import accumulate
from typing import Any

import gen_mailbox as gm
from faker.providers.person import de_DE, en_US, fr_FR, ja_JP


class Pool:
    """Names with cumulative weights, for ``random.choices`` without re-summing."""

    def __init__(self, weighted: Mapping[str, float]) -> None:
        self.names = list(weighted)
        self.cumulative = list(accumulate(weighted.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


def _even(names: Iterable[str]) -> dict[str, float]:
    return dict.fromkeys(names, 1.0)


def _halves(male: Mapping[str, float], female: Mapping[str, float]) -> dict[str, float]:
    """Men's and women's names each half the population (a name on both lists adds up)."""
    merged: dict[str, float] = {}
    for names in (male, female):
        total = sum(names.values())
        for name, weight in names.items():
            merged[name] = merged.get(name, 0.0) + weight / total / 2
    return merged


@cache
def pools(group: str) -> tuple[Pool, Pool]:
    """(first names, last names) of a name group."""
    if group == "en":
        us = en_US.Provider
        return (Pool(_halves(us.first_names_male, us.first_names_female)),
                Pool(dict(us.last_names)))
    if group in ("de", "fr"):
        local: Any = {"de": de_DE.Provider, "fr": fr_FR.Provider}[group]
        return (Pool(_halves(_even(local.first_names_male), _even(local.first_names_female))),
                Pool(_even(local.last_names)))
    firsts, lasts = gm.NAME_POOLS[group]  # Japanese: romanised, with Faker's to widen them
    japanese = ja_JP.Provider
    return (Pool(_even([r for *_, r in [*firsts, *japanese.first_name_pairs]])),
            Pool(_even([r for *_, r in [*lasts, *japanese.last_name_pairs]])))


def draw(rng: random.Random, group: str) -> tuple[str, str]:
    """A (first, last) name of the group, as often as people bear it."""
    first, last = pools(group)
    return first.draw(rng), last.draw(rng)
