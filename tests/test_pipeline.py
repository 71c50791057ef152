"""The pure decisions: who becomes a person, direction, automation, capture policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import Address, RawMessage
from syncd.config import CapturePolicy, Lists
from syncd.lists import load_lists
from syncd.pipeline import Context, InteractionPlan, plan_message

LISTS = load_lists(Lists())
ALICE = "alice@acme-robotics.com"


def ctx(**policy: object) -> Context:
    return Context("test", frozenset({ALICE}), frozenset({"acme-robotics.com"}),
                   CapturePolicy(**policy), LISTS)  # type: ignore[arg-type]


def message(sender: str, to: list[str], *, cc: list[str] = (), headers: dict[str, str] | None
            = None, text: str = "Hello.\n", mid: str | None = "<Abc.123@Mail.Example.NET>",
            name: str = "", sent: bool | None = None, **kw: object) -> RawMessage:
    return RawMessage(
        external_id="x", message_id=mid, date=datetime(2026, 5, 1, tzinfo=UTC),
        subject="Proposal", sender=Address(sender, name), to=tuple(Address(a) for a in to),
        cc=tuple(Address(a) for a in cc), headers=headers or {}, text=text,
        sent_by_me=sent, **kw)  # type: ignore[arg-type]


def outcomes(plan: InteractionPlan) -> dict[str, tuple[str, str]]:
    return {d.email: (d.outcome, d.rule) for d in plan.decisions}


def test_inbound_customer_becomes_contact_and_colleague_internal() -> None:
    plan = plan_message(message("Megan@Harborview-Analytics.com", [ALICE],
                                cc=["bob@acme-robotics.com"], name="Megan Whitfield"), ctx())
    assert plan.key == "abc.123@mail.example.net"
    assert plan.direction == "inbound"
    assert outcomes(plan) == {
        "megan@harborview-analytics.com": ("contact", "wrote_to_team"),
        ALICE: ("internal", "team_member"),
        "bob@acme-robotics.com": ("internal", "team_member")}
    decision = plan.decisions[0]
    assert decision.account_domain == "harborview-analytics.com"
    names = {(f.email, f.field, f.value, f.method) for f in plan.facts}
    assert ("megan@harborview-analytics.com", "full_name", "Megan Whitfield",
            "display_name") in names


def test_outbound_and_subdomain_account_and_free_mail_has_no_account() -> None:
    plan = plan_message(message(ALICE, ["tom@eu.mail.bigcorp.co.uk", "jane.roe@gmail.com"]),
                        ctx())
    assert plan.direction == "outbound"
    by_email = {d.email: d for d in plan.decisions}
    assert by_email["tom@eu.mail.bigcorp.co.uk"].account_domain == "bigcorp.co.uk"
    assert by_email["tom@eu.mail.bigcorp.co.uk"].rule == "team_wrote_to"
    assert by_email["jane.roe@gmail.com"].outcome == "contact"
    assert by_email["jane.roe@gmail.com"].account_domain is None
    guessed = {(f.email, f.value) for f in plan.facts if f.method == "address"}
    assert ("jane.roe@gmail.com", "Jane Roe") in guessed


def test_sent_folder_flag_makes_outbound_even_from_an_alias() -> None:
    plan = plan_message(message("alice.martin@home.example", ["tom@bigcorp.com"], sent=True),
                        ctx())
    assert plan.direction == "outbound"


@pytest.mark.parametrize(("headers", "reason"), [
    ({"list-unsubscribe": "<mailto:u@x.example>"}, "List-Unsubscribe"),
    ({"precedence": "bulk"}, "Precedence: bulk"),
    ({"auto-submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"list-id": "<news.x.example>"}, "List-Id"),
])
def test_automated_headers_create_no_person(headers: dict[str, str], reason: str) -> None:
    plan = plan_message(message("news@vendor.example", [ALICE], headers=headers), ctx())
    assert plan.automated is not None and reason in plan.automated
    assert outcomes(plan)["news@vendor.example"] == ("automated", "automated_message")
    assert not [f for f in plan.facts if f.email == "news@vendor.example"]


def test_auto_submitted_no_is_a_person() -> None:
    plan = plan_message(message("tom@bigcorp.com", [ALICE],
                                headers={"auto-submitted": "no"}), ctx())
    assert plan.automated is None


@pytest.mark.parametrize("sender", ["noreply@bigcorp.com", "no-reply@x.example",
                                    "MAILER-DAEMON@mx.example.org"])
def test_automated_senders(sender: str) -> None:
    plan = plan_message(message(sender, [ALICE]), ctx())
    assert plan.automated and "automated pattern" in plan.automated
    assert outcomes(plan)[sender.lower()] == ("automated", "automated_sender")


def test_role_address_is_no_person_but_message_is_captured() -> None:
    plan = plan_message(message("info@bigcorp.com", [ALICE], cc=["tom@bigcorp.com"]), ctx())
    assert plan.skipped is None and plan.automated is None
    assert outcomes(plan)["info@bigcorp.com"][0] == "role"
    assert outcomes(plan)["tom@bigcorp.com"] == ("contact", "copied")


def test_allow_list_beats_automation_and_role() -> None:
    plan = plan_message(message("noreply@partner.example", [ALICE]),
                        ctx(allow=("*@partner.example",)))
    assert plan.automated is None
    assert outcomes(plan)["noreply@partner.example"] == ("contact", "allow_list")


def test_deny_list_skips_the_message() -> None:
    plan = plan_message(message("tom@lawfirm.example", [ALICE]), ctx(deny=("lawfirm.example",)))
    assert plan.skipped and plan.skipped.rule == "deny_list"
    assert "lawfirm.example" in plan.skipped.detail


def test_internal_conversation_skipped_unless_enabled() -> None:
    msg = message(ALICE, ["bob@acme-robotics.com"])
    skipped = plan_message(msg, ctx()).skipped
    assert skipped is not None and skipped.rule == "internal_conversation"
    plan = plan_message(msg, ctx(internal_conversations=True))
    assert plan.skipped is None and plan.direction == "internal"


def test_contacts_sent_only_people_the_team_wrote_to() -> None:
    inbound = plan_message(message("tom@bigcorp.com", [ALICE]), ctx(contacts="sent"))
    assert outcomes(inbound)["tom@bigcorp.com"] == ("not_written_to", "capture_contacts_sent")
    outbound = plan_message(message(ALICE, ["tom@bigcorp.com"]), ctx(contacts="sent"))
    assert outcomes(outbound)["tom@bigcorp.com"] == ("contact", "team_wrote_to")
    none = plan_message(message(ALICE, ["tom@bigcorp.com"]), ctx(contacts="none"))
    assert outcomes(none)["tom@bigcorp.com"][0] == "not_captured"


def test_invalid_addresses_are_recorded_not_made_people() -> None:
    plan = plan_message(message("tom@bigcorp.com", [ALICE, "undisclosed-recipients:;",
                                                      "bob@localhost"]), ctx())
    assert outcomes(plan)["bob@localhost"] == ("invalid", "invalid_address")


SIGNED = """Hi Alice,

