"""``syncd verify``: every item the source holds is accounted for, and a real gap is
named by folder, day and id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from syncd.db.models import Interaction, InteractionSource, SourceItem
from syncd.db.session import session_scope
from syncd.runner import run_source
from syncd.verify import describe, verify
from tests.mailfactory import mail, put_maildir
from tests.test_cli import syncd

ALICE = "alice@acme-robotics.com"
BOB = "bob@acme-robotics.com"
DANA = "dana@customer.example"
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def app(make_app: Any, tmp_path: Path) -> Any:
    box = tmp_path / "mail"
    put_maildir(box, mail(DANA, [ALICE], message_id="<order@customer.example>",
                          date=datetime(2026, 3, 2, 10, tzinfo=UTC)))
    put_maildir(box, mail(BOB, [ALICE], message_id="<lunch@acme-robotics.com>"))  # colleagues
    put_maildir(box, mail("eve@blocked.example", [ALICE], message_id="<spam@blocked>"))
    put_maildir(box, mail(ALICE, [DANA, ALICE], message_id="<self@acme-robotics.com>"))
    put_maildir(box, mail(ALICE, [DANA, ALICE], message_id="<self@acme-robotics.com>"),
                folder="Sent")  # the same message, a second copy
    put_maildir(box, mail("frank@other.example", [ALICE], message_id="<frank@other>"))
    put_maildir(box, b"\x00\x01 not a message\n")
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(box), "owner": ALICE}],
                   team={"internal_domains": ["acme-robotics.com"]},
                   capture={"deny": ["*@blocked.example"]})
    result = run_source(app, app.config.source("inbox"))
    assert result.status == "ok" and result.stats.quarantined == 1
    return app


def outcomes(app: Any) -> dict[str, str]:
    with session_scope(app.sessions) as session:
        return dict(session.execute(select(SourceItem.external_id, SourceItem.outcome)).all())


def test_every_item_is_accounted_for_by_what_became_of_it(app: Any) -> None:
    report = verify(app, app.config.source("inbox"), since=SINCE)
    assert report.held == 7 and report.missing == 0
    assert report.outcomes == {"captured": 3, "skipped:internal_conversation": 1,
                               "skipped:deny_list": 1,
                               "copy": 1, "quarantined": 1}
    assert sorted(outcomes(app).values()) == ["copy", "skipped:deny_list",
                                            "skipped:internal_conversation"]
    assert list(describe(report))[-1] == "every item is accounted for"


def test_a_lost_interaction_is_named_by_folder_day_and_id_until_a_full_resync(
        app: Any, tmp_path: Path) -> None:
    with session_scope(app.sessions) as session:
        external = session.execute(select(InteractionSource.external_id).join(
            Interaction, Interaction.id == InteractionSource.interaction_id).where(
            Interaction.key == "order@customer.example")).scalar_one()
        session.execute(delete(Interaction).where(Interaction.key == "order@customer.example"))
    done = syncd(tmp_path / "syncd.yaml", "verify", "inbox", "--since", "2026-01-01", ok=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "INBOX 2026-03-02: 1 of" in done.stdout and external in done.stdout
    assert "1 item(s) missing" in done.stdout

    syncd(tmp_path / "syncd.yaml", "resync", "inbox", "--full", "--quiet")
    done = syncd(tmp_path / "syncd.yaml", "verify", "inbox", "--since", "2026-01-01")
    assert "every item is accounted for" in done.stdout


def test_forgotten_and_dropped_items_stay_accounted_for(app: Any, tmp_path: Path) -> None:
    config = tmp_path / "syncd.yaml"
    syncd(config, "forget", "frank@other.example", "--yes")
    syncd(config, "quarantine", "drop", "--all")
    report = verify(app, app.config.source("inbox"), since=SINCE)
    assert report.missing == 0
    assert report.outcomes["forgotten"] == 1 and report.outcomes["dropped"] == 1


def test_the_window_ends_at_the_last_successful_sync(app: Any, tmp_path: Path) -> None:
    put_maildir(tmp_path / "mail", mail(DANA, [ALICE], message_id="<after@customer.example>",
                                        date=datetime.now(UTC) + timedelta(minutes=1)))
    report = verify(app, app.config.source("inbox"), since=SINCE)
    assert report.held == 7 and report.missing == 0  # arrived after the sync: not a gap
    everything = verify(app, app.config.source("inbox"), since=SINCE,
                        until=datetime.now(UTC).replace(year=2027))
    assert everything.missing == 1 and everything.gaps[0].folder == "INBOX"


def test_a_source_never_synced_is_told_to_sync_first(make_app: Any, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    make_app([{"name": "new", "kind": "maildir", "path": str(tmp_path / "empty")}])
    done = syncd(tmp_path / "syncd.yaml", "verify", "new", ok=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "cannot verify new: new has not been synced yet" in done.stderr
    assert "syncd resync new" in done.stderr
