"""How well syncd reads replies, signatures and contact fields, beside open-source parsers.

Usage::

    bash bench/others/setup.sh          # once: the other parsers' own venv
    python bench/eval_signatures.py [FOLDER ...] [--corpus DIR] [--show N] [--json]
                                    [--passes N] [--no-others] [--others-venv DIR]

Why: the extraction targets (issue 3) are stated in exactly these measures, on
these folders, against these parsers; a number is only comparable when every tool
reads the same text and is scored by the same rules, so both live here.

FOLDERs are relative to the corpus (default ``/work/shared/corpus``; read its two
READMEs): ``signatures/dev public/enron-dev public/asf-dev public/forge`` by default.
Every case is ``NNN.eml`` + ``NNN.json``; a case is scored only on the labels it
declares in ``labels_available`` (all three when absent) and, for fields, only on
the fields it lists in ``fields_labeled`` (every key of ``fields`` when absent).

What syncd is asked. Exactly what ``syncd parse --json`` composes
(``syncd/cli/parse.py``): ``connectors.rfc822.parse_message`` on the bytes, then
``describe(plan_message(msg, ctx), read_body(msg), ctx)`` with the default configuration
at ``visibility: full``; ``read_body`` is ``enrichment.mime.body_text`` ->
``enrichment.quotes.split_reply`` -> ``enrichment.signature.find_signature`` ->
``parse_signature``. Its reply is ``reply_text`` up to where ``signature`` starts.
Its fields are ``fields``; given/family names, when ``fields`` has none, are
``enrichment.people.split_name`` of the full name, as the store derives them. When
no signature was found ``fields`` is null; the signature corpus then still labels
the name from the From header, and the name scored is the one the pipeline stores
from it (the sender's ``display_name`` observation in the plan). The public sets
label names only inside the author's signature (their README), so there no such
fallback applies. Fields that ``syncd parse --json`` does not print yet are
scored as never predicted and starred in the tables.

The public corpora label two things differently from the signature corpus (syncd's
rule): Quagga reads a bare closing name as reply text and knows only "Phone" and "Fax"
numbers, forge puts the closing phrase in the signature. The column ``syncd (corpus
convention)`` re-cuts syncd's answers by each corpus's own rule (``corpus_convention``);
both columns are printed, neither replaces the other.

What the other parsers are asked (section "Open-source parsers" below): each reads
the same decoded text (``body_text``'s output) and the From header, in its own venv.

Metrics, defined precisely in bench/eval_scoring.py: line P/R/F1 over content lines
(whitespace-normalised, blank and rule-only lines ignored, multiset-matched,
micro-averaged per folder) for the reply, the signature and the new text before
signature removal; exact match of reply and signature after whitespace
normalisation; per-field P/R/F1 over normalised value sets. ``--show N`` prints
syncd's N worst cases per part: lowest line F1 first, fields by wrong-field count.

Speed: messages per second on one core for MIME + quotes + signature + fields, i.e.
``parse_message`` then ``read_body`` on every selected case's bytes, in this one
process; one warm-up pass, then ``--passes`` timed passes (median and best printed;
``read_body``'s cache of parsed signatures is cleared before each pass), and a
per-stage breakdown from separate passes calling the stages one by one. Time is the
process's CPU time (``time.process_time``), not the wall clock: on a machine shared
with other work the wall clock also counts the time the process waited for a core,
which says nothing about the code and made runs differ by a third.

Open-source parsers (``bench/others/``, see adapter.py there for the protocol): talon
1.4.4 (``quotations.extract_from_plain`` for the reply; ``signature.extract``, its
machine-learned classifier, and ``signature.bruteforce.extract_signature`` for the
signature), quotequail 0.5.4 (``unwrap``, else ``quote``; no signature step, so its
reply keeps the signature), mail-parser-reply 1.36 and email-reply-parser 0.5.12.
talon's pickled classifier does not load on current scikit-learn, and its code
imports ``sklearn.externals.joblib``, which is gone; run_talon.py aliases that module
and retrains the classifier with talon's own ``train()`` on talon's own shipped
feature data (``LinearSVC(C=10)``, 2,719 rows; ``random_state=0`` for repeatable
runs) at start-up, as its docstring says; the output repeats that note. None of
them extracts contact fields ("—" in the tables).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

# bench/ (sys.path[0] when run as a script) holds scripts named like packages
# (bench/google.py shadows Google's namespace package wherever it sits on the path),
# so it is on the path only while eval_scoring is imported.
if str(Path(__file__).resolve().parent) in sys.path:
    sys.path.remove(str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors import rfc822
from connectors.base import RawMessage
from connectors.rfc822 import parse_message
from enrichment import line_cache
from enrichment.mime import body_text
from enrichment.people import clean_display_name, split_name
from enrichment.quotes import split_reply
from enrichment.signature import find_signature, parse_signature
from enrichment.signature_lines import is_signoff
from syncd import pipeline
from syncd.cli.parse import describe
from syncd.config import config_model
from syncd.lists import load_lists
from syncd.pipeline import Context, plan_message, read_body

sys.path.append(str(Path(__file__).resolve().parent))
from eval_scoring import (
    FIELDS,
    ROWS,
    Prediction,
    Tally,
    content_lines,
    row_values,
    score_case,
    scored_counts,
)

BENCH = Path(__file__).resolve().parent
sys.path.remove(str(BENCH))
DEFAULT_CORPUS = BENCH.parents[1] / "shared" / "corpus"
DEFAULT_VENV = BENCH / ".venv-others"
FOLDERS = ("signatures/dev", "public/enron-dev", "public/asf-dev", "public/forge")
ADAPTERS = ("run_talon.py", "run_quotequail.py", "run_mail_parser_reply.py",
            "run_email_reply_parser.py")
SYNCD = "syncd"


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class Case:
    """One labelled message, decoded once the way syncd decodes it."""

    folder: str
    path: Path
    labels: dict[str, Any]
    raw: bytes
    message: RawMessage

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.path.stem}"

    @cached_property
    def text(self) -> str:
        return body_text(self.message.text, self.message.html)

    @property
    def sender(self) -> str:
        sender = self.message.sender
        return f"{sender.name} <{sender.email}>" if sender and sender.name else (
            sender.email if sender else "")


def load_cases(corpus: Path, folder: str) -> list[Case]:
    cases = []
    for eml in sorted((corpus / folder).glob("*.eml")):
        raw = eml.read_bytes()
        labels = json.loads(eml.with_suffix(".json").read_text(encoding="utf-8"))
        cases.append(Case(folder, eml, labels, raw, parse_message(raw, external_id=eml.name)))
    return cases


# ------------------------------------------------------------------ predictions


@dataclass
class Column:
    """One parser's answers over all cases, and what it says about itself."""

    name: str
    parts: frozenset[str]
    answers: dict[str, Prediction]
    notes: list[str] = field(default_factory=list)
    not_produced: frozenset[str] = frozenset()


