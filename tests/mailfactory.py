"""Building real RFC 5322 messages and mailboxes for tests, with the stdlib email package."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

_counter = itertools.count(1)
BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mail(sender: str, to: list[str] | str, *, subject: str = "Hello", body: str = "Hi.\n",
         cc: list[str] | None = None, message_id: str | None = "auto",
         date: datetime | None = None, names: dict[str, str] | None = None,
         headers: dict[str, str] | None = None, html: str | None = None) -> bytes:
    """One message; ``names`` gives display names by address."""
    names = names or {}
    n = next(_counter)
    msg = EmailMessage()
    msg["From"] = formataddr((names.get(sender, ""), sender))
    msg["To"] = ", ".join(formataddr((names.get(a, ""), a))
                          for a in ([to] if isinstance(to, str) else to))
    if cc:
        msg["Cc"] = ", ".join(formataddr((names.get(a, ""), a)) for a in cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or BASE + timedelta(minutes=n))
    if message_id == "auto":
        msg["Message-ID"] = f"<test-{n}@mail.example.net>"
    elif message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def put_maildir(root: Path, data: bytes, *, folder: str = "", name: str | None = None,
                new: bool = False) -> Path:
    """Deliver ``data`` into a Maildir (``folder`` '' is INBOX, 'Sent' is ``.Sent``)."""
    base = root / f".{folder}" if folder else root
    for sub in ("cur", "new", "tmp"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    name = name or f"{1700000000 + next(_counter)}.M{next(_counter)}.test"
    path = base / ("new" if new else "cur") / (name if new else f"{name}:2,S")
    path.write_bytes(data)
    return path
