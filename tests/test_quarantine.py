"""``syncd quarantine list|show|retry|drop``, and the kept-item format retries read.

Rows that an older syncd left (a message it could not parse, an item its pipeline
failed on) are put in the table as such a version would have, then retried.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from connectors.base import Address, Attendee, RawEvent, RawMessage
from syncd import item_json
from syncd.db.models import Interaction, Quarantine
from syncd.db.session import session_scope
from syncd.runner import ensure_source, run_source
from tests.mailfactory import mail, put_maildir
from tests.test_cli import syncd

ALICE = "alice@acme-robotics.com"
DANA = "dana@customer.example"


@pytest.fixture
def app(make_app: Any, tmp_path: Path) -> Any:
    put_maildir(tmp_path / "mail", mail(DANA, [ALICE], message_id="<ok@customer.example>"))
    put_maildir(tmp_path / "mail", b"\x00\x01 garbage, no header at all\n")
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    assert run_source(app, app.config.source("inbox")).stats.quarantined == 1
    return app


def keep(app: Any, external_id: str, raw: bytes, raw_format: str) -> int:
    """A quarantine row as an earlier run of syncd would have left it."""
    source_id = ensure_source(app, app.config.source("inbox"))
    with session_scope(app.sessions) as session:
        row = Quarantine(source_id=source_id, external_id=external_id, reason="old failure",
                         raw=raw, raw_format=raw_format, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        return row.id


def interactions(app: Any) -> set[str]:
    with session_scope(app.sessions) as session:
        return set(session.execute(select(Interaction.key)).scalars())


def in_quarantine(app: Any) -> dict[int, str]:
    with session_scope(app.sessions) as session:
        return dict(session.execute(select(Quarantine.id, Quarantine.reason)).all())


def test_retry_captures_what_can_be_read_and_keeps_what_cannot(app: Any,
                                                               tmp_path: Path) -> None:
    config = tmp_path / "syncd.yaml"
    (garbage,) = in_quarantine(app)
    message = keep(app, "old-1", mail("erin@customer.example", [ALICE],
                                      message_id="<late@customer.example>"), "rfc822")
    item = keep(app, "old-2", item_json.dumps(RawMessage(
        external_id="old-2", message_id="<kept@customer.example>",
        date=datetime(2026, 3, 1, tzinfo=UTC), subject="Kept",
        sender=Address(DANA, "Dana Scully"), to=(Address(ALICE),))), "item")
    provider = keep(app, "gcal:x", b'{"id": "x"}', "json")
    done = syncd(config, "quarantine", "retry", ok=False)
    assert done.returncode == 1  # some are still in
    assert interactions(app) == {"ok@customer.example", "late@customer.example",
                                 "kept@customer.example"}
    left = in_quarantine(app)
    assert set(left) == {garbage, provider}
    assert left[garbage].startswith("retried: ")
    assert "resync inbox --full" in left[provider]
    assert message not in left and item not in left
    again = syncd(config, "quarantine", "retry", str(garbage), ok=False).stdout
    assert "still in" in again


def test_show_list_and_drop(app: Any, tmp_path: Path) -> None:
    config = tmp_path / "syncd.yaml"
    (garbage,) = in_quarantine(app)
    listing = syncd(config, "quarantine", "list", "--source", "inbox").stdout
    assert str(garbage) in listing and "inbox" in listing
    assert "inbox" not in syncd(config, "quarantine", "list", "--source", "other").stdout
    shown = syncd(config, "quarantine", "show", str(garbage)).stdout
    assert "garbage, no header at all" in shown and "raw_format: rfc822" in shown
    assert syncd(config, "quarantine", "drop", ok=False).returncode != 0  # nothing named
    assert "dropped 1 item(s)" in syncd(config, "quarantine", "drop", str(garbage)).stdout
    assert in_quarantine(app) == {}
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(Interaction)).scalar() == 1


def test_a_pipeline_failure_keeps_the_item_for_retry() -> None:
    """The runner keeps a failed item as JSON; it loads back equal, so a retry plans
    exactly what was delivered."""
    event = RawEvent(external_id="gcal:1", ical_uid="u1", start=datetime(2026, 1, 2, 9,
                                                                         tzinfo=UTC),
                     end=datetime(2026, 1, 2, 10, tzinfo=UTC), recurrence_id="20260102",
                     organizer=Attendee(ALICE, "Alice", "accepted"),
                     attendees=(Attendee(DANA, "", "tentative", True),), private=True)
    assert item_json.loads(item_json.dumps(event)) == event
    with pytest.raises(ValueError, match="not a kept item"):
        item_json.loads(b"From: someone\r\n\r\n")


addresses = st.builds(Address, st.emails(), st.text(max_size=20))


@given(st.builds(
    RawMessage, external_id=st.text(max_size=30), message_id=st.none() | st.text(max_size=40),
    date=st.none() | st.datetimes(timezones=st.just(UTC)), subject=st.text(max_size=60),
    sender=st.none() | addresses, to=st.lists(addresses, max_size=3).map(tuple),
    references=st.lists(st.text(max_size=20), max_size=3).map(tuple),
    headers=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20),
                            max_size=3),
    labels=st.lists(st.text(max_size=10), max_size=2).map(tuple),
    sent_by_me=st.none() | st.booleans(), text=st.text(max_size=200),
    html=st.text(max_size=100)))
def test_any_message_survives_the_round_trip(message: RawMessage) -> None:
    assert item_json.loads(item_json.dumps(message)) == message


def test_kept_times_keep_their_zone() -> None:
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(microseconds=5)
    message = RawMessage(external_id="x", message_id=None, date=moment, subject="",
                         sender=None)
    loaded = item_json.loads(item_json.dumps(message))
    assert isinstance(loaded, RawMessage) and loaded.date == moment


@pytest.mark.parametrize(("visibility", "kept"), [("metadata", False), ("subject", False),
                                                  ("snippet", True)])
def test_quarantine_keeps_raw_text_only_where_the_policy_keeps_text(
        make_app: Any, tmp_path: Path, visibility: str, kept: bool) -> None:
    put_maildir(tmp_path / "mail", b"\x00\x01 Subject: quetzal pricing, not a message\n")
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}], capture={"visibility": visibility})
    assert run_source(app, app.config.source("inbox")).stats.quarantined == 1
    with session_scope(app.sessions) as session:
        raw, reason = session.execute(select(Quarantine.raw, Quarantine.reason)).one()
    assert (b"quetzal" in raw) is kept
    assert ("not kept" in reason) is not kept
