"""End to end through the runner and the store, on SQLite and on PostgreSQL.

Real files, real databases: a Maildir, an mbox and an .eml folder are synced,
changed and synced again, and the database is compared with what it must hold.
"""

from __future__ import annotations

import mailbox
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from syncd.app import App
from syncd.db.models import (
    Account,
    Contact,
    ContactEmail,
    Interaction,
    InteractionSource,
    Observation,
    Quarantine,
    SeenAddress,
    Source,
)
from syncd.db.session import session_scope
from syncd.runner import run_source
from syncd.store import read
from tests.mailfactory import mail, put_maildir

ALICE = "alice@acme-robotics.com"
CRM_TABLES = ("accounts", "account_domains", "contacts", "contact_emails", "contact_phones",
              "seen_addresses", "observations", "interactions", "interaction_sources",
              "interaction_participants", "quarantine")


def snapshot(app: App) -> dict[str, list[Any]]:
    """Every CRM row, so that two states can be compared exactly."""
    with app.engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
                for t in CRM_TABLES}


def count(app: App, model: Any) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def sync(app: App, name: str, **kw: Any) -> Any:
    result = run_source(app, app.config.source(name), **kw)
    assert result.status == "ok", result.error
    return result


def conversation(root: Path) -> None:
    names = {"megan@harborview-analytics.com": "Megan Whitfield", ALICE: "Alice Martin"}
    put_maildir(root, mail("megan@harborview-analytics.com", [ALICE], names=names,
                           message_id="<m1@harborview>", subject="Pilot",
                           body="Hi Alice,\n\nready for the pilot.\n\nBest regards,\n"
                                "Megan Whitfield\nVP Sales, Harborview Analytics\n"
                                "+1 415 555 0123\n"))
    put_maildir(root, mail(ALICE, ["megan@harborview-analytics.com", "tom@harborview-"
                                   "analytics.com"], names=names, message_id="<m2@acme>",
                           subject="Re: Pilot"), folder="Sent")
    put_maildir(root, mail("news@vendor.example", [ALICE], message_id="<n1@vendor>",
                           headers={"List-Unsubscribe": "<mailto:u@vendor.example>"}))
    put_maildir(root, mail(ALICE, ["bob@acme-robotics.com"], message_id="<i1@acme>"))
    put_maildir(root, b"\x00\x01 this is not a message \xff" * 20, new=True)


def test_maildir_first_run_captures_the_right_things(make_app: Any, tmp_path: Path) -> None:
    conversation(tmp_path / "mail")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    result = sync(app, "m")
    assert (result.stats.messages, result.stats.skipped, result.stats.quarantined) == (5, 1, 1)
    assert result.stats.skip_reasons == {"internal_conversation": 1}
    with session_scope(app.sessions) as session:
        contacts = {c["emails"][0]: c for c in read.contacts(session, internal=None)}
        megan = contacts["megan@harborview-analytics.com"]
        assert megan["full_name"] == "Megan Whitfield"
        assert (megan["given_name"], megan["family_name"]) == ("Megan", "Whitfield")
        assert megan["job_title"] == "VP Sales"
        assert (megan["seniority"], megan["department"]) == ("vp", "sales")
        assert megan["phones"] == ["+14155550123"]
        assert megan["account"]["domains"] == ["harborview-analytics.com"]
        assert megan["interaction_count"] == 2
        assert contacts["tom@harborview-analytics.com"]["account"] == megan["account"]
        assert contacts[ALICE]["is_internal"] and contacts[ALICE]["account"] is None
        assert "news@vendor.example" not in contacts
        assert "bob@acme-robotics.com" not in contacts  # only in a skipped internal thread
        assert read.why(session, "news@vendor.example")["outcome"] == "automated"
        sent = session.execute(select(Interaction).where(Interaction.key == "m2@acme")).scalar_one()
        assert sent.direction == "outbound"
        quarantined = session.execute(select(Quarantine)).scalar_one()
        assert "new/" not in quarantined.external_id and quarantined.raw.startswith(b"\x00")
        status = {row["name"]: row for row in read.status(session)}["m"]
        assert status["quarantined"] == 1 and status["state"] == "ok"
        assert status["newest_item_at"] is not None
    assert count(app, Account) == 1


def test_rerun_and_full_resync_change_nothing(make_app: Any, tmp_path: Path) -> None:
    conversation(tmp_path / "mail")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    sync(app, "m")
    before = snapshot(app)
    assert sync(app, "m").stats.messages == 0  # incremental: nothing new is read
    sync(app, "m", full=True)
    assert snapshot(app) == before


