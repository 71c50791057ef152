"""Incremental reading of a folder of one-message files (Maildir, ``.eml`` trees).

Cursor algorithm: files are taken in order of inode change time (``st_ctime_ns``),
then path. ctime cannot be set by copying tools (``cp -p`` and ``rsync -a`` keep
mtime, not ctime), and a Maildir delivery or flag change (a rename) updates it, so
"ctime at or after the mark" is exactly "new or moved since last time". The cursor
holds the mark and the few paths already read *at* the mark; the mark trails the
scan's start by :data:`SETTLE_NS`, because a coarse filesystem clock can give a file
that arrives a moment later the same ctime as one already read. A moved file is
read again and its upsert changes nothing.

Memory holds one ``(ctime, path)`` pair per file to read, and one message at a time.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import BadItem, Batch, Item, RawMessage
from connectors.rfc822 import parse_message
from syncd.configtypes import ConfigPath
from syncd.errors import BadItemError, SourceUnusable

SETTLE_NS = 2_000_000_000
BATCH = 500
FIRST_READ = 64 * 1024
"""Headers and text parts come first in real mail, and attachments after them are
never needed (the parser tolerates the cut): the first 64 KiB are read, and the
rest of the file (up to :data:`MAX_READ`) only when no text part was found in them."""
MAX_READ = 64 * 1024 * 1024
HEAD_BYTES = 1024 * 1024
"""How much of one message an mbox keeps while it streams past the rest."""
QUARANTINE_BYTES = 1024 * 1024


class FileSettings(BaseModel):
    """Keys every local-file source has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: ConfigPath = Field(description="where the mail is (relative to the config file)")
    sent_folders: tuple[str, ...] = Field((), description=(
        "more folder or file names that hold the owner's sent mail, beside the usual ones"))


@dataclass(frozen=True, order=True)
class Entry:
    """A file to read: its ctime, path relative to the root, and how to label it."""

    ctime_ns: int
    rel: str
    external_id: str
    folder: str | None
    sent: bool | None


def read_tree(root: Path, entries: Iterable[Entry], cursor: Any, *, full: bool,
              since: datetime | None = None, batch_size: int = BATCH) -> Iterator[Batch]:
    """Yield batches of the files in ``entries`` not yet covered by ``cursor``."""
    if not root.is_dir():
        raise SourceUnusable(f"{root} is not a folder (was it moved or unmounted?)")
    scan_start = time.time_ns()
    mark, recent = (0, frozenset()) if full or not cursor else (
        int(cursor["ctime_ns"]), frozenset(cursor["recent"]))
    todo = sorted(e for e in entries if e.ctime_ns >= mark and e.rel not in recent)
    window: deque[Entry] = deque(e for e in _recent_entries(cursor, full))
    for start in range(0, len(todo), batch_size):
        chunk = todo[start:start + batch_size]
        items = [item for e in chunk if (item := _read(root, e, since)) is not None]
        window.extend(chunk)
        yield Batch(items, _cursor(window, chunk[-1].ctime_ns, scan_start), total=len(todo))
    if not todo and cursor is None:
        yield Batch([], _cursor(window, 0, scan_start), total=0)


def _recent_entries(cursor: Any, full: bool) -> list[Entry]:
    if full or not cursor:
        return []
    mark = int(cursor["ctime_ns"])
    return [Entry(mark, rel, "", None, None) for rel in cursor["recent"]]


def _cursor(window: deque[Entry], last_ctime: int, scan_start: int) -> dict[str, Any]:
    mark = min(last_ctime, scan_start - SETTLE_NS)
    while window and window[0].ctime_ns < mark:
        window.popleft()
    return {"ctime_ns": mark, "recent": sorted({e.rel for e in window if e.ctime_ns >= mark})}


def _read(root: Path, entry: Entry, since: datetime | None) -> Item | None:
    path = root / entry.rel
    try:
        with path.open("rb") as handle:
            data = handle.read(FIRST_READ)
            item = parse_file(data, entry, since)
            if len(data) == FIRST_READ and isinstance(item, RawMessage) and not (
                    item.text or item.html):
                item = parse_file(data + handle.read(MAX_READ - FIRST_READ), entry, since)
    except FileNotFoundError:
        return None  # moved between the scan and the read; the next scan finds it
    except OSError as exc:
        return BadItem(entry.external_id, f"cannot read {entry.rel}: {exc.strerror}")
    return item


def parse_file(data: bytes, entry: Entry, since: datetime | None) -> Item | None:
    """The file's message, a BadItem for what is not one, or None when out of range."""
    try:
        message = parse_message(data, external_id=entry.external_id, folder=entry.folder)
    except BadItemError as exc:
        return BadItem(entry.external_id, f"{entry.rel}: {exc}", data[:QUARANTINE_BYTES])
    if since is not None and message.date is not None and message.date < since:
        return None
    return replace(message, sent_by_me=entry.sent) if entry.sent is not None else message


def walk(root: Path, keep: Callable[[str], bool]) -> Iterator[tuple[str, int]]:
    """``(relative path, ctime_ns)`` of files below ``root`` whose name ``keep`` accepts,
    with ``os.scandir`` (one stat per file, no Path objects per file)."""
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(root / rel_dir if rel_dir else root))
        except FileNotFoundError:
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append(rel)
            elif entry.is_file(follow_symlinks=False) and keep(entry.name):
                yield rel, entry.stat(follow_symlinks=False).st_ctime_ns


SENT_NAMES = ("sent", "sent items", "sent messages", "sent mail", "gesendet",
              "gesendete elemente", "gesendete objekte", "envoyés", "éléments envoyés",
              "enviados", "elementos enviados", "verzonden", "verzonden items", "inviati",
              "posta inviata", "itens enviados", "已发送", "送信済み", "送信済みアイテム")


def is_sent_folder(name: str, extra: tuple[str, ...] = ()) -> bool:
    leaf = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[-1].strip().lower()
    return leaf in SENT_NAMES or leaf in {n.lower() for n in extra}


def check_path(path: Path, *, folder: bool | None) -> str:
    """That ``path`` exists, is what the kind reads (a folder, a file, or either:
    None), and can be read."""
    if not path.exists():
        raise SourceUnusable(f"{path} does not exist")
    if folder is not None and folder != path.is_dir():
        raise SourceUnusable(f"{path} is not a {'folder' if folder else 'file'}")
    if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
        raise SourceUnusable(f"{path} cannot be read by this user")
    return f"{path} is readable"
