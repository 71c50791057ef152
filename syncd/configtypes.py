"""Value types shared by every config model: durations, domains, paths.

Paths in the file are relative to the file itself, not to wherever the daemon
happens to start; the loader passes the file's folder as validation context.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
)

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def parse_duration(value: object) -> timedelta:
    """``90`` (seconds), ``"5m"``, ``"1h30m"``, ``"365d"`` or ``"2w"`` -> timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower()
        parts = _DURATION.findall(text)
        if parts and _DURATION.sub("", text).strip() == "":
            return timedelta(seconds=sum(int(n) * _UNITS[u] for n, u in parts))
    raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 5m, 1h30m, 365d, 2w)")


def _seconds_text(value: timedelta) -> str:
    return f"{int(value.total_seconds())}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(_seconds_text),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^(\d+\s*[smhdw]\s*)+$",
                    "description": "seconds, or e.g. 5m, 1h30m, 365d, 2w"}),
]


def _domain(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a domain must be a string")
    text = value.strip().lower().removeprefix("@")
    if not _DOMAIN.match(text):
        raise ValueError(f"not a domain name: {value!r}")
    return text


Domain = Annotated[str, BeforeValidator(_domain)]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _resolve(value: Path, info: ValidationInfo) -> Path:
    path = value.expanduser()
    base = (info.context or {}).get("base_dir")
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return path


ConfigPath = Annotated[Path, AfterValidator(_resolve)]
