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


def configure(settings: Logging, *, verbose: bool = False) -> None:
    """Set the root logger's level and format (``--verbose`` means debug)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else settings.level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