the numbers look good, let's talk Tuesday.

Best regards,
Megan Whitfield
VP Sales | Harborview Analytics
+1 415 555 0123
"""


@pytest.mark.parametrize(("visibility", "subject", "snippet", "body", "signature_facts"), [
    ("metadata", False, False, False, False),
    ("subject", True, False, False, False),
    ("snippet", True, True, False, True),
    ("full", True, True, True, True),
])
def test_visibility_levels(visibility: str, subject: bool, snippet: bool, body: bool,
                           signature_facts: bool) -> None:
    plan = plan_message(message("megan@harborview-analytics.com", [ALICE], text=SIGNED,
                                name="Megan Whitfield"), ctx(visibility=visibility))
    assert (plan.subject == "Proposal") is subject
    assert (plan.snippet is not None and plan.snippet.startswith("Hi Alice")) is snippet
    assert (plan.body is not None and "Tuesday" in plan.body) is body
    methods = {f.method for f in plan.facts}
    assert ("signature" in methods) is signature_facts
    if signature_facts:
        phones = {f.value for f in plan.facts if f.field.startswith("phone")}
        assert phones == {"+14155550123"}


def test_thread_key_is_the_root_reference_and_missing_id_gets_a_stable_key() -> None:
    reply = message("tom@bigcorp.com", [ALICE], references=("<Root@x>", "<mid@x>"),
                    in_reply_to="<mid@x>")
    assert plan_message(reply, ctx()).thread_key == "root@x"
    one = plan_message(message("tom@bigcorp.com", [ALICE], mid=None), ctx())
    two = plan_message(message("Tom@BigCorp.com", [ALICE], mid=None), ctx())
    assert one.key == two.key and one.key.startswith("sha256:")


def test_lists_can_be_extended_reduced_and_replaced(tmp_path: object) -> None:
    from pathlib import Path

    from syncd.config import ListOverride

    own = Path(str(tmp_path)) / "free.txt"
    own.write_text("# our own list\nmail.example\n")
    lists = load_lists(Lists(
        free_mail_domains=ListOverride(file=own, add=("corp-mail.example",)),
        role_local_parts=ListOverride(add=("vertrieb2",), remove=("info",)),
        automated_senders=ListOverride(add=("*@notify.partner.example",))))
    assert lists.free_mail == {"mail.example", "corp-mail.example"}
    assert lists.is_role("vertrieb2") and not lists.is_role("info")
    context = Context("t", frozenset({ALICE}), frozenset({"acme-robotics.com"}),
                      CapturePolicy(), lists)
    plan = plan_message(message("x@notify.partner.example", [ALICE, "info@bigcorp.com",
                                                             "jo@mail.example"]), context)
    assert plan.automated and "*@notify.partner.example" in plan.automated
    plan = plan_message(message("jo@mail.example", [ALICE, "info@bigcorp.com"]), context)
    decisions = {d.email: d for d in plan.decisions}
    assert decisions["jo@mail.example"].account_domain is None  # now free mail
    assert decisions["info@bigcorp.com"].outcome == "contact"  # no longer a role


def test_bundled_lists_have_sources_and_sensible_content() -> None:
    assert {"gmail.com", "outlook.com", "gmx.de", "yahoo.co.jp"} <= LISTS.free_mail
    assert "harborview-analytics.com" not in LISTS.free_mail
    assert {"info", "support", "sales", "noreply"} & LISTS.role_local_parts >= {
        "info", "support", "sales"}
    for person in ("john.smith@gmail.com", "anna@bigcorp.de", "m.chen@example.com",
                   "mail@joe.example", "jane@email.example.com"):
        assert LISTS.automated_pattern(person) is None, person
