"""Many Outlook mailboxes on one fake Microsoft, and the syncd configuration that
reads them all, for ``bench/daemon.py``.

Each source ``box-NN`` is an app-only ``outlook_mail`` source for its own user
``box-NN@acme-robotics.com`` of one tenant (one app, client secret from the
environment, as ``bench/microsoft.py`` configures its single source). Every mailbox
gets the same ``bench/gen_mailbox.py`` mail, made its own: the angle-bracketed ids of
``Message-ID``, ``In-Reply-To`` and ``References`` get the source's prefix, so two
mailboxes share no interaction and threads still hold together. Mail delivered while
the daemon runs (:meth:`Fleet.deliver`) is a plain message from a customer, whose
arrival time the bench keeps beside its interaction key.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import microsoft  # bench/microsoft.py: load_mailbox, source_settings, SECRET_ENV
import resync_bench as rb

from enrichment.addresses import normalize_message_id
from tests.fake_microsoft import FakeMicrosoft

DOMAIN = microsoft.DOMAIN
_ID_HEADERS = re.compile(rb"(?im)^(message-id|in-reply-to|references):(.*(?:\r?\n[ \t].*)*)")


@dataclass
class _Recorder:
    """Stands in for a fake mailbox so ``microsoft.load_mailbox`` yields its files in
    delivery order without loading them anywhere."""

    files: list[tuple[bytes, str]] = field(default_factory=list)
    messages: dict[str, Any] = field(default_factory=dict)

    def add(self, raw: bytes, folder: str) -> None:
        self.files.append((raw, folder))


def mail_pool(messages: int, seed: int, workdir: Path) -> list[tuple[bytes, str]]:
    """``messages`` generated messages (cached by ``--cache`` of the other benches) as
    (RFC 822 bytes, folder), in the order they were written."""
    maildir, _ = rb.prepare_maildir(messages, seed, workdir)
    recorder = _Recorder()
    microsoft.load_mailbox(recorder, maildir)
    return recorder.files


def own_ids(raw: bytes, prefix: str) -> bytes:
    """``raw`` with every message id in its id headers prefixed (``<x@y>`` ->
    ``<PREFIX.x@y>``)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    tag = b"<" + prefix.encode() + b"."
    head = _ID_HEADERS.sub(lambda m: m[1] + b":" + m[2].replace(b"<", tag), head)
    return head + sep + body


@dataclass(frozen=True)
class Delivered:
    """A message put in a mailbox while the daemon runs."""

    source: str
    key: str  # the interaction key syncd gives it
    arrived: float  # UNIX seconds, when the fake had it


class Fleet:
    """A started fake Microsoft with ``sources`` filled mailboxes (use as a context
    manager; the fake stops on exit)."""

    def __init__(self, sources: int, pool: list[tuple[bytes, str]], *,
                 latency: float = 0.0, page_size: int | None = None) -> None:
        self.fake = FakeMicrosoft()
        self.names = [f"box-{n:02d}" for n in range(sources)]
        self.pool = pool
        self.latency, self.page_size = latency, page_size
        self.app: dict[str, str] = {}
        self.sent = 0

    def __enter__(self) -> Fleet:
        self.fake.__enter__()
        self.fake.latency = self.latency
        self.fake.max_page_size = self.page_size
        for name in self.names:
            box = self.fake.add_user(self.upn(name), name)
            for raw, folder in self.pool:
                box.add(own_ids(raw, name), folder)
            for stored in list(box.messages.values()):
                box.resource(stored, text_body=True)  # rendered before anything is timed
        self.app = self.fake.confidential_app(DOMAIN, {"Mail.Read"})
        return self

    def __exit__(self, *exc: Any) -> None:
        self.fake.__exit__(*exc)

    @staticmethod
    def upn(name: str) -> str:
        return f"{name}@{DOMAIN}"

    @property
    def secret(self) -> str:
        return self.app["client_secret"]

    def source(self, name: str, every: str) -> dict[str, Any]:
        """The syncd source reading ``name``'s mailbox (the secret is
        ``${microsoft.SECRET_ENV}``)."""
        settings = microsoft.source_settings("outlook_mail", self.fake, self.app)
        return settings | {"name": name, "mailbox": self.upn(name),
                           "owner": [self.upn(name), microsoft.OWNER], "every": every}

    def deliver(self, name: str) -> Delivered:
        """A new message from a customer into ``name``'s inbox, now."""
        self.sent += 1
        message = EmailMessage()
        message["From"] = (f"Buyer {self.sent} "
                           f"<buyer{self.sent % 97}@customer{self.sent % 13}.example>")
        message["To"] = self.upn(name)
        message["Subject"] = f"Order {self.sent}"
        message["Message-ID"] = f"<live-{self.sent}.{name}@customer.example>"
        with self.fake.lock:
            arrived = time.time()
            message["Date"] = format_datetime(dt.datetime.fromtimestamp(arrived, dt.UTC))
            message.set_content(f"Please send {self.sent} units by Friday.\n\nBuyer\n")
            self.fake.mailbox(self.upn(name)).add(message.as_bytes(), "inbox")
        return Delivered(name, normalize_message_id(message["Message-ID"]) or "", arrived)
