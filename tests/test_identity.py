"""The pure identity rules: canonical addresses, name keys, evidence and scores."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrichment.addresses import normalize_address
from enrichment.identity import (
    AUTO,
    RARE_NAME,
    REVIEW,
    Evidence,
    acting_for,
    address_fits_name,
    canonical_address,
    company_key,
    expected_namesakes,
    name_keys,
    named_mailbox,
    names_agree,
    numbered_apart,
    numbered_form,
    parse_nicknames,
    score,
    shared_mailbox,
)
from syncd.lists import bundled_text, parse_list

NICKNAMES = parse_nicknames(bundled_text("lists/nicknames.txt"))
SUBADDRESS = frozenset(parse_list(bundled_text("lists/subaddress-domains.txt")))


@pytest.mark.parametrize(("address", "canonical"), [
    ("John.Doe+crm@gmail.com", "johndoe@gmail.com"),
    ("j.o.h.n.doe@googlemail.com", "johndoe@gmail.com"),
    ("jane+news@outlook.com", "jane@outlook.com"),
    ("jane+sales@acme.example", "jane+sales@acme.example"),  # unknown provider: kept
    ("j.doe@acme.example", "j.doe@acme.example"),  # dots only matter at Gmail
    ("anna@bücher.example", "anna@xn--bcher-kva.example"),
    ("+x@outlook.com", "+x@outlook.com"),
])
def test_canonical_addresses(address: str, canonical: str) -> None:
    assert canonical_address(address, SUBADDRESS) == canonical


def test_local_parts_keep_their_case_only_where_configured() -> None:
    legacy = frozenset({"legacy.example"})
    assert normalize_address("John.Doe@Legacy.Example", legacy) == "John.Doe@legacy.example"
    assert normalize_address("John.Doe@Acme.Example", legacy) == "john.doe@acme.example"
    assert normalize_address("John.Doe@Legacy.Example") == "john.doe@legacy.example"
    assert canonical_address("John.Doe@legacy.example", SUBADDRESS, legacy) == \
        "John.Doe@legacy.example"
    assert canonical_address("John.Doe@LEGACY.example", SUBADDRESS) == "john.doe@legacy.example"


@given(st.emails())
def test_canonical_address_is_idempotent(address: str) -> None:
    once = canonical_address(address, SUBADDRESS)
    assert canonical_address(once, SUBADDRESS) == once


def test_nicknames_and_name_keys() -> None:
    assert "robert" in NICKNAMES["bob"] and "william" in NICKNAMES["bill"]
    assert name_keys("Bob Smith", NICKNAMES) & name_keys("Robert Smith", NICKNAMES)
    assert name_keys("SMITH, ROBERT", NICKNAMES) & name_keys("Robert Smith", NICKNAMES)
    assert name_keys("Kate Jones", NICKNAMES) & name_keys("Katherine Jones", NICKNAMES)
    assert not name_keys("R. Smith", NICKNAMES)  # an initial names too many
    assert not name_keys("Bob Smith", NICKNAMES) & name_keys("Robert Smyth", NICKNAMES)
    assert not name_keys("Prince", NICKNAMES)


@pytest.mark.parametrize(("a", "b", "agree"), [
    ("Bob Smith", "Robert Smith", True),
    ("J. Smith", "John Smith", True),
    ("Smith, John", "JOHN SMITH", True),
    ("José Núñez", "Jose Nunez", True),
    ("John Smith", "Jane Smith", False),
    ("John Smith", "John Smyth", True),  # one letter: read as a typo
    ("John Smith", "John Smithers", False),
    ("Davd White", "David White", True),
    ("Joseph Gren", "Joseph Green", True),
    ("Maria Rossi", "Mario Rossi", False),
    ("John Smith", None, None),
    ("Support", "John Smith", None),
])
def test_names_agree(a: str, b: str | None, agree: bool | None) -> None:
    assert names_agree(a, b, NICKNAMES) is agree
    assert names_agree(b, a, NICKNAMES) is agree


@given(st.text(max_size=30), st.text(max_size=30))
def test_names_agree_is_symmetric_and_never_fails(a: str, b: str) -> None:
    assert names_agree(a, b, NICKNAMES) is names_agree(b, a, NICKNAMES)


@pytest.mark.parametrize(("address", "fits"), [
    ("john.doe@acme.example", True), ("jdoe@acme.example", True),
    ("j.doe@acme.example", True), ("doe.john@acme.example", True),
    ("johnd@acme.example", True), ("sales@acme.example", False),
    ("jane.doe@acme.example", False),
])
def test_address_fits_name(address: str, fits: bool) -> None:
    assert address_fits_name(address, "John Doe") is fits


@pytest.mark.parametrize(("address", "fits"), [
    ("joerg.mueller@acme.example", True), ("jorg.muller@acme.example", True),
    ("muellerj@acme.example", True), ("j.mueler@acme.example", False),
    ("juergen.mueller@acme.example", False),
])
def test_an_address_may_write_umlauts_out(address: str, fits: bool) -> None:
    assert address_fits_name(address, "Jörg Müller") is fits


@pytest.mark.parametrize(("address", "fits"), [
    ("bob.smith@acme.example", True), ("smith.bob@acme.example", True),
    ("robert@acme.example", True), ("robertjsmith@acme.example", True),
    ("william.smith@acme.example", False), ("bobby.smyth@acme.example", False),
])
def test_an_address_made_of_a_nickname_fits_the_name(address: str, fits: bool) -> None:
    assert address_fits_name(address, "Robert Smith", NICKNAMES) is fits
    if address.startswith("bob"):  # without the list, Bob is not Robert
        assert not address_fits_name(address, "Robert Smith")


def test_acting_for_names_the_agent_and_the_principal() -> None:
    assert acting_for("Jane Roe on behalf of John Doe") == ("Jane Roe", "John Doe")
    assert acting_for("Anna Weiß im Auftrag von Jörg Krüger") == ("Anna Weiß", "Jörg Krüger")
    assert acting_for("John Doe via LinkedIn") is None  # a gateway, not an assistant
    assert acting_for("John Doe") is None and acting_for(None) is None


def test_scores_combine_kinds_not_repeats() -> None:
    name = Evidence("name_at_account", "smith|robert")
    assert score([name]) == 0.8 and REVIEW <= score([name]) < AUTO
    assert score([name, Evidence("name_at_account", "other")]) == 0.8
    assert score([name, Evidence("address_fits_name", "x")]) >= AUTO
    assert score([Evidence("work_phone", "+1")]) < REVIEW
    assert score([Evidence("linkedin", "in/x")]) >= AUTO


def test_shared_mailboxes_sign_with_three_people() -> None:
    assert shared_mailbox(["Ann Lee", "Bob Ray", "Cy Tan"], NICKNAMES)
    assert not shared_mailbox(["Robert Ray", "Bob Ray", "B. Ray", "Ann Lee"], NICKNAMES)
    assert not shared_mailbox(["Davd White", "David White", "Dvaid White", "Davdi White",
                               "Jennifer Wood on behalf of David White"], NICKNAMES)


def test_company_keys() -> None:
    assert company_key("ACME Corp.") == company_key("Acme Corporation") == \
        company_key("Acme, Inc.") == "acme"
    assert company_key("Acme Robotics GmbH") == "acmerobotics"


def test_a_name_is_rare_by_the_crms_own_counts_of_its_parts() -> None:
    """Two contacts bearing a name are one person in the counts; a CRM of 600 with no
    other Nora and no other Quill makes Nora Quill rare, one of 600 Pats does not, and a
    CRM of 100 cannot tell."""
    assert expected_namesakes(2, 2, 600) <= RARE_NAME
    assert expected_namesakes(602, 2, 600) > RARE_NAME
    assert expected_namesakes(2, 2, 100) > RARE_NAME
    assert expected_namesakes(2, 2, 0) == float("inf")


def test_a_rare_lone_name_merges_a_lone_name_alone_waits() -> None:
    lone = Evidence("lone_name", "quill|nora")
    assert REVIEW <= score([lone, Evidence("same_name", "Nora Quill")]) < AUTO
    assert score([lone, Evidence("rare_name", "quill|nora")]) >= AUTO


@pytest.mark.parametrize(("a", "b", "apart"), [
    ("john.smith@acme.example", "john.smith2@acme.example", True),
    ("jsmith2@acme.example", "jsmith3@acme.example", True),
    ("John.Smith@acme.example", "john.smith@acme.example", False),  # one address
    ("john.smith@acme.example", "john.smith2@other.example", False),  # two domains
    ("john.smith@acme.example", "j.smith@acme.example", False),  # an alias
    ("2@acme.example", "3@acme.example", False),  # nothing but a number
])
def test_addresses_numbered_apart_are_two_people(a: str, b: str, apart: bool) -> None:
    assert numbered_apart(a, b) is apart


@pytest.mark.parametrize(("address", "named"), [
    ("john.doe@acme.example", True), ("jdoe@acme.example", True),
    ("doe.john@acme.example", True), ("bob.smith@acme.example", False),
    ("john@acme.example", False), ("doe@acme.example", False),  # many people's
])
def test_a_named_mailbox_spells_the_full_name(address: str, named: bool) -> None:
    assert named_mailbox(address, "John Doe", NICKNAMES) is named


@pytest.mark.parametrize(("email", "name", "numbered"), [
    ("natalie.johnson2@psi.example", "Natalie Johnson", True),
    ("njohnson3@psi.example", "Natalie Johnson", True),
    ("johnson.natalie@psi.example", "Natalie Johnson", False),
    ("sales2@psi.example", "Natalie Johnson", False),
    ("bob.marley2@psi.example", "Natalie Johnson", False),
    ("2@psi.example", "Natalie Johnson", False),
    ("natalie.johnson2@psi.example", None, False),
])
def test_an_address_numbered_for_a_second_bearer_of_the_name(
        email: str, name: str | None, numbered: bool) -> None:
    assert numbered_form(email, name, {}) is numbered
