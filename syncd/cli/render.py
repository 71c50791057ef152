"""Turning store rows into terminal tables and machine formats (CSV, JSON, JSONL)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

from rich import box
from rich.table import Table


def when(value: datetime | None) -> str:
    """A timestamp for people, in UTC, short, with how long ago."""
    if value is None:
        return "never"
    age = datetime.now(UTC) - value
    if age.total_seconds() < 0:  # an upcoming meeting
        ahead = -age
        span = f"{ahead.days}d" if ahead.days else f"{int(ahead.total_seconds() // 3600)}h"
        return f"{value:%Y-%m-%d %H:%M} (in {span})"
    if age.days == 0:
        ago = f"{int(age.total_seconds() // 60)}m" if age.seconds < 3600 \
            else f"{int(age.total_seconds() // 3600)}h"
        return f"{value:%H:%M} ({ago} ago)"
    return f"{value:%Y-%m-%d} ({age.days}d ago)"


def day(value: datetime | None) -> str:
    """A date for narrow tables."""
    return f"{value:%Y-%m-%d}" if value else ""


def table(*columns: str, title: str) -> Table:
    """A compact table that fits an 80-column terminal."""
    return Table(*columns, title=title, box=box.SIMPLE_HEAD, pad_edge=False)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str] | None = None) -> int:
    """Stream rows as ``jsonl``, ``json`` (one array) or ``csv`` to ``out`` (default: the
    current stdout); returns the count."""
    out = sys.stdout if out is None else out
    count = 0
    writer: csv.DictWriter[str] | None = None
    if fmt == "json":
        out.write("[")
    for row in rows:
        if fmt == "jsonl":
            out.write(to_json(row) + "\n")
        elif fmt == "json":
            out.write(("," if count else "") + "\n  " + to_json(row))
        else:
            flat = {k: csv_cell(v) for k, v in row.items()}
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(flat))
                writer.writeheader()
            writer.writerow(flat)
        count += 1
    if fmt == "json":
        out.write("\n]\n")
    return count


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text: one starting with ``= + - @``, a tab or a
    line break (a display name, a subject: data from strangers' mail) gets a leading
    ``'``, as OWASP's "CSV Injection" advice says, so it is never run as a formula.
    Quotes and line breaks inside are the csv module's to quote."""
    text = _cell(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    """CSV cells: lists joined by ``;``, nested objects by their name or as JSON."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(_cell(v) if not isinstance(v, dict) else
                        f"{v.get('email', '')}:{v.get('role', '')}" for v in value)
    if isinstance(value, dict):
        return str(value.get("name") or to_json(value))
    return str(value)
