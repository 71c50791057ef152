"""``syncd forget``: a person or a company is erased, stays erased through a full
resync, and the suppression list holds no address in clear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from typer.testing import CliRunner

from syncd.cli.app import app as cli
from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    Interaction,
    InteractionParticipant,
    SeenAddress,
    Suppression,
)
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.mailfactory import mail, put_maildir
from tests.test_cli import syncd
from tests.test_visibility import KINDS, Sources, places_holding, sync_marked
from tests.test_visibility import sources as sources  # noqa: PLC0414  (the fixture)

ALICE = "alice@acme-robotics.com"
DANA = "dana@customer.example"
ERIN = "erin@customer.example"
FRANK = "frank@other.example"
SIGNED = "Could you quote 40 units?\n\nBest regards,\nDana Scully\nBuyer\nTel. +1 415 555 0199\n"


def mailbox(root: Path) -> None:
    put_maildir(root, mail(DANA, [ALICE], message_id="<d1@customer.example>", body=SIGNED,
                           names={DANA: "Dana Scully"}))
    put_maildir(root, mail(ALICE, [DANA], message_id="<a1@acme-robotics.com>"),
                folder="Sent")
    put_maildir(root, mail(DANA, [ALICE], cc=[ERIN], message_id="<d2@customer.example>"))
    put_maildir(root, mail(FRANK, [ALICE], cc=[DANA], message_id="<f1@other.example>"))


def state(app: Any) -> dict[str, Any]:
    with session_scope(app.sessions) as session:
        return {
            "contacts": set(session.execute(select(ContactEmail.email)).scalars()),
            "interactions": set(session.execute(select(Interaction.key)).scalars()),
            "participants": set(session.execute(
                select(InteractionParticipant.email).distinct()).scalars()),
            "seen": set(session.execute(select(SeenAddress.email)).scalars()),
            "accounts": set(session.execute(select(AccountDomain.domain)).scalars()),
        }


def everything_in_text(app: Any) -> str:
    """Every text column of every table, for a search of what is left."""
    found: list[str] = []
    with session_scope(app.sessions) as session:
        names = inspect(session.get_bind()).get_table_names()
        for table in names:
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                found += [str(value) for value in row if isinstance(value, str)]
    return "\n".join(found)


def test_a_forgotten_person_is_erased_and_never_comes_back(make_app: Any,
                                                           tmp_path: Path) -> None:
    mailbox(tmp_path / "mail")
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    assert run_source(app, app.config.source("inbox")).status == "ok"
    assert DANA in state(app)["contacts"]
    done = syncd(tmp_path / "syncd.yaml", "forget", DANA, "--yes").stdout
    assert "1 contact(s)" in done and "2 interaction(s)" in done
    after = state(app)
    assert after["interactions"] == {"d2@customer.example", "f1@other.example"}
    assert DANA not in after["contacts"] | after["participants"] | after["seen"]
    assert {ERIN, FRANK} <= after["contacts"]
    with session_scope(app.sessions) as session:
        digests = session.execute(select(Suppression.digest)).scalars().all()
    assert len(digests) == 1 and "@" not in digests[0]

    assert run_source(app, app.config.source("inbox"), full=True).status == "ok"
    assert state(app) == after  # a full resync brings nothing of hers back
    leftovers = everything_in_text(app)
    assert DANA not in leftovers and "555 0199" not in leftovers


def test_a_forgotten_company_takes_its_people_and_account(make_app: Any,
                                                          tmp_path: Path) -> None:
    mailbox(tmp_path / "mail")
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    run_source(app, app.config.source("inbox"))
    syncd(tmp_path / "syncd.yaml", "forget", "customer.example", "--yes")
    run_source(app, app.config.source("inbox"), full=True)
    after = state(app)
    assert after["interactions"] == {"f1@other.example"}
    assert after["contacts"] == {ALICE, FRANK}
    assert after["accounts"] == {"other.example"}
    assert not any(email.endswith("customer.example")
                   for email in after["participants"] | after["seen"])
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(Account)).scalar() == 1
        assert session.execute(select(func.count()).select_from(Contact)).scalar() == 2


def test_forgetting_asks_first(make_app: Any, tmp_path: Path) -> None:
    make_app([])
    refused = syncd(tmp_path / "syncd.yaml", "forget", DANA, ok=False)
    assert refused.returncode == 1 and "add --yes" in refused.stdout  # no terminal


@pytest.mark.parametrize("kind", KINDS)
def test_a_forgotten_person_stays_forgotten_through_a_full_resync_of_every_kind(
        make_app: Any, sources: Sources, tmp_path: Path, kind: str) -> None:
    app, marker = sync_marked(make_app, sources, kind, "full")
    forgot = CliRunner().invoke(cli, ["--config", str(tmp_path / "syncd.yaml"), "forget",
                                      DANA, "--yes"])  # in this process: it has the secrets
    assert forgot.exit_code == 0, forgot.output
    result = run_source(app, app.config.source("marked"), full=True)
    assert result.status == "ok", result.error
    assert places_holding(app.engine, DANA) == []
    assert places_holding(app.engine, marker) == []  # her only conversation went with her