def test_new_mail_and_flag_changes_are_incremental(make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    conversation(root)
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE}])
    sync(app, "m")
    delivered = put_maildir(root, mail("tom@harborview-analytics.com", [ALICE],
                                       message_id="<m3@harborview>"), new=True)
    assert sync(app, "m").stats.messages == 1
    delivered.rename(root / "cur" / (delivered.name + ":2,RS"))  # read and answered
    assert sync(app, "m").stats.new_interactions == 0
    with session_scope(app.sessions) as session:
        links = session.execute(select(func.count()).select_from(InteractionSource)).scalar()
    assert links == 4


def test_one_message_in_two_mailboxes_is_one_interaction(make_app: Any,
                                                        tmp_path: Path) -> None:
    data = mail("megan@harborview-analytics.com", [ALICE, "bob@acme-robotics.com"],
                message_id="<shared@harborview>")
    put_maildir(tmp_path / "alice", data)
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "shared.eml").write_bytes(data.replace(b"\n", b"\r\n"))
    app = make_app([
        {"name": "alice", "kind": "maildir", "path": str(tmp_path / "alice"), "owner": ALICE},
        {"name": "bob", "kind": "eml", "path": str(tmp_path / "bob"),
         "owner": "bob@acme-robotics.com"}])
    sync(app, "alice")
    sync(app, "bob")
    assert count(app, Interaction) == 1
    with session_scope(app.sessions) as session:
        row = next(read.interactions(session))
    assert row["sources"] == ["alice", "bob"]


def test_contacts_sent_policy_upgrades_a_person_later(make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    put_maildir(root, mail("tom@bigcorp.com", [ALICE], message_id="<a@bigcorp>"))
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE,
                     "capture": {"contacts": "sent"}}])
    sync(app, "m")
    with session_scope(app.sessions) as session:
        assert read.why(session, "tom@bigcorp.com")["outcome"] == "not_written_to"
    put_maildir(root, mail(ALICE, ["tom@bigcorp.com"], message_id="<b@acme>"), folder="Sent")
    sync(app, "m")
    with session_scope(app.sessions) as session:
        answer = read.why(session, "tom@bigcorp.com")
        assert answer["outcome"] == "contact" and answer["rule"] == "team_wrote_to"
        tom = session.execute(select(ContactEmail.contact_id)
                              .where(ContactEmail.email == "tom@bigcorp.com")).scalar_one()
        timeline = list(read.interactions(session, contact_id=tom))
    assert {t["key"] for t in timeline} == {"a@bigcorp", "b@acme"}  # history joins in


def test_mbox_append_then_rewrite_resyncs_in_full_without_duplicates(
        make_app: Any, tmp_path: Path) -> None:
    box = tmp_path / "archive.mbox"

    def write(numbers: list[int], *, fresh: bool = False) -> None:
        """Written by the stdlib's mbox writer, which escapes body "From " lines."""
        if fresh:
            box.unlink()
        target = mailbox.mbox(box)
        for n in numbers:
            target.add(mail(f"p{n}@bigcorp.com", [ALICE], message_id=f"<mb{n}@bigcorp>",
                            body=f"From the desk of p{n}\nnumber {n}\n"))
        target.close()

    write([1, 2])
    app = make_app([{"name": "box", "kind": "mbox", "path": str(box), "owner": ALICE}])
    assert sync(app, "box").stats.messages == 2
    write([3])
    assert sync(app, "box").stats.messages == 1
    write([2, 3, 4], fresh=True)  # compacted: offsets moved
    result = sync(app, "box")
    assert result.full and result.stats.new_interactions == 1
    assert count(app, Interaction) == 4
    with session_scope(app.sessions) as session:
        bodies = [i.snippet for i in session.execute(select(Interaction)).scalars()]
    assert any(b and "From the desk" in b for b in bodies)  # ">From" unescaped


def test_a_source_that_vanished_fails_loudly_and_keeps_its_cursor(
        make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    conversation(root)
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE}])
    sync(app, "m")
    with session_scope(app.sessions) as session:
        cursor = session.execute(select(Source.cursor)).scalar()
    shutil.rmtree(root)
    result = run_source(app, app.config.source("m"))
    assert result.status == "failed" and "is not a folder" in (result.error or "")
    with session_scope(app.sessions) as session:
        source = session.execute(select(Source)).scalar_one()
        assert source.cursor == cursor and source.state == "failed"
        assert source.last_error == result.error and source.lease_owner is None


