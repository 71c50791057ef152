"""The time zone a calendar says a meeting was scheduled in, as an IANA name.

Google gives IANA names (``start.timeZone``); Outlook gives the organizer's zone in
``originalStartTimeZone`` as a Windows name ("W. Europe Standard Time") or an IANA
one, mapped here through CLDR's windowsZones table as tzlocal ships it (a dependency
of APScheduler already). UTC and fixed offsets say nothing about where anyone is:
it is what clients write when the person never chose, and what API-made events carry.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

_NOWHERE = ("UTC", "Etc/", "GMT", "Universal", "Zulu", "tzone://")


@cache
def iana(name: str | None) -> str | None:
    """The IANA zone ``name`` stands for; None for UTC-like, custom or unknown names."""
    text = (name or "").strip()
    zone = win_tz.get(text, text)
    if not zone or zone.startswith(_NOWHERE) or "/" not in zone:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone
