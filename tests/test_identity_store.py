"""Identity resolution end to end: mail in, one contact per person and one account per
company out; merges explained, undone exactly, never redone; suggestions for a person;
a field set by hand wins; cost per message independent of the CRM's size."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    Merge,
    Observation,
)
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.mailfactory import mail, put_maildir
from tests.test_cli import syncd

ALICE = "alice@acme-robotics.com"


def signed(name: str, *lines: str) -> str:
    return "Thanks for the quote.\n\nBest regards,\n" + "\n".join([name, *lines]) + "\n"


def deliver(root: Path, sender: str, name: str, body: str, day: int) -> None:
    put_maildir(root, mail(sender, [ALICE], names={sender: name}, body=body,
                           subject="Quote", date=datetime(2026, 3, day, 9, tzinfo=UTC)))


@pytest.fixture
def box(tmp_path: Path) -> Path:
    return tmp_path / "mail"


def build(make_app: Any, box: Path, **extra: Any) -> Any:
    return make_app([{"name": "inbox", "kind": "maildir", "path": str(box),
                      "owner": ALICE}], **extra)


def sync(app: Any) -> None:
    assert run_source(app, app.config.source("inbox")).status == "ok"


def people(app: Any) -> dict[frozenset[str], int]:
    """Each live contact's addresses -> its account id."""
    with session_scope(app.sessions) as session:
        emails: dict[int, set[str]] = {}
        for email, contact_id in session.execute(select(ContactEmail.email,
                                                        ContactEmail.contact_id)):
            emails.setdefault(contact_id, set()).add(email)
        live = dict(session.execute(select(Contact.id, Contact.account_id).where(
            Contact.merged_into_id.is_(None), Contact.is_internal.is_(False))).all())
    return {frozenset(found): live[cid] for cid, found in emails.items() if cid in live}


def contact_of(app: Any, email: str) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(ContactEmail.contact_id).where(
            ContactEmail.email == email)).scalar_one())


def account_of(app: Any, domain: str) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(AccountDomain.account_id).where(
            AccountDomain.domain == domain)).scalar_one())


def test_spellings_of_one_gmail_mailbox_are_one_contact(make_app: Any, box: Path) -> None:
    deliver(box, "john.doe@gmail.com", "John Doe", "Hi.\n", 2)
    deliver(box, "johndoe+crm@googlemail.com", "John Doe", "Hi again.\n", 3)
    deliver(box, "JohnDoe@gmail.com", "J Doe", "Hello.\n", 4)
    app = build(make_app, box)
    sync(app)
    assert set(people(app)) == {frozenset({"john.doe@gmail.com", "johndoe+crm@googlemail.com",
                                           "johndoe@gmail.com"})}
    done = syncd(box.parent / "syncd.yaml", "explain", "contact",
                 str(contact_of(app, "john.doe@gmail.com")))
    assert "same_address johndoe@gmail.com" in done.stdout and "rules" in done.stdout


def test_a_job_change_is_one_person_who_moves_account(make_app: Any, box: Path) -> None:
    mobile = "Mobile: +49 171 5550123"
    deliver(box, "m.weber@alpha-tools.example", "Maria Weber",
            signed("Maria Weber", "Buyer, Alpha Tools GmbH", mobile), 2)
    deliver(box, "maria.weber@beta-werk.example", "Maria Weber",
            signed("Maria Weber", "Head of Purchasing, Beta Werk AG", mobile), 20)
    app = build(make_app, box)
    sync(app)
    ((addresses, account),) = people(app).items()
    assert addresses == {"m.weber@alpha-tools.example", "maria.weber@beta-werk.example"}
    assert account == account_of(app, "beta-werk.example")  # where she writes from now
    with session_scope(app.sessions) as session:
        evidence = session.execute(select(Merge.evidence).where(
            Merge.status == "applied")).scalar_one()
    assert {e["kind"] for e in evidence["found"]} >= {"mobile"}
    timeline = syncd(box.parent / "syncd.yaml", "contacts", "show",
                     str(contact_of(app, "m.weber@alpha-tools.example")))
    assert timeline.stdout.count("Quote") == 2  # the history stays with the person


