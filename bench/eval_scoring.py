"""The measures bench/eval_signatures.py reports, defined once and free of syncd.

Why a module of its own: every parser, syncd or not, is scored by these functions
and nothing else, so a number in one column means what it means in the next.

Metrics (all micro-averaged over the cases of one folder):

- Lines. A text's *content lines* are its lines (split at LF after CRLF -> LF)
  after Unicode NFKC, with every whitespace run turned into one space and the ends
  stripped, keeping only lines that contain a letter or a digit: blank lines and
  pure rules or delimiters (``--``, ``____``, ``━━━``) are not content, and tools
  differ on whether they return them. Predicted and labelled content lines of a case
  are matched as multisets: TP = size of the multiset intersection, FP = predicted
  - TP, FN = labelled - TP; P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2PR/(P+R), with
  TP/FP/FN summed over the folder before dividing.
- *reply line F1*: the reply (new text without signature, ``body_text_reply_only``)
  on cases labelled ``quote``. *reply exact*: the share of those cases whose
  content lines, joined by one space, equal the label's (so line breaks, blank
  lines and rules never decide it).
- *new-text line F1 (split only)*: the text a parser keeps as the author's before
  removing any signature, against reply + signature + text after the signature
  (labelled ``quote`` cases); *new-text exact (split only)*, the share of cases
  where those agree exactly, is the "exact split" of the issue's targets. It
  measures the quote split alone, so parsers without a signature step compare
  fairly; in the signature corpus footers and disclaimers
  are in neither label, so every parser that keeps them loses precision alike.
- *signature line F1* and *signature exact* likewise against ``signature_text`` on
  cases labelled ``signature`` (a null label has no lines; exact then needs no
  signature found). *signature found/none*: the share of cases where a signature
  was found exactly when one is labelled.
- Fields, on cases labelled ``fields``: each field is a set of normalised values
  per case (a scalar is a set of one, null the empty set), matched like lines
  (TP = common values, so a wrong scalar is one FP and one FN). Normalised: text
  fields (names, title, company, department) by NFKC, whitespace runs to one space,
  casefold; ``address`` also with ``,`` ``;`` ``|`` ``·`` ``•`` and line breaks as
  spaces; ``emails`` casefolded; ``website``, ``linkedin``, ``twitter`` casefolded
  without ``http(s)://`` and a trailing ``/`` (``www.`` counts); ``phones`` as
  (E.164, kind) pairs, and again as E.164 numbers alone (``phones_e164``);
  labelled phones whose ``number_e164`` is null (not a valid number) are left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_LABELS = ("quote", "signature", "fields")
FIELDS = ("full_name", "given_name", "family_name", "job_title", "company", "department",
          "phones", "phones_e164", "emails", "website", "linkedin", "twitter", "address")
LINE_PARTS = ("split", "reply", "signature")
_SPACE = re.compile(r"\s+")
_ADDRESS_SEPARATORS = re.compile(r"[,;|·•\n]")
_SCHEME = re.compile(r"^https?://")


# ------------------------------------------------------------------ normalisation


def _flat(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def content_lines(text: str | None) -> list[str]:
    """The lines that count (see the module docstring), normalised."""
    lines = (_flat(line) for line in (text or "").replace("\r\n", "\n").split("\n"))
    return [line for line in lines if any(ch.isalnum() for ch in line)]


def field_values(name: str, value: Any) -> set[str]:
    """One field of one case as a set of normalised values (see the module docstring)."""
    if name in {"phones", "phones_e164"}:
        pairs = [(p.get("number_e164") or p.get("e164"), p.get("kind")) for p in value or []]
        return {f"{num} {kind}" if name == "phones" else str(num) for num, kind in pairs if num}
    if name == "emails":
        return {_flat(str(e)).casefold() for e in value or []}
    if not isinstance(value, str) or not value.strip():
        return set()
    if name in {"website", "linkedin", "twitter"}:
        return {_SCHEME.sub("", _flat(value).casefold()).rstrip("/")}
    if name == "address":
        return {_flat(_ADDRESS_SEPARATORS.sub(" ", value)).casefold()}
    return {_flat(value).casefold()}


# ------------------------------------------------------------------ labels


def has(labels: dict[str, Any], label: str) -> bool:
    """Whether a case declares ``label`` (all three when it declares nothing)."""
    return label in labels.get("labels_available", ALL_LABELS)


def labelled_fields(labels: dict[str, Any]) -> list[str]:
    """The fields a case labels: ``fields_labeled``, else every key of ``fields``."""
    names = list(labels.get("fields_labeled") or (labels.get("fields") or {}))
    return [*names, "phones_e164"] if "phones" in names else names


def scored_counts(all_labels: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Row key -> how many cases that row scores."""
    counts: Counter[str] = Counter()
    for labels in all_labels:
        if has(labels, "quote"):
            counts.update(["split", "split_exact", "reply", "reply_exact"])
        if has(labels, "signature"):
            counts.update(["signature", "signature_exact", "signature_presence"])
        if has(labels, "fields") and labels.get("fields"):
            counts.update(f"field:{n}" for n in labelled_fields(labels))
    return dict(counts)