def test_counts_of_people(make_app: Any, tmp_path: Path) -> None:
    conversation(tmp_path / "mail")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    sync(app, "m")
    assert count(app, Contact) == 3  # megan, tom, alice (colleague)
    assert count(app, SeenAddress) == 4  # + the newsletter


def test_nul_and_surrogates_are_stored_safely(make_app: Any, tmp_path: Path) -> None:
    """PostgreSQL rejects NUL in text: the message must still be captured."""
    data = mail("tom@bigcorp.com", [ALICE], message_id="<nul@bigcorp>",
                subject="Quote", body="Hello\x00 there\n")
    data = data.replace(b"Subject: Quote", b"Subject: Qu\x00ote")
    put_maildir(tmp_path / "mail", data)
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    assert sync(app, "m").stats.new_interactions == 1
    with session_scope(app.sessions) as session:
        row = session.execute(select(Interaction)).scalar_one()
    assert row.subject == "Qu\ufffdote" and row.snippet == "Hello\ufffd there"


def test_large_attachments_are_not_read_but_late_text_is(make_app: Any,
                                                          tmp_path: Path) -> None:
    """Text first, then a 3 MB attachment: the text is captured. An attachment first
    and the text after it (past the first read): the text is still found."""
    from email.message import EmailMessage

    def message(mid: str, text_first: bool) -> bytes:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Message-ID"] = "tom@bigcorp.com", ALICE, mid
        msg["Subject"], msg["Date"] = "Drawings", "Mon, 02 Mar 2026 09:00:00 +0000"
        msg.make_mixed()
        text = EmailMessage()
        text.set_content("Here are the drawings you asked for.\n")
        blob = EmailMessage()
        blob.set_content(b"\x89PNG" + bytes(range(256)) * 12000, maintype="image",
                         subtype="png", filename="big.png")
        for part in ([text, blob] if text_first else [blob, text]):
            msg.attach(part)
        return bytes(msg)

    put_maildir(tmp_path / "mail", message("<first@bigcorp>", True))
    put_maildir(tmp_path / "mail", message("<last@bigcorp>", False))
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    sync(app, "m")
    with session_scope(app.sessions) as session:
        snippets = dict(session.execute(select(Interaction.key, Interaction.snippet)).all())
    assert snippets == {"first@bigcorp": "Here are the drawings you asked for.",
                        "last@bigcorp": "Here are the drawings you asked for."}


def test_exports_page_through_every_row(make_app: Any, tmp_path: Path) -> None:
    """One announcement to 1,200 customers: more rows than one page of the readers."""
    customers = [f"buyer{i}@firm{i % 40}.example" for i in range(1200)]
    put_maildir(tmp_path / "mail", mail(ALICE, customers, message_id="<big@acme>"),
                folder="Sent")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    assert sync(app, "m").stats.new_contacts == 1201
    with session_scope(app.sessions) as session:
        contacts = list(read.contacts(session, internal=None))
        assert len(contacts) == 1201
        assert len({c["id"] for c in contacts}) == 1201
        assert len(list(read.accounts(session))) == 40
        assert len(list(read.contacts(session, limit=700))) == 700
        participants = next(read.interactions(session))["participants"]
    assert len(participants) == 1201