def test_a_nickname_at_one_company_waits_for_a_person(make_app: Any, box: Path) -> None:
    deliver(box, "bob.smith@gamma-labs.example", "Bob Smith", "Hi.\n", 2)
    deliver(box, "rsmith@gamma-labs.example", "Robert Smith", "Hello.\n", 3)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 2
    config = box.parent / "syncd.yaml"
    listed = syncd(config, "merges", "pending")
    assert "nickname_at_account" in listed.stdout and "address_fits_name" in listed.stdout
    with session_scope(app.sessions) as session:
        (suggestion,) = session.execute(select(Merge.id).where(Merge.status == "pending")
                                        ).scalars()
    syncd(config, "merges", "accept", str(suggestion))
    assert len(people(app)) == 1


def test_names_of_two_people_hold_a_merge_back_and_a_team_mailbox_never_merges(
        make_app: Any, box: Path) -> None:
    phone = "Phone: +44 20 7946 0123"
    deliver(box, "anna.lee@delta-corp.example", "Anna Lee",
            signed("Anna Lee", "Delta Corp", phone, "https://www.linkedin.com/in/annalee"), 2)
    deliver(box, "tom.ray@delta-corp.example", "Tom Ray",
            signed("Tom Ray", "Delta Corp", phone, "https://www.linkedin.com/in/annalee"), 3)
    for day, name in enumerate(["Ann Kim", "Bo Tan", "Cy Roe"], start=4):
        deliver(box, "rfq@delta-corp.example", name, signed(name, "Delta Corp", phone), day)
    deliver(box, "buying@delta-corp.example", "Delta Corp Purchasing", "Order attached.\n", 9)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 4  # nobody merged
    with session_scope(app.sessions) as session:
        held = session.execute(select(Merge.evidence).where(Merge.status == "pending")
                               ).scalars().all()
        shared = set(session.execute(select(ContactEmail.email).join(
            Contact, Contact.id == ContactEmail.contact_id).where(Contact.is_shared)
        ).scalars())
    assert held and all(e.get("held_back") for e in held)
    assert shared == {"rfq@delta-corp.example", "buying@delta-corp.example"}
    config = box.parent / "syncd.yaml"
    listed = syncd(config, "contacts", "list").stdout
    assert "anna.lee@" in listed and "rfq@" not in listed and "buying@" not in listed
    assert "rfq@" in syncd(config, "contacts", "list", "--shared").stdout


def snapshot(app: Any) -> dict[str, Any]:
    with session_scope(app.sessions) as session:
        return {
            "emails": sorted(session.execute(select(ContactEmail.email,
                                                    ContactEmail.contact_id)).all()),
            "phones": sorted(session.execute(select(ContactPhone.contact_id, ContactPhone.e164,
                                                    ContactPhone.kind)).all()),
            "observations": sorted(session.execute(select(
                Observation.subject_type, Observation.subject_id, Observation.field,
                Observation.value, Observation.method)).all()),
            "contacts": sorted(session.execute(select(
                Contact.id, Contact.full_name, Contact.job_title, Contact.account_id,
                Contact.merged_into_id)).all()),
            "domains": sorted(session.execute(select(AccountDomain.domain,
                                                     AccountDomain.account_id)).all())}


def test_unmerge_restores_both_exactly_and_the_rules_do_not_redo_it(
        make_app: Any, box: Path) -> None:
    deliver(box, "kate.jones@epsilon.example", "Kate Jones",
            signed("Kate Jones", "CFO, Epsilon", "Mobile: +1 415 555 0101"), 2)
    deliver(box, "kjones@gmail.com", "Kate Jones", "From home.\n", 3)
    app = build(make_app, box)
    sync(app)
    before = snapshot(app)
    config = box.parent / "syncd.yaml"
    syncd(config, "merge", str(contact_of(app, "kate.jones@epsilon.example")),
          str(contact_of(app, "kjones@gmail.com")))
    assert len(people(app)) == 1
    with session_scope(app.sessions) as session:
        merge_id = session.execute(select(Merge.id).where(Merge.status == "applied")
                                   ).scalar_one()
    syncd(config, "unmerge", str(merge_id))
    assert snapshot(app) == before
    syncd(config, "resync", "--full", "--quiet")
    syncd(config, "resolve", "--all")
    assert len(people(app)) == 2