# ------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class Prediction:
    """What one parser made of one case; a part it does not do is simply not scored."""

    new_text: str = ""
    reply: str = ""
    signature: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Counts:
    """TP/FP/FN of a multiset match, summed over cases."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, got: Iterable[str], want: Iterable[str]) -> Counts:
        """Add one case; return that case's own counts."""
        predicted, expected = Counter(got), Counter(want)
        tp = sum((predicted & expected).values())
        case = Counts(tp, sum(predicted.values()) - tp, sum(expected.values()) - tp)
        self.tp, self.fp, self.fn = self.tp + case.tp, self.fp + case.fp, self.fn + case.fn
        return case

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if not self.tp + self.fp + self.fn:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass
class Rate:
    ok: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.ok, self.total = self.ok + ok, self.total + 1

    @property
    def value(self) -> float | None:
        return self.ok / self.total if self.total else None


@dataclass
class Tally:
    """One parser's scores on one folder, and the failed cases for ``--show``."""

    lines: dict[str, Counts] = field(default_factory=lambda: {p: Counts() for p in LINE_PARTS})
    exact: dict[str, Rate] = field(default_factory=lambda: {
        "split": Rate(), "reply": Rate(), "signature": Rate(), "signature_presence": Rate()})
    fields: dict[str, Counts] = field(default_factory=dict)
    failures: dict[str, list[tuple[float, str]]] = field(default_factory=lambda: {
        "split": [], "reply": [], "signature": [], "fields": []})


def _gold_new_text(labels: dict[str, Any]) -> str:
    keys = ("body_text_reply_only", "signature_text", "text_after_signature")
    return "\n".join(labels.get(key) or "" for key in keys)


def _lines_part(tally: Tally, part: str, got: str | None, want: str | None,
                case_id: str) -> None:
    counts = tally.lines[part].add(content_lines(got), content_lines(want))
    exact = " ".join(content_lines(got)) == " ".join(content_lines(want))
    tally.exact[part].add(exact)
    if not exact:
        score = counts.f1 if counts.f1 is not None else 1.0
        tally.failures[part].append((score, f"{case_id} line F1 {score:.2f}\n"
                                     f"      got:  {_show(got)}\n      want: {_show(want)}"))


def _show(text: str | None, width: int = 300) -> str:
    if text is None:
        return "None"
    flat = " ⏎ ".join(content_lines(text))
    return repr(flat if len(flat) <= width else flat[: width // 2] + " … " + flat[-width // 2:])


def score_case(tally: Tally, parts: frozenset[str], got: Prediction, labels: dict[str, Any],
               case_id: str) -> None:
    """Add one parser's answer on one case, on the parts it does and the case labels."""
    if has(labels, "quote"):
        if "new_text" in parts:
            _lines_part(tally, "split", got.new_text, _gold_new_text(labels), case_id)
        if "reply" in parts:
            _lines_part(tally, "reply", got.reply, labels["body_text_reply_only"], case_id)
    if has(labels, "signature") and "signature" in parts:
        _lines_part(tally, "signature", got.signature, labels["signature_text"], case_id)
        found = bool(content_lines(got.signature))
        tally.exact["signature_presence"].add(found == (labels["signature_text"] is not None))
    if has(labels, "fields") and "fields" in parts and labels.get("fields"):
        _score_fields(tally, got.fields, labels, case_id)


def _score_fields(tally: Tally, fields: dict[str, Any], labels: dict[str, Any],
                  case_id: str) -> None:
    gold = {**labels["fields"], "phones_e164": labels["fields"].get("phones")}
    fields = {**fields, "phones_e164": fields.get("phones")}
    wrong = []
    for name in labelled_fields(labels):
        want, got = field_values(name, gold.get(name)), field_values(name, fields.get(name))
        tally.fields.setdefault(name, Counts()).add(got, want)
        if want != got and name != "phones_e164":
            wrong.append(f"{name}: got {sorted(got)} want {sorted(want)}")
    if wrong:
        tally.failures["fields"].append((-len(wrong), f"{case_id}\n      " +
                                         "\n      ".join(wrong)))


# ------------------------------------------------------------------ rows


ROWS = (("split", "new-text line F1 (split only)"),
        ("split_exact", "new-text exact (split only)"), ("reply", "reply line F1"),
        ("reply_exact", "reply exact"), ("signature", "signature line F1"),
        ("signature_exact", "signature exact"), ("signature_presence", "signature found/none"))


def row_values(tally: Tally, parts: frozenset[str]) -> dict[str, float | str | None]:
    """Row key -> value; "—" where the parser does not do that part."""
    def done(part: str) -> bool:
        return part in parts

    values: dict[str, float | str | None] = {
        "split": tally.lines["split"].f1 if done("new_text") else "—",
        "split_exact": tally.exact["split"].value if done("new_text") else "—",
        "reply": tally.lines["reply"].f1 if done("reply") else "—",
        "reply_exact": tally.exact["reply"].value if done("reply") else "—",
        "signature": tally.lines["signature"].f1 if done("signature") else "—",
        "signature_exact": tally.exact["signature"].value if done("signature") else "—",
        "signature_presence": tally.exact["signature_presence"].value
        if done("signature") else "—"}
    for name in FIELDS:
        counts = tally.fields.get(name)
        values[f"field:{name}"] = (counts.f1 if counts else None) if done("fields") else "—"
    return values
