"""The wire format between bench/eval_signatures.py and one open-source parser.

Each ``run_*.py`` beside this file runs inside ``bench/.venv-others`` (see setup.sh),
never in syncd's environment, so it may import only the standard library, this
module and its tool. Protocol:

- stdin: JSON lines ``{"id": str, "text": str, "sender": str}``; ``text`` is the
  decoded body exactly as syncd's ``enrichment.mime.body_text`` returns it, so every
  parser reads the same characters; ``sender`` is the From header ("Name <addr>").
- stdout: one JSON document::

      {"tool": str, "version": str, "notes": [str], "seconds": float,
       "errors": int, "first_errors": [str],
       "columns": {COLUMN: {"parts": [PART], "cases": {ID: {PART: str | null}}}}}

  A PART is ``new_text`` (everything the tool keeps as the author's, before any
  signature removal), ``reply`` (its reply without signature, as the tool's own API
  gives it) or ``signature`` (the signature block, null when none). A part missing
  from ``parts`` is one the tool does not do. A case on which the tool raised is
  left out of ``cases`` and counted in ``errors``; the evaluation scores it as an
  empty answer.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from importlib.metadata import version

Answer = dict[str, dict[str, str | None]]
"""COLUMN -> PART -> text, for one case."""


def serve(
    tool: str,
    columns: dict[str, list[str]],
    analyse: Callable[[str, str], Answer],
    notes: list[str],
) -> None:
    """Run ``analyse(text, sender)`` on every case read from stdin; print the results."""
    cases: dict[str, dict[str, dict[str, str | None]]] = {name: {} for name in columns}
    errors: list[str] = []
    seconds = 0.0
    for line in sys.stdin:
        case = json.loads(line)
        started = time.perf_counter()
        try:
            answer = analyse(case["text"], case["sender"])
        except Exception as exc:  # a crash on one message is a result, not a stop
            errors.append(f"{case['id']}: {type(exc).__name__}: {exc}"[:300])
            continue
        finally:
            seconds += time.perf_counter() - started
        for name, parts in answer.items():
            cases[name][case["id"]] = parts
    json.dump(
        {
            "tool": tool,
            "version": version(tool),
            "notes": notes,
            "seconds": seconds,
            "errors": len(errors),
            "first_errors": errors[:5],
            "columns": {
                name: {"parts": parts, "cases": cases[name]} for name, parts in columns.items()
            },
        },
        sys.stdout,
    )