def test_backfill_and_since_limit_how_far_back(make_app: Any, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    for days in (3, 40, 400):
        put_maildir(tmp_path / "mail", mail("tom@bigcorp.com", [ALICE],
                                            message_id=f"<d{days}@bigcorp>",
                                            date=now - timedelta(days=days)))
    source = {"kind": "maildir", "path": str(tmp_path / "mail"), "owner": ALICE}
    app = make_app([{"name": "recent", **source, "backfill": "365d"},
                    {"name": "all", **source}])

    def keys() -> set[str]:
        with session_scope(app.sessions) as session:
            return set(session.execute(select(Interaction.key)).scalars())

    sync(app, "recent")
    assert keys() == {"d3@bigcorp", "d40@bigcorp"}  # 400 days is out of reach
    sync(app, "all", full=True, since=now - timedelta(days=10))
    with session_scope(app.sessions) as session:
        seen_by_all = set(session.execute(
            select(Interaction.key).join(InteractionSource).join(Source)
            .where(Source.name == "all")).scalars())
    assert seen_by_all == {"d3@bigcorp"}  # --since narrowed this resync
    sync(app, "all", full=True)
    assert keys() == {"d3@bigcorp", "d40@bigcorp", "d400@bigcorp"}


def test_a_held_lease_makes_the_run_wait_and_a_dead_holder_is_replaced(
        make_app: Any, tmp_path: Path) -> None:
    import socket
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from syncd.leases import owner_id

    conversation(tmp_path / "mail")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    sync(app, "m")

    def hold(owner: str) -> None:
        with session_scope(app.sessions) as session:
            session.execute(update(Source).values(
                lease_owner=owner, lease_expires_at=datetime.now(UTC) + timedelta(minutes=5)))

    hold("another-host:4242")  # a live daemon elsewhere
    busy = run_source(app, app.config.source("m"))
    assert busy.status == "busy" and "another syncd process" in (busy.error or "")
    gone = subprocess.Popen(["true"])
    gone.wait()
    namespace = owner_id().split(":")[2].partition("-")[0]
    hold(f"{socket.gethostname()}:{gone.pid}:{namespace}-0")  # a process here that exited
    assert run_source(app, app.config.source("m")).status == "ok"


def signed(title: str, message_id: str, day: int) -> bytes:
    return mail("megan@harborview-analytics.com", [ALICE], message_id=message_id,
                names={"megan@harborview-analytics.com": "Megan Whitfield"},
                date=datetime(2026, 3, day, 9, 0, tzinfo=UTC),
                body=f"Hi Alice,\n\nsee you then.\n\nBest regards,\nMegan Whitfield\n{title}\n"
                     "Harborview Analytics\n+1 415 555 0123\n")


def megan(app: App) -> dict[str, Any]:
    with session_scope(app.sessions) as session:
        return next(c for c in read.contacts(session, internal=None)
                    if c["emails"] == ["megan@harborview-analytics.com"])


def test_a_newer_signature_updates_a_field_and_keeps_the_old_one(make_app: Any,
                                                                  tmp_path: Path) -> None:
    root = tmp_path / "mail"
    put_maildir(root, signed("Sales Manager", "<s1@harborview>", 2))
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE}])
    sync(app, "m")
    assert (megan(app)["job_title"], megan(app)["seniority"]) == ("Sales Manager", "manager")
    put_maildir(root, signed("Director of Finance", "<s2@harborview>", 9))
    sync(app, "m")
    now = megan(app)
    assert (now["job_title"], now["seniority"], now["department"]) == (
        "Director of Finance", "director", "finance")
    with session_scope(app.sessions) as session:
        titles = set(session.execute(select(Observation.value).where(
            Observation.subject_id == now["id"], Observation.field == "job_title")).scalars())
    assert titles == {"Sales Manager", "Director of Finance"}


def test_a_field_set_by_hand_is_never_overwritten(make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    put_maildir(root, signed("Sales Manager", "<s1@harborview>", 2))
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE}])
    sync(app, "m")
    with session_scope(app.sessions) as session:  # what an edit in the CRM records
        moment = datetime(2026, 3, 5, tzinfo=UTC)
        session.add(Observation(subject_type="contact", subject_id=megan(app)["id"],
                                field="job_title", value="Chief Sales Officer",
                                method="manual", confidence=1.0, first_seen_at=moment,
                                last_seen_at=moment))
    put_maildir(root, signed("Director of Finance", "<s2@harborview>", 9))
    sync(app, "m", full=True)
    now = megan(app)
    assert (now["job_title"], now["seniority"], now["department"]) == (
        "Chief Sales Officer", "c-level", "sales")


def test_the_name_a_person_sends_outranks_how_others_address_them(make_app: Any,
                                                                   tmp_path: Path) -> None:
    root, diana = tmp_path / "mail", "diana.mercer@neckartal-logistik.de"
    put_maildir(root, mail(diana, [ALICE], names={diana: "Diana Mercer"},
                           date=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    put_maildir(root, mail(ALICE, [diana], names={diana: "Diana Mrecer"},
                           date=datetime(2026, 3, 9, 9, 0, tzinfo=UTC)), folder="Sent")
    app = make_app([{"name": "m", "kind": "maildir", "path": str(root), "owner": ALICE}])
    sync(app, "m")
    with session_scope(app.sessions) as session:
        (contact,) = [c for c in read.contacts(session) if c["emails"] == [diana]]
        seen = set(session.execute(select(Observation.value, Observation.method).where(
            Observation.subject_id == contact["id"], Observation.field == "full_name")).all())
    assert contact["full_name"] == "Diana Mercer"  # the newer, misspelt one is kept as seen
    assert seen == {("Diana Mercer", "display_name"), ("Diana Mrecer", "addressed_as"),
                    ("Diana Mercer", "address")}  # what the address spells, beside a typo