def test_a_field_set_by_hand_wins_over_every_signature(make_app: Any, box: Path) -> None:
    deliver(box, "lena.fox@zeta.example", "Lena Fox", signed("Lena Fox", "Buyer, Zeta"), 2)
    app = build(make_app, box)
    sync(app)
    config = box.parent / "syncd.yaml"
    lena = str(contact_of(app, "lena.fox@zeta.example"))
    syncd(config, "contacts", "set", lena, "job_title", "Chief Executive Officer")
    deliver(box, "lena.fox@zeta.example", "Lena Fox",
            signed("Lena Fox", "Senior Buyer, Zeta"), 9)
    sync(app)
    shown = syncd(config, "explain", "contact", lena)
    assert "job_title: Chief Executive Officer" in shown.stdout
    assert "Senior Buyer" in shown.stdout and "manual" in shown.stdout
    with session_scope(app.sessions) as session:
        assert session.get(Contact, int(lena)).seniority == "c-level"  # type: ignore[union-attr]
    syncd(config, "contacts", "set", lena, "job_title", "")
    assert "job_title: Senior Buyer" in syncd(config, "explain", "contact", lena).stdout


def test_one_company_under_two_domains_merges_a_subsidiary_does_not(
        make_app: Any, box: Path) -> None:
    deliver(box, "ann.berg@orbit-systems.com", "Ann Berg",
            signed("Ann Berg", "Orbit Systems Inc."), 2)
    deliver(box, "li.wu@orbit-systems.co.uk", "Li Wu", signed("Li Wu", "Orbit Systems Ltd"), 3)
    deliver(box, "max.roe@orbit-systems.de", "Max Roe",
            signed("Max Roe", "Orbit Logistik GmbH"), 4)
    app = build(make_app, box)
    sync(app)
    assert account_of(app, "orbit-systems.com") == account_of(app, "orbit-systems.co.uk")
    assert account_of(app, "orbit-systems.de") != account_of(app, "orbit-systems.com")
    with session_scope(app.sessions) as session:
        live = session.execute(select(Account.id).where(Account.merged_into_id.is_(None))
                               ).scalars().all()
    assert len(live) == 2


def test_domains_declared_one_company_merge_after_resolve_all(make_app: Any,
                                                              box: Path) -> None:
    deliver(box, "eva.lind@nordwind.example", "Eva Lind", "Hi.\n", 2)
    deliver(box, "olaf.berg@nordwind-energy.example", "Olaf Berg", "Hi.\n", 3)
    app = build(make_app, box)
    sync(app)
    assert account_of(app, "nordwind.example") != account_of(app, "nordwind-energy.example")
    app = build(make_app, box, identity={"same_company": [
        ["nordwind.example", "nordwind-energy.example"]]})
    done = syncd(box.parent / "syncd.yaml", "resolve", "--all")
    assert "1 merge(s) made" in done.stdout
    assert account_of(app, "nordwind.example") == account_of(app, "nordwind-energy.example")


