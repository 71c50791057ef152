"""Score split_reply + find_signature + parse_signature against the labelled corpora.

Usage::

    python bench/eval_extraction.py [--corpus /work/shared/corpus] [--show N] [FOLDER ...]

For every case the body is decoded the way the pipeline sees it (the text/plain part,
else a text rendering of the HTML part), run through the three functions, and compared
with the labels the case carries (``labels_available`` / ``fields_labeled``; the
signature corpus labels everything). Reply text is the new text up to the signature,
since the labels exclude the signature block.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.rfc822 import parse_message
from enrichment.mime import body_text
from enrichment.quotes import Reply, split_reply
from enrichment.signature import Fields, Signature, find_signature, parse_signature

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FOLDERS = ("signatures/dev", "public/enron-dev", "public/asf-dev", "public/forge")
FIELDS = ("full_name", "job_title", "company", "phones", "emails", "website", "linkedin")
ALL_LABELS = ("quote", "signature", "fields")
_WS = re.compile(r"\s+")
_RULE_ONLY = re.compile(r"^[\W_]+$")


def norm(text: str | None) -> str:
    """Whitespace-insensitive form used for every exact-match comparison."""
    return _WS.sub(" ", text or "").strip()


def reply_body(new_text: str, sig: Signature | None) -> str:
    """The new text without the signature block and the delimiter line above it."""
    lines = (new_text[: sig.start] if sig else new_text).rstrip().split("\n")
    while lines and (not lines[-1].strip() or (sig and _RULE_ONLY.match(lines[-1].strip()))):
        lines.pop()
    return "\n".join(lines)


def sig_lines(text: str | None) -> list[str]:
    return [norm(line) for line in (text or "").split("\n") if line.strip()]


@dataclass
class Score:
    """Counts for one corpus folder."""

    cases: int = 0
    reply_total: int = 0
    reply_ok: int = 0
    sig_total: int = 0
    sig_ok: int = 0
    sig_null_ok: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    field_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    field_ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    signed_total: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    signed_ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    failures: list[str] = field(default_factory=list)


def expected_field(labels: dict[str, Any], name: str) -> object:
    value = labels.get(name)
    if name == "phones":
        return {p["number_e164"] for p in value or [] if isinstance(p, dict) and p["number_e164"]}
    if name == "emails":
        return {str(e).lower() for e in value or [] if isinstance(e, str)}
    return norm(value) if isinstance(value, str) else None


def predicted_field(fields: Fields, name: str) -> object:
    if name == "phones":
        return {p.e164 for p in fields.phones}
    if name == "emails":
        return set(fields.emails)
    value = getattr(fields, name)
    return norm(value) if value else None


def line_counts(pred: str | None, gold: str | None) -> tuple[int, int, int]:
    predicted, expected = sig_lines(pred), sig_lines(gold)
    common = 0
    pool = list(expected)
    for line in predicted:
        if line in pool:
            pool.remove(line)
            common += 1
    return common, len(predicted) - common, len(expected) - common


@dataclass(frozen=True)
class Outcome:
    """What the pipeline made of one message."""

    reply: Reply
    sig: Signature | None
    fields: Fields


def run_pipeline(text: str, display: str, address: str, seconds: dict[str, float]) -> Outcome:
    """The three calls the daemon makes per message, each timed into ``seconds``."""
    t0 = time.perf_counter()
    reply = split_reply(text)
    t1 = time.perf_counter()
    sig = find_signature(reply.new_text, display, address)
    t2 = time.perf_counter()
    fields = parse_signature(sig.text if sig else "", display, address)
    seconds["split_reply"] += t1 - t0
    seconds["find_signature"] += t2 - t1
    seconds["parse_signature"] += time.perf_counter() - t2
    return Outcome(reply, sig, fields)


def score_case(eml: Path, score: Score) -> None:
    labels = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
    msg = parse_message(eml.read_bytes(), external_id=eml.name)  # syncd's own decoding
    display = msg.sender.name if msg.sender else ""
    address = msg.sender.email if msg.sender else ""
    text = body_text(msg.text, msg.html)
    # The first run loads phonenumbers metadata for the region; time the second.
    run_pipeline(text, display, address, defaultdict(float))
    out = run_pipeline(text, display, address, score.seconds)
    sig_text = out.sig.text if out.sig else None
    available = labels.get("labels_available", ALL_LABELS)
    score.cases += 1
    problems: list[str] = []
    if "quote" in available:
        problems += score_reply(score, reply_body(out.reply.new_text, out.sig), labels)
    if "signature" in available:
        problems += score_signature(score, sig_text, labels["signature_text"])
    if "fields" in available and labels.get("fields"):
        problems += score_fields(score, out.fields, labels)
    if problems:
        score.failures.append(f"{eml}: " + " | ".join(problems))


def score_reply(score: Score, got: str, labels: dict[str, Any]) -> list[str]:
    score.reply_total += 1
    if norm(got) == norm(labels["body_text_reply_only"]):
        score.reply_ok += 1
        return []
    return [f"reply: got ...{norm(got)[-80:]!r}"]


def score_signature(score: Score, got: str | None, gold: str | None) -> list[str]:
    score.sig_total += 1
    score.sig_ok += norm(got) == norm(gold)
    score.sig_null_ok += (got is None) == (gold is None)
    tp, fp, fn = line_counts(got, gold)
    score.tp, score.fp, score.fn = score.tp + tp, score.fp + fp, score.fn + fn
    return [] if norm(got) == norm(gold) else [f"sig: got {got!r} want {gold!r}"]


def score_fields(score: Score, fields: Fields, labels: dict[str, Any]) -> list[str]:
    """Per-field exact match; also tallied separately over cases with a gold signature."""
    problems: list[str] = []
    signed = labels.get("signature_text") is not None
    for name in labels.get("fields_labeled", FIELDS):
        if name not in FIELDS:
            continue
        want, got = expected_field(labels["fields"], name), predicted_field(fields, name)
        ok = want == got
        score.field_total[name] += 1
        score.field_ok[name] += ok
        score.signed_total[name] += signed
        score.signed_ok[name] += signed and ok
        if not ok:
            problems.append(f"{name}: got {got!r} want {want!r}")
    return problems


def pct(ok: int, total: int) -> str:
    return f"{100 * ok / total:5.1f}% ({ok}/{total})" if total else "   n/a"


def report(folder: str, score: Score, show: int) -> None:
    print(f"\n== {folder}: {score.cases} cases")
    print(f"  reply text exact      {pct(score.reply_ok, score.reply_total)}")
    print(f"  signature exact       {pct(score.sig_ok, score.sig_total)}")
    print(f"  signature null/non    {pct(score.sig_null_ok, score.sig_total)}")
    precision = score.tp / (score.tp + score.fp) if score.tp + score.fp else 0.0
    recall = score.tp / (score.tp + score.fn) if score.tp + score.fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"  signature line F1     {100 * f1:5.1f}  (P {100 * precision:.1f}, R {100 * recall:.1f})"
    )
    for name in FIELDS:
        if score.field_total[name]:
            every = pct(score.field_ok[name], score.field_total[name])
            signed = pct(score.signed_ok[name], score.signed_total[name])
            print(f"  field {name:<15} {every}   with gold signature: {signed}")
    per_msg = {k: 1e6 * v / max(score.cases, 1) for k, v in score.seconds.items()}
    print("  mean µs/message (warm) " + ", ".join(f"{k} {v:.0f}" for k, v in per_msg.items()))
    for line in score.failures[:show]:
        print("   -", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="*", default=list(FOLDERS))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show", type=int, default=0, help="print up to N failing cases")
    args = parser.parse_args()
    for folder in args.folders:
        score = Score()
        for eml in sorted((args.corpus / folder).glob("*.eml")):
            score_case(eml, score)
        report(folder, score, args.show)


if __name__ == "__main__":
    main()