def default_context() -> Context:
    """``syncd parse``'s context without a config file: defaults, ``visibility: full``."""
    config = config_model()()
    return Context("bench", frozenset(), frozenset(),
                   config.capture.model_copy(update={"visibility": "full"}),
                   load_lists(config.lists))


def syncd_predict(case: Case, ctx: Context, produced: set[str]) -> Prediction:
    """``syncd parse --json``'s answer; adds the field names it printed to ``produced``."""
    plan = plan_message(case.message, ctx)
    report = describe(plan, read_body(case.message), ctx)
    new_text: str = report["reply_text"] or ""
    signature: str | None = report["signature"]
    reply = new_text[: new_text.rfind(signature)] if signature else new_text
    fields = dict(report["fields"] or {})
    produced.update(fields)
    if report["fields"] is None and "fields_labeled" not in case.labels:
        # The signature corpus names the sender from the From header when unsigned:
        # score the name the pipeline stores from it.
        fields["full_name"] = next((f.value for f in plan.facts if f.field == "full_name"
                                    and f.method == "display_name" and f.subject == "contact"
                                    and plan.participants and f.email ==
                                    plan.participants[0].email), None)
    if "given_name" not in fields:
        full = fields.get("full_name")
        fields["given_name"], fields["family_name"] = split_name(full) if full else (None, None)
    return Prediction(new_text, reply, signature, fields)


