"""``capture.visibility: metadata`` keeps who and when, nothing of what was said, from
every connector; a private meeting keeps its time and guests, whatever the visibility.

Each connector kind syncs, against its real server or wire-level fake, a message or
meeting whose subject, body, description and location carry a unique marker. Then
every text, string, JSON and binary column of every table (found by SQLAlchemy
inspection, so a new table or column is scanned without a change here) and every
export in every format are searched for the marker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import mailbox
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, inspect, select, text
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from syncd.cli import data  # noqa: F401  (registers `syncd export`)
from syncd.cli.app import app as cli
from syncd.db.models import Interaction, InteractionParticipant
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.fake_google import FakeGoogle
from tests.fake_microsoft import FakeMicrosoft
from tests.fakes.graph_calendar import Attendee
from tests.mailfactory import mail, put_maildir
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_google_calendar import calendar_source as google_calendar_source
from tests.test_google_calendar import meeting
from tests.test_imap import source as imap_source
from tests.test_outlook_calendar import calendar_source as outlook_calendar_source
from tests.test_outlook_mail import app_only

ALICE = "alice@acme-robotics.com"
DANA = "dana@customer.example"
NOW = datetime.now(UTC).replace(microsecond=0)
KINDS = ("maildir", "mbox", "eml", "imap", "gmail", "google_calendar", "outlook_mail",
         "outlook_calendar")
Setup = Callable[[str], dict[str, Any]]
"""Given the marker, put the marked item where the source reads, and return the source."""


def marked_mail(marker: str) -> bytes:
    return mail(DANA, [ALICE], subject=f"Takeover of {marker}",
                body=f"The price for {marker} is 12 M.\n\nDana Scully\nCFO\n",
                html=f"<p>The price for {marker} is 12 M.</p><p>Dana Scully<br>CFO</p>",
                names={DANA: "Dana Scully"}, date=NOW - timedelta(days=1))


class Sources:
    """One way per connector kind to hold a marked item and name a source reading it."""

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path, stack: ExitStack,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.request, self.tmp_path, self.stack = request, tmp_path, stack
        self.monkeypatch = monkeypatch
        self._google: FakeGoogle | None = None
        self._ms: FakeMicrosoft | None = None

    def setup(self, kind: str) -> Setup:
        method: Setup = getattr(self, kind)
        return method

    def maildir(self, marker: str) -> dict[str, Any]:
        put_maildir(self.tmp_path / "maildir", marked_mail(marker))
        return {"kind": "maildir", "path": str(self.tmp_path / "maildir")}

    def mbox(self, marker: str) -> dict[str, Any]:
        box = mailbox.mbox(self.tmp_path / "takeout.mbox")
        box.add(marked_mail(marker))
        box.close()
        return {"kind": "mbox", "path": str(self.tmp_path / "takeout.mbox")}

    def eml(self, marker: str) -> dict[str, Any]:
        folder = self.tmp_path / "eml" / "2026"
        folder.mkdir(parents=True)
        (folder / "offer.eml").write_bytes(marked_mail(marker))
        return {"kind": "eml", "path": str(self.tmp_path / "eml")}

    def imap(self, marker: str) -> dict[str, Any]:
        dovecot = self.request.getfixturevalue("dovecot")
        self.monkeypatch.setenv("IMAP_TEST_PASSWORD", dovecot.password)
        dovecot.deliver(marked_mail(marker))
        return imap_source(dovecot)

    @property
    def google(self) -> FakeGoogle:
        if self._google is None:
            self._google = self.stack.enter_context(FakeGoogle())
            self._google.add_user(ALICE)
        return self._google

    def _google_key(self) -> Path:
        path = self.tmp_path / "service-account.json"
        path.write_text(json.dumps(self.google.service_account()), encoding="utf-8")
        path.chmod(0o600)
        return path

    def gmail(self, marker: str) -> dict[str, Any]:
        self.google.mailbox(ALICE).add(marked_mail(marker))
        return {"kind": "gmail", "auth": {"type": "service_account",
                                          "key_file": str(self._google_key()),
                                          "subject": ALICE},
                "endpoints": {"api": self.google.gmail_endpoint,
                              "token": self.google.token_uri}}

    def google_calendar(self, marker: str, **extra: Any) -> dict[str, Any]:
        self.google.calendar(ALICE).put(meeting(
            NOW - timedelta(days=1), DANA, summary=f"Takeover of {marker}",
            location=f"{marker} war room", description=f"Agenda: price for {marker}",
            **extra))
        return google_calendar_source(self.google, self._google_key())

    @property
    def ms(self) -> FakeMicrosoft:
        if self._ms is None:
            self._ms = self.stack.enter_context(FakeMicrosoft())
            self._ms.add_user(ALICE, "Alice Martin")
        return self._ms

    def outlook_mail(self, marker: str) -> dict[str, Any]:
        self.ms.mailbox(ALICE).add(marked_mail(marker))
        return app_only(self.ms, self.monkeypatch,
                        roles=frozenset({"Mail.Read", "Mail.ReadBasic"}))

    def outlook_calendar(self, marker: str, **extra: Any) -> dict[str, Any]:
        start = NOW - timedelta(days=1)
        self.ms.calendar(ALICE).add(
            f"Takeover of {marker}", start, start + timedelta(hours=1),
            attendees=[Attendee(DANA, "Dana Scully", response="accepted")],
            body=f"Agenda: price for {marker}", location=f"{marker} war room", **extra)
        return outlook_calendar_source(self.ms, self.monkeypatch)


@pytest.fixture
def sources(request: pytest.FixtureRequest, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Sources]:
    with ExitStack() as stack:
        yield Sources(request, tmp_path, stack, monkeypatch)


def text_columns(engine: Engine) -> list[tuple[str, str]]:
    """(table, column) for every column that can hold text or bytes, by inspection."""
    inspector = inspect(engine)
    found = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if isinstance(column["type"], String | JSON | LargeBinary):
                found.append((table, column["name"]))
    return found


def places_holding(engine: Engine, marker: str) -> list[str]:
    """Every ``table.column`` with a value that contains ``marker`` (in any case)."""
    needle = marker.lower()
    hits = []
    columns = text_columns(engine)
    assert {"interactions", "quarantine", "observations"} <= {t for t, _ in columns}
    with engine.connect() as conn:
        for table, column in columns:
            quoted = engine.dialect.identifier_preparer.quote
            for (value,) in conn.execute(text(f"SELECT {quoted(column)} FROM {quoted(table)}")):
                if needle in _as_text(value).lower():
                    hits.append(f"{table}.{column}")
    return hits


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else json.dumps(value)


def exports_holding(config: Path, marker: str) -> list[str]:
    hits = []
    for kind in ("contacts", "accounts", "interactions"):
        for fmt in ("csv", "json", "jsonl"):
            target = config.parent / f"export-{kind}.{fmt}"
            result = CliRunner().invoke(cli, ["--config", str(config), "export", kind,
                                              "--format", fmt, "-o", str(target)])
            assert result.exit_code == 0, result.output
            if marker.lower() in target.read_text(encoding="utf-8").lower():
                hits.append(f"{kind}.{fmt}")
    return hits


def sync_marked(make_app: Any, sources: Sources, kind: str, level: str,
                extra: dict[str, str] | None = None) -> tuple[Any, str]:
    marker = f"Zephyr{secrets.token_hex(6)}"
    setup: Callable[..., dict[str, Any]] = sources.setup(kind)
    source = setup(marker, **(extra or {})) | {"name": "marked", "owner": ALICE,
                                               "capture": {"visibility": level}}
    app = make_app([source])
    result = run_source(app, app.config.source("marked"))
    assert result.status == "ok", result.error
    with session_scope(app.sessions) as session:
        keys = session.execute(select(Interaction.key)).scalars().all()
        guests = session.execute(select(InteractionParticipant.email)).scalars().all()
    assert len(keys) == 1 and DANA in guests  # captured: the scan below is not vacuous
    return app, marker


@pytest.mark.parametrize("kind", KINDS)
def test_a_metadata_source_stores_and_exports_no_text(make_app: Any, sources: Sources,
                                                      tmp_path: Path, kind: str) -> None:
    app, marker = sync_marked(make_app, sources, kind, "metadata")
    assert places_holding(app.engine, marker) == []
    assert exports_holding(tmp_path / "syncd.yaml", marker) == []


@pytest.mark.parametrize(("kind", "private"), [
    ("google_calendar", {"visibility": "private"}),
    ("google_calendar", {"visibility": "confidential"}),
    ("outlook_calendar", {"sensitivity": "private"}),
])
def test_a_private_meeting_keeps_only_time_and_guests(make_app: Any, sources: Sources,
                                                      tmp_path: Path, kind: str,
                                                      private: dict[str, str]) -> None:
    app, marker = sync_marked(make_app, sources, kind, "full", private)
    assert places_holding(app.engine, marker) == []
    assert exports_holding(tmp_path / "syncd.yaml", marker) == []
    with session_scope(app.sessions) as session:
        row = session.execute(select(Interaction)).scalar_one()
        assert (row.kind, row.occurred_at is not None, row.ends_at is not None) == (
            "meeting", True, True)


@pytest.mark.parametrize("kind", KINDS)
def test_the_scan_finds_the_marker_at_full_visibility(make_app: Any, sources: Sources,
                                                      kind: str) -> None:
    """The same set-up with ``full``: the scan does see text where text is kept."""
    app, marker = sync_marked(make_app, sources, kind, "full")
    assert "interactions.subject" in places_holding(app.engine, marker)
