"""``syncd verify`` on the remote kinds: each connector lists what it holds with ids
and dates only (no header or body is read), every synced item is accounted for,
and an interaction lost from the database is named by folder, day and id.

Against a real Dovecot, the Gmail-shaped IMAP server, fake Google and fake
Microsoft, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from connectors.gmail import GMAIL_METADATA
from syncd.db.models import Interaction, InteractionSource
from syncd.db.session import session_scope
from syncd.runner import run_source
from syncd.verify import Report, verify
from tests.dovecot import command_name
from tests.fake_google import FakeGoogle
from tests.fake_microsoft import FakeMicrosoft
from tests.fakes.graph_calendar import Attendee
from tests.gmail_imap import FakeGmail
from tests.mailfactory import mail
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_gmail_metadata import write_key
from tests.test_google_calendar import calendar_source as google_calendar_source
from tests.test_google_calendar import meeting
from tests.test_imap import source as imap_source
from tests.test_outlook_mail import app_only

ALICE = "alice@acme-robotics.com"
DANA = "dana@customer.example"
NOW = datetime.now(UTC).replace(microsecond=0)
SINCE = NOW - timedelta(days=10)
LIST = "gmail.users.messages.list"
GET = "gmail.users.messages.get"
EVENTS = "calendar.events.list"


def customer(n: int, **kw: Any) -> bytes:
    return mail(f"buyer{n}@customer.example", [ALICE], message_id=f"<c{n}@customer.example>",
                subject=f"Order {n}", body=f"Please quote item {n}.\n", **kw)


def sync(app: Any, name: str) -> None:
    result = run_source(app, app.config.source(name))
    assert result.status == "ok", result.error


def check(app: Any, name: str, since: datetime = SINCE) -> Report:
    return verify(app, app.config.source(name), since=since)


def lose(app: Any, key: str) -> str:
    """Delete the interaction keyed ``key`` (its links go with it); its external id."""
    with session_scope(app.sessions) as session:
        external = session.execute(select(InteractionSource.external_id).join(
            Interaction, Interaction.id == InteractionSource.interaction_id).where(
            Interaction.key == key)).scalar_one()
        session.execute(delete(Interaction).where(Interaction.key == key))
    return external


def only_gap(report: Report) -> tuple[str | None, date | None, list[str]]:
    assert report.missing == 1, report
    (gap,) = report.gaps
    return gap.folder, gap.day, gap.missing


def cli(config: Path, *args: str, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), *args],
                          capture_output=True, text=True, check=False,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
                          | (env or {}))


# -- IMAP (Dovecot) -----------------------------------------------------------------------

@pytest.fixture
def imap_app(make_app: Any, dovecot: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("IMAP_TEST_PASSWORD", dovecot.password)
    for n in range(3):
        dovecot.deliver(customer(n))
    dovecot.deliver(mail(ALICE, ["buyer0@customer.example"], message_id="<s1@acme>",
                         subject="Re: Order 0"), folder="Sent")
    dovecot.deliver(customer(9))  # arrived 40 days ago: outside the window
    (old,) = sorted((dovecot.folder_path("INBOX") / "new").iterdir(),
                    key=lambda path: path.name)[-1:]
    long_ago = (NOW - timedelta(days=40)).timestamp()
    os.utime(old, (long_ago, long_ago))
    app = make_app([imap_source(dovecot)])
    sync(app, "imap")
    return app


def test_imap_holdings_are_uids_and_arrival_days_without_content(
        imap_app: Any, dovecot: Any) -> None:
    report = check(imap_app, "imap")
    assert (report.held, report.missing) == (4, 0), report
    assert {(b.folder, b.day, b.held) for b in report.buckets} == {
        ("INBOX", NOW.date(), 3), ("Sent", NOW.date(), 1)}
    session = [command_name(line) for line in dovecot.command_log()[-1]]
    assert session.count("UID FETCH") == 2, session  # one per folder
    fetches = [line for line in dovecot.command_log()[-1] if "UID FETCH" in line.upper()]
    assert all("BODY" not in line.upper() and "INTERNALDATE" in line.upper()
               for line in fetches), fetches
    assert any(" 1:3 " in line for line in fetches), fetches  # UID ranges

    everything = check(imap_app, "imap", since=NOW - timedelta(days=60))
    assert (everything.held, everything.missing) == (5, 0)


def test_imap_a_lost_interaction_is_named_by_folder_day_and_uid(
        imap_app: Any, dovecot: Any, tmp_path: Path) -> None:
    external = lose(imap_app, "c1@customer.example")
    assert only_gap(check(imap_app, "imap")) == ("INBOX", NOW.date(), [external])
    assert external.startswith("INBOX/")

    done = cli(tmp_path / "syncd.yaml", "verify", "imap", "--since", f"{SINCE:%Y-%m-%d}",
               env={"IMAP_TEST_PASSWORD": dovecot.password})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"INBOX {NOW.date()}: 1 of 3 missing: {external}" in done.stdout


def test_imap_on_gmail_lists_all_mail_by_message_id(make_app: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMAIL_TEST_PASSWORD", "secret-word")
    with FakeGmail(ALICE, "secret-word") as server:
        day = NOW - timedelta(days=2)
        server.add(customer(1, date=day), 0x100, 0x1, "\\Inbox", "Customers")
        server.add(mail(ALICE, [DANA], message_id="<r1@acme-robotics.com>", date=day),
                   0x101, 0x1, "\\Sent")
        server.add(customer(2, date=NOW - timedelta(days=30)), 0x102, 0x2, "\\Inbox")
        app = make_app([{"name": "gmail", "kind": "imap", "host": "127.0.0.1",
                         "port": server.port, "security": "plain", "username": ALICE,
                         "password": "${GMAIL_TEST_PASSWORD}", "owner": ALICE}])
        sync(app, "gmail")
        report = check(app, "gmail")
        assert (report.held, report.missing) == (2, 0), report
        assert [(b.folder, b.day) for b in report.buckets] == [
            ("[Gmail]/All Mail", day.date())]
        external = lose(app, "c1@customer.example")
        assert external == "gmail:100"
        assert only_gap(check(app, "gmail")) == ("[Gmail]/All Mail", day.date(), [external])
        fetches = [c.upper() for c in server.commands if " UID FETCH " in c.upper()]
    assert fetches[-1].endswith("(INTERNALDATE X-GM-MSGID)"), fetches


# -- Gmail API ------------------------------------------------------------------------------

@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        yield fake


def fill_gmail(google: FakeGoogle) -> list[date]:
    box = google.mailbox(ALICE)
    days = [NOW - timedelta(hours=1), NOW - timedelta(days=1), NOW - timedelta(days=3)]
    for n, moment in enumerate(days):
        box.add(customer(n, date=moment))
    box.add(customer(7, date=NOW - timedelta(days=2)), ["DRAFT"])
    box.add(customer(8, date=NOW - timedelta(days=2)), ["SPAM"])
    box.add(customer(9, date=NOW - timedelta(days=40)))
    return [moment.date() for moment in days]


def gmail_source(google: FakeGoogle, key: Path, **extra: Any) -> dict[str, Any]:
    return {"name": "gmail", "kind": "gmail", "owner": ALICE,
            "auth": {"type": "service_account", "key_file": str(key), "subject": ALICE},
            "endpoints": {"api": google.gmail_endpoint, "token": google.token_uri}} | extra


def test_gmail_holdings_search_day_by_day_and_read_no_message(
        make_app: Any, google: FakeGoogle, tmp_path: Path) -> None:
    days = fill_gmail(google)
    app = make_app([gmail_source(google, write_key(google, tmp_path / "key.json", None))])
    sync(app, "gmail")
    lists, gets, batches = google.count(LIST), google.count(GET), len(google.batches)
    report = check(app, "gmail")
    assert (report.held, report.missing) == (3, 0), report
    assert sorted(b.day for b in report.buckets if b.day) == sorted(set(days))
    assert {b.folder for b in report.buckets} == {None}
    spanned = (report.until.date() - report.since.date()).days + 1
    assert google.count(LIST) - lists == spanned  # one search a day, no paging
    assert (google.count(GET), len(google.batches)) == (gets, batches)  # nothing read

    external = lose(app, "c1@customer.example")
    assert only_gap(check(app, "gmail")) == (None, days[1], [external])
    done = cli(tmp_path / "syncd.yaml", "verify", "gmail", "--since", f"{SINCE:%Y-%m-%d}")
    assert done.returncode == 1 and external in done.stdout, done.stdout + done.stderr


def test_gmail_metadata_holdings_read_labels_and_dates_only(
        make_app: Any, google: FakeGoogle, tmp_path: Path) -> None:
    """``gmail.metadata`` forbids ``q``: pages of ids, read ``format=minimal``."""
    days = fill_gmail(google)
    key = write_key(google, tmp_path / "metadata.json", {GMAIL_METADATA})
    app = make_app([gmail_source(google, key)], capture={"visibility": "subject"})
    sync(app, "gmail")
    lists, batches = google.count(LIST), len(google.batches)
    report = check(app, "gmail")
    assert (report.held, report.missing) == (3, 0), report
    assert google.count(LIST) - lists == 1
    assert google.batches[batches:] == [5]  # all but the spam one, read once, minimal

    external = lose(app, "c0@customer.example")
    assert only_gap(check(app, "gmail")) == (None, days[0], [external])


# -- Google Calendar ------------------------------------------------------------------------

def test_google_calendar_holdings_list_ids_and_starts_in_one_request(
        make_app: Any, google: FakeGoogle, tmp_path: Path) -> None:
    calendar = google.calendar(ALICE)
    first = NOW - timedelta(weeks=3) + timedelta(hours=1)
    series = calendar.put(meeting(first, DANA, summary="Weekly sync",
                                  recurrence=["RRULE:FREQ=WEEKLY;COUNT=5"]))
    calendar.cancel_occurrence(series["id"], (first + timedelta(weeks=1)).isoformat())
    calendar.put(meeting(NOW - timedelta(days=2), DANA, summary="Pilot"))
    calendar.put(meeting(NOW - timedelta(days=4), DANA, summary="Offsite") | {
        "start": {"date": f"{(NOW - timedelta(days=4)).date()}"},
        "end": {"date": f"{(NOW - timedelta(days=3)).date()}"}})  # all day: skipped
    calendar.put(meeting(NOW - timedelta(days=60), DANA, summary="Long ago"))
    key = write_key(google, tmp_path / "key.json", None)
    app = make_app([google_calendar_source(google, key)])
    sync(app, "cal-alice")
    lists = google.count(EVENTS)
    report = check(app, "cal-alice", since=NOW - timedelta(days=30))
    # weeks 0 and 2 of the series (1 is cancelled, 3 and 4 are ahead), Pilot, Offsite
    assert (report.held, report.missing) == (4, 0), report
    assert google.count(EVENTS) - lists == 1

    external = lose(app, f"ical:{series['iCalUID']}/"
                    f"{(first + timedelta(weeks=2)).strftime('%Y%m%dT%H%M%SZ')}")
    assert only_gap(check(app, "cal-alice", since=NOW - timedelta(days=30))) == (
        None, (first + timedelta(weeks=2)).date(), [external])


# -- Outlook mail -----------------------------------------------------------------------------

@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        fake.add_user(ALICE, "Alice Martin")
        yield fake


def test_outlook_mail_holdings_list_each_folder_without_bodies(
        make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    box = ms.mailbox(ALICE)
    for n in range(4):
        box.add(customer(n, date=NOW - timedelta(days=n + 1)))
    box.add(mail(ALICE, [DANA], message_id="<r1@acme-robotics.com>",
                 date=NOW - timedelta(days=1)))
    box.add(customer(8, date=NOW - timedelta(days=2)), "drafts")
    box.add(customer(9, date=NOW - timedelta(days=40)))
    source = app_only(ms, monkeypatch)
    app = make_app([source])
    sync(app, "alice-mail")
    deltas = ms.count("mail.delta")
    report = check(app, "alice-mail")
    assert (report.held, report.missing) == (5, 0), report
    assert {(b.folder, b.held) for b in report.buckets if b.day == (NOW - timedelta(
        days=1)).date()} == {("inbox", 1), ("sentitems", 1)}
    assert ms.count("mail.messages") == 2 and ms.count("mail.delta") == deltas

    monkeypatch.setattr("connectors.outlook_mail.HELD_PAGE", 2)
    assert check(app, "alice-mail").held == 5
    assert ms.count("mail.messages") == 2 + 2 + 1  # inbox in two pages, sentitems in one

    external = lose(app, "c2@customer.example")
    assert only_gap(check(app, "alice-mail")) == (
        "inbox", (NOW - timedelta(days=3)).date(), [external])
    secret = source["auth"]["client_secret"].strip("${}")
    done = cli(tmp_path / "syncd.yaml", "verify", "alice-mail",
               env={secret: os.environ[secret]})
    assert done.returncode == 1 and external in done.stdout, done.stdout + done.stderr


# -- Outlook calendar -------------------------------------------------------------------------

def test_outlook_calendar_holdings_list_the_view_in_one_request(
        make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> None:
    calendar = ms.calendar(ALICE)
    first = NOW - timedelta(weeks=3) + timedelta(hours=1)
    series = calendar.add("Weekly sync", first, first + timedelta(minutes=30),
                          attendees=[Attendee(DANA, response="accepted")],
                          recurrence={"type": "weekly", "interval": 1, "count": 6})
    calendar.edit_occurrence(series, first + timedelta(weeks=1), is_cancelled=True)
    pilot = NOW - timedelta(days=2)
    calendar.add("Pilot review", pilot, pilot + timedelta(hours=1),
                 attendees=[Attendee(DANA, response="accepted")])
    app = make_app([app_only(ms, monkeypatch, roles=frozenset({"Calendars.Read"})) | {
        "name": "alice-cal", "kind": "outlook_calendar", "backfill": "60d"}])
    sync(app, "alice-cal")
    report = check(app, "alice-cal", since=NOW - timedelta(days=30))
    # weeks 0 and 2 of the series (1 is cancelled, 3 to 5 are ahead) and the pilot
    assert (report.held, report.missing) == (3, 0), report
    assert ms.count("calendar.view") == 1

    with session_scope(app.sessions) as session:
        key = session.execute(select(Interaction.key).where(
            Interaction.occurred_at == pilot)).scalar_one()
    external = lose(app, key)
    assert only_gap(check(app, "alice-cal", since=NOW - timedelta(days=30))) == (
        None, pilot.date(), [external])