_CONTACT_FIELDS = ("job_title", "company", "department", "phones", "emails", "website",
                   "linkedin", "twitter", "address")


def corpus_convention(column: Column, cases: list[Case]) -> Column:
    """syncd's answers re-cut by each public corpus's own conventions, where they differ
    from the signature corpus's (syncd's rule); the text syncd found is never changed.

    - Quagga (Enron, ASF) labels a bare closing name ("Thanks,\nKate") as reply text
      (Body/Outro), and its phones only as "Phone" or "Fax": a signature that is one
      line with no contact field moves into the reply (and yields no fields), and every
      kind but fax is scored as work.
    - forge puts the whole closing in the signature ("Regards,\nBert"): a closing
      phrase ending syncd's reply right above its signature moves into the signature.
    - The signature corpus's convention is syncd's: nothing changes.
    """
    source = {case.id: str(case.labels.get("source", "")) for case in cases}
    answers = {case_id: _recut(got, source.get(case_id, ""))
               for case_id, got in column.answers.items()}
    return Column(f"{SYNCD} (corpus convention)", column.parts, answers,
                  ["Quagga: a one-line signature without contact fields scored as reply "
                   "text, phone kinds other than fax as work; forge: the closing phrase "
                   "above the signature scored as signature"])


def _recut(got: Prediction, origin: str) -> Prediction:
    if origin.startswith("quagga-"):
        return _as_quagga(got)
    return _as_forge(got) if origin.startswith("forge/") else got


def _as_quagga(got: Prediction) -> Prediction:
    lines = content_lines(got.signature)
    if len(lines) == 1 and not any(got.fields.get(f) for f in _CONTACT_FIELDS):
        return replace(got, reply=f"{got.reply}\n{got.signature}", signature=None, fields={})
    phones = [dict(p, kind=p.get("kind") if p.get("kind") == "fax" else "work")
              for p in got.fields.get("phones") or []]
    return replace(got, fields=dict(got.fields, phones=phones)) if phones else got


def _as_forge(got: Prediction) -> Prediction:
    reply = got.reply.rstrip()
    head, _, last = reply.rpartition("\n")
    if not got.signature or not is_signoff(last.strip()):
        return got
    return replace(got, reply=head, signature=f"{last.strip()}\n{got.signature}")


def syncd_column(cases: list[Case]) -> Column:
    ctx = default_context()
    produced = {"given_name", "family_name", "phones_e164"}  # derived when not printed
    answers = {case.id: syncd_predict(case, ctx, produced) for case in cases}
    missing = frozenset(name for name in FIELDS if name not in produced)
    notes = [f"fields `syncd parse --json` does not print (scored as never predicted, "
             f"starred): {', '.join(sorted(missing))}"] if missing else []
    return Column(SYNCD, frozenset({"new_text", "reply", "signature", "fields"}), answers,
                  notes, missing)


def other_columns(cases: list[Case], venv: Path) -> tuple[list[Column], list[str]]:
    """Run each adapter in the other parsers' venv on every case (one process each)."""
    python = venv / "bin" / "python"
    if not python.exists():
        return [], [f"open-source parsers not run: {venv} missing (bash bench/others/setup.sh)"]
    payload = "".join(json.dumps({"id": c.id, "text": c.text, "sender": c.sender}) + "\n"
                      for c in cases)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PYTHONHASHSEED"] = "0"  # talon's sender-name feature depends on set order
    columns: list[Column] = []
    problems: list[str] = []
    for script in ADAPTERS:
        done = subprocess.run([str(python), str(BENCH / "others" / script)], input=payload,
                              capture_output=True, text=True, encoding="utf-8", env=env,
                              timeout=3600, check=False)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
            problems.append(f"{script} failed (exit {done.returncode}): {tail[0]}")
            continue
        columns += _columns_from(json.loads(done.stdout), done.stderr, len(cases))
    return columns, problems


