"""Maildir (and Maildir++ subfolders): Thunderbird, Dovecot and mutt stores, backups.

A message's external id is its folder plus its file name up to the ``:2,`` info
suffix, which survives the moves from ``new/`` to ``cur/`` and every flag change.
Subfolders are ``.Name`` directories (Maildir++) or plain directories that hold
``cur``/``new``; a folder whose name is a sent folder's marks its mail as the
owner's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pydantic import Field

from connectors.base import Batch, Connector, Cursor
from connectors.filetree import Entry, FileSettings, check_path, is_sent_folder, read_tree, walk


class MaildirSettings(FileSettings):
    """``path`` is the Maildir's root folder, the one holding cur/ and new/."""

    folders: tuple[str, ...] = Field((), description=(
        "only these folders (INBOX is the root; subfolders by name, e.g. Sent); "
        "default: every folder"))


class MaildirConnector(Connector):
    kind = "maildir"
    shares_nothing = True
    Settings = MaildirSettings
    settings: MaildirSettings

    def check(self) -> str:
        return check_path(Path(self.settings.path), folder=True)

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        root = Path(self.settings.path)
        return read_tree(root, self._entries(root), cursor, full=full, since=since)

    def _entries(self, root: Path) -> Iterator[Entry]:
        wanted = {f.lower() for f in self.settings.folders}
        for rel, ctime in walk(root, _is_message_file):
            parent, _, name = rel.rpartition("/")
            folder_path, _, leaf = parent.rpartition("/")
            if leaf not in {"cur", "new"}:
                continue
            folder = _folder_name(folder_path)
            if wanted and folder.lower() not in wanted:
                continue
            sent = True if is_sent_folder(folder, self.settings.sent_folders) else None
            yield Entry(ctime, rel, f"{folder}/{name.split(':2,')[0]}", folder, sent)


def _is_message_file(name: str) -> bool:
    return not name.startswith(".")


def _folder_name(folder_path: str) -> str:
    """``""`` -> INBOX, ``.Sent`` -> Sent, ``.Archive.2024`` -> Archive/2024."""
    if not folder_path:
        return "INBOX"
    parts = [p.lstrip(".").replace(".", "/") for p in folder_path.split("/") if p]
    return "/".join(parts)
