"""Log output as the config asks: lines for people, or one JSON object per line."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from syncd.config import Logging


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(),
                 "level": record.levelname.lower(), "logger": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(settings: Logging, *, verbose: bool = False, daemon: bool = False) -> None:
    """Set the root logger's level and format. The configured level is the daemon's;
    a command a person runs logs warnings only, unless ``--verbose`` (debug)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = settings.level.upper() if daemon else max(logging.WARNING,
                                                     logging.getLevelName(settings.level.upper()))
    root.setLevel(logging.DEBUG if verbose else level)
    for chatty in ("alembic", "apscheduler"):  # every job's start and end, at info
        logging.getLogger(chatty).setLevel(logging.WARNING)