def _columns_from(doc: dict[str, Any], stderr: str, total: int) -> list[Column]:
    notes = [f"{doc['tool']} {doc['version']}: {total} messages in {doc['seconds']:.1f} s, "
             f"{doc['errors']} raised", *doc["notes"]]
    notes += [f"raised on {e}" for e in doc["first_errors"]]
    logged = [line for line in stderr.splitlines() if line.strip()]
    if logged:
        notes.append(f"{len(logged)} stderr lines, first: {logged[0][:160]}")
    columns = []
    for name, column in doc["columns"].items():
        answers = {case_id: Prediction(parts.get("new_text") or "", parts.get("reply") or "",
                                       parts.get("signature"))
                   for case_id, parts in column["cases"].items()}
        columns.append(Column(name, frozenset(column["parts"]), answers, notes))
    return columns


# ------------------------------------------------------------------ speed


def measure_speed(cases: list[Case], passes: int) -> dict[str, Any]:
    """Warm messages/s of parse_message + read_body, plus a per-stage breakdown."""
    def whole() -> float:
        forget_answers()
        started = time.process_time()
        for case in cases:
            read_body(parse_message(case.raw, external_id=case.path.name))
        return time.process_time() - started

    whole()  # warm-up: imports, phonenumbers metadata, regex caches
    times = [whole() for _ in range(passes)]
    stages = [_stage_times(cases) for _ in range(passes)]
    per_stage = {k: 1e6 * min(s[k] for s in stages) / len(cases) for k in stages[0]}
    return {"messages": len(cases), "passes": passes,
            "messages_per_s_median": len(cases) / statistics.median(times),
            "messages_per_s_best": len(cases) / min(times), "us_per_message": per_stage}


def forget_answers() -> None:
    """Empty the caches that remember answers (parsed signatures, display names, address
    fields, line tests): a pass must not reuse the last one's answers."""
    pipeline._parse_signature.cache_clear()
    clean_display_name.cache_clear()
    rfc822._known_addresses.cache_clear()
    line_cache.clear()


def _stage_times(cases: list[Case]) -> dict[str, float]:
    """The stages of read_body called one by one, each timed (fields without cache)."""
    forget_answers()
    spent = dict.fromkeys(("parse_message", "mime", "quotes", "signature", "fields"), 0.0)
    clock = time.process_time
    for case in cases:
        t0 = clock()
        msg = parse_message(case.raw, external_id=case.path.name)
        t1 = clock()
        text = body_text(msg.text, msg.html)
        t2 = clock()
        reply = split_reply(text)
        t3 = clock()
        name = msg.sender.name if msg.sender else ""
        email = msg.sender.email.lower() if msg.sender else ""
        sig = find_signature(reply.new_text, name, email)
        t4 = clock()
        if sig:
            parse_signature(sig.text, name, email)
        t5 = clock()
        for key, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4),
                                strict=True):
            spent[key] += seconds
    return spent


# ------------------------------------------------------------------ report


def _cell(value: float | str | None) -> str:
    return value if isinstance(value, str) else "n/a" if value is None else f"{value:.3f}"


def render_table(headers: list[str], rows: list[list[str]]) -> str:
    """Plain-text columns: the first left-aligned, the numbers right-aligned."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def folder_table(tallies: dict[str, Tally], columns: list[Column], unproduced: set[str],
                 cases: list[Case]) -> str:
    values = {c.name: row_values(tallies[c.name], c.parts) for c in columns}
    scored = scored_counts(case.labels for case in cases)
    labels = dict(ROWS) | {f"field:{n}": f"F1 {n}{' *' if n in unproduced else ''}"
                           for n in FIELDS}
    keys = [k for k in [k for k, _ in ROWS] + [f"field:{n}" for n in FIELDS] if scored.get(k)]
    rows = [[labels[k], str(scored.get(k, 0)), *(_cell(values[c.name][k]) for c in columns)]
            for k in keys]
    return render_table(["part", "cases", *(c.name for c in columns)], rows)


def detail_table(tally: Tally) -> str:
    """syncd's precision / recall / F1 and labelled item counts per part."""
    parts = [(f"{p} lines", c) for p, c in tally.lines.items()]
    parts += [(f"field {n}", tally.fields[n]) for n in FIELDS if n in tally.fields]
    rows = [[name, _cell(c.precision), _cell(c.recall), _cell(c.f1), str(c.tp + c.fn)]
            for name, c in parts if c.tp + c.fp + c.fn]
    return render_table(["syncd", "P", "R", "F1", "labelled"], rows)