def test_resolving_a_message_costs_the_same_whatever_the_crm_holds(
        make_app: Any, tmp_path: Path) -> None:
    """Counted in SQL statements, not time: the new sender's keys are looked up, never
    the tables scanned. (An mbox, read from its last offset, rereads nothing.)"""
    mbox = tmp_path / "archive.mbox"
    app = make_app([{"name": "inbox", "kind": "mbox", "path": str(mbox), "owner": ALICE}])

    def append(sender: str, name: str, mobile: str) -> None:
        data = mail(sender, [ALICE], names={sender: name},
                    body=signed(name, f"Mobile: {mobile}"))
        with mbox.open("ab") as handle:
            handle.write(b"From sender Mon Mar  2 09:00:00 2026\n" + data + b"\n")

    def grow_to(people_count: int, start: int) -> None:
        for n in range(start, people_count):
            append(f"person{n}@company{n % 40}.example", f"Pat Number{n}",
                   f"+1 415 555 {n:04d}")
        sync(app)

    def statements_for_one_more_message(tag: str) -> list[tuple[str, Any]]:
        append(f"new.{tag}@company1.example", f"New {tag.title()}", f"+1 415 556 {len(tag):04d}")
        seen: list[tuple[str, Any]] = []

        def counted(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
            seen.append((statement, params))

        event.listen(app.engine, "before_cursor_execute", counted)
        try:
            sync(app)
        finally:
            event.remove(app.engine, "before_cursor_execute", counted)
        return seen

    grow_to(50, 0)
    small = statements_for_one_more_message("first")
    grow_to(600, 50)
    large = statements_for_one_more_message("second")
    assert len(large) == len(small)
    if app.engine.dialect.name == "sqlite":  # and none of them reads a whole table
        assert scans(app, large) == []


GROWING = ("contacts", "contact_emails", "observations", "match_keys", "merges",
           "interactions", "interaction_participants", "interaction_sources",
           "seen_addresses", "accounts", "account_domains", "contact_phones")


def scans(app: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """The full-table scans SQLite plans for these SELECTs, of tables that grow."""
    found = []
    with app.engine.connect() as connection:
        for statement, params in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                              params).all()
            steps = [str(row[-1]).replace("SCAN TABLE ", "SCAN ") for row in plan]
            found += [f"{step} in {statement[:80]}" for step in steps
                      if step.startswith("SCAN ") and step.split()[1] in GROWING]
    return found


def test_a_reply_from_a_personal_address_in_the_same_thread_is_the_same_person(
        make_app: Any, box: Path) -> None:
    put_maildir(box, mail(ALICE, ["laura.walker@kestrel.example"],
                          names={"laura.walker@kestrel.example": "Laura Walker"},
                          message_id="<offer@acme-robotics.com>", subject="Offer",
                          date=datetime(2026, 3, 2, 9, tzinfo=UTC)), folder="Sent")
    put_maildir(box, mail("laurawalker@hotmail.com", [ALICE],
                          names={"laurawalker@hotmail.com": "laura walker"},
                          subject="Re: Offer", date=datetime(2026, 3, 3, 9, tzinfo=UTC),
                          headers={"In-Reply-To": "<offer@acme-robotics.com>",
                                   "References": "<offer@acme-robotics.com>"}))
    app = build(make_app, box)
    sync(app)
    assert set(people(app)) == {frozenset({"laura.walker@kestrel.example",
                                           "laurawalker@hotmail.com"})}


def test_an_account_unmerge_gives_back_its_domains_and_people(make_app: Any,
                                                              box: Path) -> None:
    deliver(box, "eva.lind@nordwind.example", "Eva Lind",
            signed("Eva Lind", "Nordwind AS"), 2)
    deliver(box, "olaf.berg@nordwind-energy.example", "Olaf Berg",
            signed("Olaf Berg", "Nordwind Energy AS"), 3)
    app = build(make_app, box)
    sync(app)
    before = snapshot(app)
    config = box.parent / "syncd.yaml"
    syncd(config, "merge", "--accounts", str(account_of(app, "nordwind.example")),
          str(account_of(app, "nordwind-energy.example")))
    assert account_of(app, "nordwind.example") == account_of(app, "nordwind-energy.example")
    with session_scope(app.sessions) as session:
        merge_id = session.execute(select(Merge.id).where(Merge.status == "applied")
                                   ).scalar_one()
    shown = syncd(config, "explain", "account", str(account_of(app, "nordwind.example")))
    assert "by_hand" in shown.stdout and "nordwind-energy.example" in shown.stdout
    syncd(config, "unmerge", str(merge_id))
    assert snapshot(app) == before


def pending_evidence(app: Any) -> list[set[str]]:
    with session_scope(app.sessions) as session:
        rows = session.execute(select(Merge.evidence).where(
            Merge.status == "pending", Merge.subject_type == "contact")).scalars().all()
    return [{e["kind"] for e in row["found"]} for row in rows]


def test_a_name_only_one_person_at_a_company_bears_suggests_their_personal_address(
        make_app: Any, box: Path) -> None:
    """Free mail and work under one name nobody else bears: a suggestion, not a merge
    (a namesake the CRM has not met yet would make it wrong)."""
    deliver(box, "nora.quill@kappa-works.example", "Nora Quill", "Hi.\n", 2)
    deliver(box, "noraquill@gmail.com", "Nora Quill", "Hello from home.\n", 3)
    deliver(box, "ivo.hart@lambda-tools.example", "Ivo Hart", "Hi.\n", 4)
    deliver(box, "ivo.hart@outlook.com", "Ivo Hart", "Weekend note.\n", 5)
    deliver(box, "ivo.hart@mu-freight.example", "Ivo Hart", "Another Ivo.\n", 6)
    deliver(box, "ivo.hart@lambda-tools.example", "Ivo Hart", "Still here.\n", 28)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 5  # nothing merged on a name alone
    suggested = pending_evidence(app)
    assert suggested == [{"lone_name", "same_name", "address_fits_name"}]  # Nora only
    config = box.parent / "syncd.yaml"
    listed = syncd(config, "merges", "pending").stdout
    assert "noraquill@gmail.com" in listed or "lone_name" in listed


def test_two_mobiles_keep_one_name_apart(make_app: Any, box: Path) -> None:
    deliver(box, "lea.moss@nu-metals.example", "Lea Moss",
            signed("Lea Moss", "Nu Metals", "Mobile: +44 7700 900123"), 2)
    deliver(box, "lea.moss@gmail.com", "Lea Moss", signed("Lea Moss", "Mobile: +44 7700 900456"),
            3)
    app = build(make_app, box)
    sync(app)
    assert pending_evidence(app) == []


def test_an_assistant_writing_on_behalf_keeps_their_own_name_and_not_the_signature(
        make_app: Any, box: Path) -> None:
    deliver(box, "ceo@omicron-labs.example", "Vera Stone",
            signed("Vera Stone", "CEO", "Omicron Labs",
                   "https://www.linkedin.com/in/vera-stone-1"), 2)
    deliver(box, "pa.jones@omicron-labs.example", "Tim Jones on behalf of Vera Stone",
            signed("Vera Stone", "CEO", "Omicron Labs",
                   "https://www.linkedin.com/in/vera-stone-1"), 3)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 2
    with session_scope(app.sessions) as session:
        assistant = session.get(Contact, contact_of(app, "pa.jones@omicron-labs.example"))
        assert assistant is not None and assistant.full_name == "Tim Jones"
        assert not session.execute(select(Observation.value).where(
            Observation.subject_id == assistant.id, Observation.subject_type == "contact",
            Observation.field == "linkedin")).all()


def test_a_case_sensitive_domain_keeps_two_mailboxes_apart(make_app: Any, box: Path) -> None:
    for sender, day in (("J.Doe@legacy.example", 2), ("j.doe@legacy.example", 3),
                        ("Ann.Ray@acme-metal.example", 4), ("ann.ray@acme-metal.example", 5)):
        deliver(box, sender, "", "Hi.\n", day)
    app = build(make_app, box, identity={"case_sensitive_domains": ["legacy.example"]})
    sync(app)
    assert set(people(app)) >= {frozenset({"J.Doe@legacy.example"}),
                                frozenset({"j.doe@legacy.example"}),
                                frozenset({"ann.ray@acme-metal.example"})}
    found = syncd(box.parent / "syncd.yaml", "why", "J.Doe@legacy.example").stdout
    assert "J.Doe@legacy.example" in found and "is contact" in found


def deliver_on(root: Path, sender: str, name: str, when: datetime) -> None:
    put_maildir(root, mail(sender, [ALICE], names={sender: name}, body="Hi.\n",
                           subject="Quote", date=when))


def test_one_name_at_one_company_after_another_is_suggested_until_both_write_again(
        make_app: Any, box: Path) -> None:
    """A job change: the old address falls silent where the new one starts. Namesakes
    write side by side, which withdraws the suggestion."""
    for month in (1, 2, 3):
        deliver_on(box, "kai.brandt@xi-optics.example", "Kai Brandt",
                   datetime(2026, month, 5, tzinfo=UTC))
    for month in (4, 5):
        deliver_on(box, "kai.brandt@rho-systems.example", "Kai Brandt",
                   datetime(2026, month, 5, tzinfo=UTC))
    for month in (1, 3, 5):  # namesakes in the same months: never suggested
        deliver_on(box, "lis.ek@sigma-tech.example", "Lis Ek", datetime(2026, month, 9, tzinfo=UTC))
        deliver_on(box, "lis.ek@tau-chem.example", "Lis Ek", datetime(2026, month, 10, tzinfo=UTC))
    app = build(make_app, box)
    sync(app)
    assert pending_evidence(app) == [{"succession", "same_name", "address_fits_name"}]
    assert len(people(app)) == 4
    deliver_on(box, "kai.brandt@xi-optics.example", "Kai Brandt",
               datetime(2026, 6, 1, tzinfo=UTC))
    sync(app)
    assert pending_evidence(app) == []


def crowd(box: Path, count: int) -> None:
    """``count`` people at companies, none of them a Quill or a Nora: the CRM that makes
    a name rare or common by its own counts."""
    for n in range(count):
        put_maildir(box, mail(f"pat.number{n}@company{n % 40}.example", [ALICE],
                              names={f"pat.number{n}@company{n % 40}.example":
                                     f"Pat Number{n}"},
                              body="Hi.\n", subject="Quote",
                              date=datetime(2026, 2, 1 + n % 28, 9, tzinfo=UTC)))


def test_a_rare_name_only_one_person_bears_merges_their_personal_address(
        make_app: Any, box: Path) -> None:
    """Among 520 people no other Nora and no other Quill: Nora Quill from free mail is
    the Nora Quill at work, and merges; Pat Wren, a given name 520 others bear, waits."""
    crowd(box, 520)
    deliver(box, "nora.quill@kappa-works.example", "Nora Quill", "Hi.\n", 2)
    deliver(box, "noraquill@gmail.com", "Nora Quill", "Hello from home.\n", 3)
    deliver(box, "pat.wren@lambda-tools.example", "Pat Wren", "Hi.\n", 4)
    deliver(box, "patwren@outlook.com", "Pat Wren", "Weekend note.\n", 5)
    app = build(make_app, box)
    sync(app)
    found = people(app)
    assert frozenset({"nora.quill@kappa-works.example", "noraquill@gmail.com"}) in found
    assert frozenset({"patwren@outlook.com"}) in found
    assert pending_evidence(app) == [{"lone_name", "same_name", "address_fits_name"}]
    explained = syncd(box.parent / "syncd.yaml", "explain", "contact",
                      str(contact_of(app, "noraquill@gmail.com"))).stdout
    assert "rare_name" in explained


def test_a_namesake_met_later_withdraws_a_merge_made_on_a_rare_name(
        make_app: Any, box: Path) -> None:
    """The merge rested on nobody else bearing the name: when another Nora Quill writes
    from work, it is withdrawn (not undone by a person: other evidence may merge again)."""
    crowd(box, 520)
    deliver(box, "nora.quill@kappa-works.example", "Nora Quill", "Hi.\n", 2)
    deliver(box, "noraquill@gmail.com", "Nora Quill", "Hello from home.\n", 3)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 521
    deliver(box, "quill.nora@omega-mills.example", "QUILL Nora", "Hi.\n", 9)
    sync(app)
    found = people(app)
    assert {frozenset({"nora.quill@kappa-works.example"}), frozenset({"noraquill@gmail.com"}),
            frozenset({"quill.nora@omega-mills.example"})} <= set(found)
    with session_scope(app.sessions) as session:
        statuses = session.execute(select(Merge.status).where(
            Merge.subject_type == "contact")).scalars().all()
    assert "withdrawn" in statuses and "applied" not in statuses  # a person may still


def test_one_name_numbered_apart_at_one_company_is_two_people(make_app: Any, box: Path) -> None:
    """lind.tove2@ is the second Tove Lind the company's mail system met: the same name
    at the same account does not join the two."""
    deliver(box, "lind.tove@phi-metals.example", "Tove Lind", "Hi.\n", 2)
    deliver(box, "lind.tove2@phi-metals.example", "Tove Lind", "Hello.\n", 3)
    app = build(make_app, box)
    sync(app)
    assert len(people(app)) == 2
    assert pending_evidence(app) == []


def test_one_persons_mailbox_at_two_domains_of_one_brand_makes_them_one_company(
        make_app: Any, box: Path) -> None:
    """juno.park@ at orbit-works.com and orbit-works.de, signed without a company name:
    the brand alone waits, the same person's mailbox at both merges the accounts (and
    then the person); a first name alone at both (max@) says nothing."""
    deliver(box, "juno.park@orbit-works.com", "Juno Park", "Hi.\n", 2)
    deliver(box, "ida.cole@orbit-works.de", "Ida Cole", "Hi.\n", 3)
    deliver(box, "max@kilo-tools.com", "Max Hill", "Hi.\n", 4)
    deliver(box, "max@kilo-tools.fr", "Max Vane", "Hi.\n", 5)
    app = build(make_app, box)
    sync(app)
    assert account_of(app, "orbit-works.com") != account_of(app, "orbit-works.de")
    deliver(box, "juno.park@orbit-works.de", "Juno Park", "Hello.\n", 9)
    sync(app)
    assert account_of(app, "orbit-works.com") == account_of(app, "orbit-works.de")
    assert frozenset({"juno.park@orbit-works.com", "juno.park@orbit-works.de"}) in people(app)
    assert account_of(app, "kilo-tools.com") != account_of(app, "kilo-tools.fr")


def test_a_numbered_address_withdraws_a_merge_made_on_the_name_at_its_company(
        make_app: Any, box: Path) -> None:
    """n.johnson@ and johnson.natalie@ merge on one name at one company; then the
    company's mail system shows a second Natalie Johnson (johnson.natalie2@, who lists
    n.johnson@ as her own). The name merge is withdrawn, the listed address joins the
    right person, and the name at that company ties nobody from then on."""
    deliver(box, "johnson.natalie@psi-labs.example", "Natalie Johnson", "Hi.\n", 2)
    deliver(box, "n.johnson@psi-labs.example", "Natalie Johnson", "Hello.\n", 3)
    app = build(make_app, box)
    sync(app)
    assert frozenset({"johnson.natalie@psi-labs.example", "n.johnson@psi-labs.example"}) \
        in people(app)
    deliver(box, "johnson.natalie2@psi-labs.example", "Natalie Johnson",
            "Hi,\n\nthe quote.\n\nNatalie Johnson\nAlt: n.johnson@psi-labs.example\n", 9)
    sync(app)
    found = set(people(app))
    assert frozenset({"johnson.natalie@psi-labs.example"}) in found
    assert frozenset({"johnson.natalie2@psi-labs.example", "n.johnson@psi-labs.example"}) \
        in found
    with session_scope(app.sessions) as session:
        withdrawn = session.execute(select(Merge.evidence).where(
            Merge.status == "withdrawn")).scalars().all()
    assert [e["withdrawn"] for e in withdrawn] == [
        "two people bear johnson|natalie at the account"]
    deliver(box, "nat.johnson@psi-labs.example", "Natalie Johnson", "Hey.\n", 12)
    sync(app)
    assert frozenset({"nat.johnson@psi-labs.example"}) in people(app)
