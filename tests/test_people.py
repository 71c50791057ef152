from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enrichment.people import clean_display_name, name_from_local_part, split_name


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("John Doe", ("John", "Doe")),
        ("Doe, John", ("John", "Doe")),
        ("Dr. Sabine Köhler", ("Sabine", "Köhler")),
        ("Prof. Dr. Hans Müller", ("Hans", "Müller")),
        ("Megan J. Whitfield", ("Megan", "Whitfield")),
        ("Jean-Baptiste Duval", ("Jean-Baptiste", "Duval")),
        ("Anna van der Berg", ("Anna", "van der Berg")),
        ("Lotte de Vries", ("Lotte", "de Vries")),
        ("Alejandro García López", ("Alejandro", "García López")),
        ("María José Fernández Ruiz", ("María José", "Fernández Ruiz")),
        ("Juan Carlos Pérez", ("Juan Carlos", "Pérez")),
        ("佐藤 健", ("健", "佐藤")),
        ("山田 紗希", ("紗希", "山田")),
        ("王晓明", ("晓明", "王")),
        ("欧阳晨", ("晨", "欧阳")),
        ("Tom", ("Tom", None)),
        ("", (None, None)),
        ("   ", (None, None)),
    ],
)
def test_split_name(full: str, expected: tuple[str | None, str | None]) -> None:
    assert split_name(full) == expected


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ('"Doe, John"', "john@example.com", "John Doe"),
        ("'Jane Roe'", "jane@example.com", "Jane Roe"),
        ("  Anne   Marie  Smith ", "a@example.com", "Anne Marie Smith"),
        ("SVEN WEISSMANN", "svenw@example.de", "Sven Weissmann"),
        ("CABRERA PASTOR, BEATRIZ", "b@example.es", "Beatriz Cabrera Pastor"),
        ("John Doe (via Google Docs)", "drive@example.com", "John Doe"),
        ("John Doe via LinkedIn", "inmail@example.com", "John Doe"),
        ("Maria Via", "maria@example.it", "Maria Via"),
        ("[EXTERNAL] Bob Smith", "bob@example.com", "Bob Smith"),
        ("Bob Smith [EXTERNAL]", "bob@example.com", "Bob Smith"),
        ("Priya Fitzgerald (Harborview)", "p@example.com", "Priya Fitzgerald"),
        ("John Doe, PhD", "jd@example.com", "John Doe"),
        ("Doe, John Q. [mailto:jq@example.com]", "x@example.org", "John Q. Doe"),
        ("Jane Roe <mailto:jr@example.com>", "jr@example.com", "Jane Roe"),
        ("林, 志远", "lin@example.cn", "林志远"),
        ("bob@example.com", "bob@example.com", None),
        ("Bob at bob@example.com", "bob@example.com", None),
        ("BOB@EXAMPLE.COM", "bob@example.com", None),
        ("", "bob@example.com", None),
        ('""', "bob@example.com", None),
        # the family name first in capitals, when the address spells it
        ("FORD Matthew", "ford.matthew@example.com", "Matthew Ford"),
        ("YOSHIDA Yoichi", "yoshiday@example.jp", "Yoichi Yoshida"),
        ("MÜLLER Jörg", "joerg.mueller@example.de", "Jörg Müller"),
        ("O'BRIEN Sean", "sobrien@example.ie", "Sean O'Brien"),
        ("GARCÍA-LÓPEZ María José", "mj.garcia-lopez@example.es", "María José García-López"),
        ("DE LA CRUZ Maria", "maria.delacruz@example.es", "Maria De La Cruz"),
        # ... and not otherwise: the address does not tell, an acronym, a brand, a team
        ("FORD Matthew", "matthew@example.com", "Matthew Ford"),  # a first-name mailbox
        ("FORD Matthew", "info@example.com", "FORD Matthew"),
        ("JP Morgan", "jpmorgan@example.com", "JP Morgan"),
        ("SAP Concur", "noreply@concur.example", "SAP Concur"),
        ("SAP Concur", "concur@sap.example", "SAP Concur"),
        ("IBM Support", "ibm.support@example.com", "IBM Support"),
        ("Jean-Pierre DUPONT", "jp.dupont@example.fr", "Jean-Pierre DUPONT"),
    ],
)
def test_clean_display_name(name: str, email: str, expected: str | None) -> None:
    assert clean_display_name(name, email) == expected


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("john.doe@example.com", "John Doe"),
        ("john_doe@example.com", "John Doe"),
        ("john-doe@example.com", "John Doe"),
        ("john.doe+newsletters@example.com", "John Doe"),
        ("anna.van.berg@example.nl", "Anna van Berg"),
        ("jdoe@example.com", None),
        ("j.doe@example.com", None),
        ("info@example.com", None),
        ("sales.team@example.com", None),
        ("john.doe2@example.com", None),
        ("12345@example.com", None),
        ("john..doe@example.com", None),
        ("", None),
        ("not-an-address", None),
    ],
)
def test_name_from_local_part(email: str, expected: str | None) -> None:
    assert name_from_local_part(email) == expected


@given(st.text(), st.text())
def test_people_helpers_never_raise(text: str, other: str) -> None:
    given_name, family = split_name(text)
    assert given_name is None or isinstance(given_name, str)
    assert family is None or isinstance(family, str)
    cleaned = clean_display_name(text, other)
    assert cleaned is None or ("@" not in cleaned and cleaned == cleaned.strip())
    guessed = name_from_local_part(text)
    assert guessed is None or guessed.replace(" ", "").isalpha()


_WORD = st.text(alphabet=st.characters(whitelist_categories=("Ll",)), min_size=1, max_size=10)


@given(_WORD, _WORD)
def test_fast_path_agrees_with_the_general_parser(first: str, last: str) -> None:
    """The shortcut for plain "Given Family" names must give nameparser's answer."""
    from nameparser import HumanName

    name = f"{first[0].upper()}{first[1:]} {last[0].upper()}{last[1:]}"
    parsed = HumanName(name)
    if parsed.first and parsed.last and not parsed.middle and not parsed.title:
        assert split_name(name) == (parsed.first, parsed.last)