def as_json(results: dict[str, dict[str, Tally]], columns: list[Column]) -> dict[str, Any]:
    """The tables as data: folder -> column -> row -> value, plus syncd's raw counts."""
    out: dict[str, Any] = {}
    for folder, tallies in results.items():
        out[folder] = {c.name: row_values(tallies[c.name], c.parts) for c in columns}
        syncd = tallies[SYNCD]
        out[folder]["syncd_detail"] = {
            name: {"tp": c.tp, "fp": c.fp, "fn": c.fn, "precision": c.precision,
                   "recall": c.recall, "f1": c.f1}
            for name, c in [*((f"lines:{p}", c) for p, c in syncd.lines.items()),
                            *((f"field:{n}", c) for n, c in syncd.fields.items())]}
    return out


def print_failures(tally: Tally, show: int) -> None:
    for part, failures in tally.failures.items():
        if failures and show:
            print(f"  worst syncd {part} cases ({len(failures)} imperfect):")
            for _, text in sorted(failures, key=lambda f: f[0])[:show]:
                print(f"    {text}")


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("folders", nargs="*", default=list(FOLDERS))
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show", type=int, default=0, metavar="N",
                        help="print syncd's N worst cases per part")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--passes", type=int, default=5, help="timed speed passes (0: none)")
    parser.add_argument("--no-others", action="store_true", help="score syncd only")
    parser.add_argument("--others-venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()

    by_folder = {folder: load_cases(args.corpus, folder) for folder in args.folders}
    cases = [case for folder_cases in by_folder.values() for case in folder_cases]
    columns = [syncd_column(cases)]
    columns.append(corpus_convention(columns[0], cases))
    problems: list[str] = []
    if not args.no_others:
        others, problems = other_columns(cases, args.others_venv)
        columns += others
    results = {folder: {c.name: Tally() for c in columns} for folder in by_folder}
    for folder, folder_cases in by_folder.items():
        for column in columns:
            for case in folder_cases:
                score_case(results[folder][column.name], column.parts,
                           column.answers.get(case.id, Prediction()), case.labels, case.id)
    speed = measure_speed(cases, args.passes) if args.passes > 0 else None
    notes = {c.name: c.notes for c in columns}
    if args.json:
        print(json.dumps({"tables": as_json(results, columns), "speed": speed,
                          "notes": notes, "problems": problems}, indent=1))
        return
    report(by_folder, results, columns, args.show)
    print_notes(notes, problems, speed)


def report(by_folder: dict[str, list[Case]], results: dict[str, dict[str, Tally]],
           columns: list[Column], show: int) -> None:
    unproduced = set(columns[0].not_produced)
    for folder, folder_cases in by_folder.items():
        print(f"\n== {folder}: {len(folder_cases)} cases")
        print(folder_table(results[folder], columns, unproduced, folder_cases))
        print()
        print(detail_table(results[folder][SYNCD]))
        print_failures(results[folder][SYNCD], show)


def print_notes(notes: dict[str, list[str]], problems: list[str],
                speed: dict[str, Any] | None) -> None:
    print("\nnotes:")
    printed: set[str] = set()
    for name, lines in notes.items():
        for line in lines:
            if line not in printed:
                printed.add(line)
                print(f"  [{name}] {line}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if speed:
        stages = ", ".join(f"{k} {v:.0f}" for k, v in speed["us_per_message"].items())
        print(f"\nspeed (one core, {speed['messages']} messages, {speed['passes']} warm passes):"
              f" {speed['messages_per_s_median']:,.0f} messages/s median,"
              f" {speed['messages_per_s_best']:,.0f} best"
              f" (parse_message + read_body: MIME, quotes, signature, fields)\n"
              f"  µs/message by stage (best pass): {stages}")


if __name__ == "__main__":
    main()
