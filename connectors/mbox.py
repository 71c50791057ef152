"""mbox files: a Google Takeout export, a Thunderbird profile, an archive.

``path`` is one mbox file or a folder searched for them (``*.mbox``, and
Thunderbird's extension-less files that start with a ``From `` line). Messages
are streamed one at a time from a ``From `` separator line to the next (mboxo
and mboxrd: ``>From`` escapes are undone). The cursor per file is the byte offset
read up to plus a fingerprint of the bytes before it; mail appended later is read
from the offset, while a file that was rewritten (compacted, replaced) no longer
matches its fingerprint and raises :class:`CursorExpired`, so the source is read
again in full and the natural keys keep that free of duplicates.

Takeout's ``X-Gmail-Labels`` and ``X-GM-THRID`` headers become labels, the sent
flag and the thread (in hex, as Gmail's API names the same thread).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from connectors.base import Batch, Connector, Cursor, Item, RawMessage
from connectors.filetree import (
    BATCH,
    HEAD_BYTES,
    Entry,
    FileSettings,
    check_path,
    is_sent_folder,
    parse_file,
)
from syncd.errors import CursorExpired, SourceUnusable

FINGERPRINT_BYTES = 4096
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_GMAIL_LABELS = re.compile(rb"^X-Gmail-Labels:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.MULTILINE | re.I)
_GMAIL_THREAD = re.compile(rb"^X-GM-THRID:[ \t]*(\d+)", re.MULTILINE | re.IGNORECASE)


class MboxSettings(FileSettings):
    """``path`` is one mbox file, or a folder searched for mbox files."""


class MboxConnector(Connector):
    kind = "mbox"
    shares_nothing = True
    Settings = MboxSettings
    settings: MboxSettings

    def check(self) -> str:
        return check_path(Path(self.settings.path), folder=None)

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        root = Path(self.settings.path)
        positions: dict[str, Any] = {} if full or not cursor else dict(cursor)
        files = _mbox_files(root)
        for rel in files:
            yield from self._read_file(root, rel, positions, since)
        if not files or cursor is None:
            yield Batch([], dict(positions))

    def _read_file(self, root: Path, rel: str, positions: dict[str, Any],
                   since: datetime | None) -> Iterator[Batch]:
        path = root / rel if rel else root
        folder = Path(rel or root.name).stem
        sent = True if is_sent_folder(folder, self.settings.sent_folders) else None
        with path.open("rb") as handle:
            offset = _resume_at(handle, positions.get(rel), rel or root.name)
            items: list[Item] = []
            for start, end, data in _messages(handle, offset):
                entry = Entry(0, f"{rel or root.name}@{start}",
                              f"{rel or root.name}@{start}", folder, sent)
                item = _parse(data, entry, since)
                if item is not None:
                    items.append(item)
                if len(items) >= BATCH:
                    positions[rel] = _position(handle, end)
                    yield Batch(items, dict(positions))
                    items = []
            positions[rel] = _position(handle, handle.seek(0, 2))
            if items:
                yield Batch(items, dict(positions))


def _mbox_files(root: Path) -> list[str]:
    """Relative names of the mbox files under ``root`` ("" when root is the file)."""
    if root.is_file():
        return [""]
    if not root.is_dir():
        raise SourceUnusable(f"{root} does not exist (was it moved or unmounted?)")
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and (path.suffix == ".mbox" or (not path.suffix and _starts_mbox(path))):
            found.append(path.relative_to(root).as_posix())
    return found


def _starts_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _resume_at(handle: BinaryIO, position: Any, name: str) -> int:
    if not position:
        return 0
    offset = int(position["offset"])
    size = handle.seek(0, 2)
    if size < offset or _fingerprint(handle, offset) != position["fingerprint"]:
        raise CursorExpired(f"{name} was rewritten since the last sync")
    return offset


def _position(handle: BinaryIO, offset: int) -> dict[str, Any]:
    here = handle.tell()
    position = {"offset": offset, "fingerprint": _fingerprint(handle, offset)}
    handle.seek(here)
    return position


def _fingerprint(handle: BinaryIO, offset: int) -> str:
    """A hash of the file's first and last bytes before ``offset``."""
    handle.seek(0)
    head = handle.read(min(offset, FINGERPRINT_BYTES))
    handle.seek(max(0, offset - FINGERPRINT_BYTES))
    tail = handle.read(min(offset, FINGERPRINT_BYTES))
    return hashlib.sha256(head + b"\0" + tail).hexdigest()


def _messages(handle: BinaryIO, offset: int) -> Iterator[tuple[int, int, bytes]]:
    """``(start, end, head)`` of each message after ``offset``; a separator is a
    ``From `` line at the start of the file or after a blank line. Only the first
    :data:`HEAD_BYTES` of a message are kept (headers and text parts come first)."""
    handle.seek(offset)
    lines: list[bytes] = []
    start, previous_blank, position, kept = offset, True, offset, 0
    for line in handle:
        if line.startswith(b"From ") and previous_blank and position > start:
            yield start, position, _unescape(lines)
            start, lines, kept = position, [], 0
        elif kept < HEAD_BYTES and not (line.startswith(b"From ") and position == start):
            lines.append(line)
            kept += len(line)
        previous_blank = line in (b"\n", b"\r\n")
        position += len(line)
    if lines:
        yield start, position, _unescape(lines)


def _unescape(lines: list[bytes]) -> bytes:
    data = b"".join(lines)
    return _ESCAPED_FROM.sub(rb"\1", data) if b">From " in data else data


def _parse(data: bytes, entry: Entry, since: datetime | None) -> Item | None:
    item = parse_file(data, entry, since)
    if isinstance(item, RawMessage):
        return _with_gmail_headers(item, data)
    return item


def _with_gmail_headers(message: RawMessage, data: bytes) -> RawMessage:
    head = data[: data.find(b"\n\n") if b"\n\n" in data else 65536][:65536]
    labels_match = _GMAIL_LABELS.search(head)
    thread_match = _GMAIL_THREAD.search(head)
    if not labels_match and not thread_match:
        return message
    labels = tuple(label.strip() for label in labels_match.group(1).decode(
        "utf-8", "replace").replace("\r\n", "").replace("\n", "").split(",")) \
        if labels_match else ()
    sent = True if any(label.lower() == "sent" for label in labels) else message.sent_by_me
    thread = format(int(thread_match.group(1)), "x") if thread_match else message.thread_hint
    return replace(message, labels=labels, sent_by_me=sent, thread_hint=thread)
