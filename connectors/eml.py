"""A folder of ``.eml`` files (exports, archives, saved attachments), recursively.

A file's external id is its path below the folder; its folder label is the
subfolder it sits in, and a subfolder named like a sent folder marks its mail as
the owner's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from connectors.base import Batch, Connector, Cursor
from connectors.filetree import Entry, FileSettings, check_path, is_sent_folder, read_tree, walk


class EmlSettings(FileSettings):
    """``path`` is the folder holding .eml files, searched recursively."""


class EmlConnector(Connector):
    kind = "eml"
    shares_nothing = True
    Settings = EmlSettings
    settings: EmlSettings

    def check(self) -> str:
        return check_path(Path(self.settings.path), folder=True)

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        root = Path(self.settings.path)
        return read_tree(root, self._entries(root), cursor, full=full, since=since)

    def _entries(self, root: Path) -> Iterator[Entry]:
        for rel, ctime in walk(root, lambda name: name.lower().endswith(".eml")):
            folder = rel.rpartition("/")[0] or None
            sent = True if folder and is_sent_folder(folder, self.settings.sent_folders) else None
            yield Entry(ctime, rel, rel, folder, sent)
