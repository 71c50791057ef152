"""The bundled sample mailbox gives exactly the outcome config/SAMPLE-MAILBOX.md states."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from syncd.db.session import session_scope
from syncd.runner import run_source
from syncd.store import read

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "config" / "SAMPLE-MAILBOX.md").read_text(encoding="utf-8")


def _table(heading: str) -> list[list[str]]:
    """Body rows of the first Markdown table after ``heading``."""
    lines = DOC.split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append([cell.strip() for cell in line.strip("|").split("|")])
    return table[2:]


EXPECTED = {re.sub(r"`", "", row[0]): row for row in _table("### Contacts (15)")}
ACCOUNTS = {row[0].strip("`"): row for row in _table("### Accounts (8)")}


@pytest.fixture
def sample(make_app: Any) -> Any:
    app = make_app([{"name": "sample", "kind": "maildir",
                     "path": str(REPO / "config" / "sample-mailbox"),
                     "owner": "alice@acme-robotics.com"}])
    result = run_source(app, app.config.source("sample"))
    assert result.status == "ok", result.error
    with session_scope(app.sessions) as session:
        yield app, result, session


def test_people_and_accounts(sample: Any) -> None:
    _, result, session = sample
    assert result.stats.quarantined == 1
    contacts = {c["emails"][0]: c for c in read.contacts(session, internal=False)}
    assert set(contacts) == set(EXPECTED)
    for email, row in EXPECTED.items():
        name = row[1].split(" (")[0]
        assert contacts[email]["full_name"] == name, email
        domain = row[2].strip("`")
        account = contacts[email]["account"]
        if domain.startswith("none"):
            assert account is None, email
        else:
            assert account["domains"] == [domain], email
    accounts = {a["domains"][0] for a in read.accounts(session)}
    assert accounts == set(ACCOUNTS)


def test_colleagues_and_non_people(sample: Any) -> None:
    _, _, session = sample
    colleagues = {c["emails"][0] for c in read.contacts(session, internal=True)}
    assert colleagues == {"alice@acme-robotics.com", "bob.keller@acme-robotics.com",
                          "priya.nair@acme-robotics.com", "lena.hofmann@acme-robotics.com"}
    for address in ("ap@harborview-analytics.com", "support@harborview-analytics.com",
                    "info@nordlicht-logistik.de"):
        assert read.why(session, address)["outcome"] == "role", address
    for address in ("mailer-daemon@googlemail.com", "newsletter@intralogistics-brief.com",
                    "noreply@signdesk.io", "invitations@linkedin.com", "jenna@cloudrail.io",
                    "newsletter@nordlicht-logistik.de"):
        assert read.why(session, address)["outcome"] == "automated", address
    assert read.why(session, "thomas.berger@nordlicht-logistik.de") is None


def test_signature_titles_floor(sample: Any) -> None:
    """A regression floor for signature extraction on the sample (not a target)."""
    _, _, session = sample
    titles = {c["emails"][0]: c["job_title"] for c in read.contacts(session)}
    right = [e for e, row in EXPECTED.items()
             if titles.get(e) and titles[e] == row[3].split(";")[0].strip()]
    assert len(right) >= 11, {e: titles.get(e) for e in EXPECTED}
