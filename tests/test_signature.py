"""Signature detection and field extraction, on examples written for these tests.

Every name, company, address and number below is invented (phone numbers sit in the
ranges numbering plans reserve for fiction where one exists); none is taken from a
labelled corpus. One test per rule, then property tests over wild input.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment import signature_words
from enrichment.quotes import split_reply
from enrichment.signature import Fields, Phone, Signature, find_signature, parse_signature
from enrichment.signature_lines import after_signoff, is_footer
from enrichment.signature_names import closing_name, signs_as


def _sig(text: str, name: str = "", email: str = "") -> str | None:
    found = find_signature(text, name, email)
    if found is not None:
        assert text[found.start : found.start + len(found.text)] == found.text
    return found.text if found else None


# ------------------------------------------------------------------ detection

DELIMITED = (
    "Hi Saoirse,\n\nThe draft is attached.\n\nBest regards,\n\n-- \n"
    "Oskar Lindgren\n"
    "Head of Procurement | Tidewell Systems Inc.\n"
    "T: +1 312 555 0147 | M: +1 312 555 0191\n"
    "oskar.lindgren@tidewell-systems.com\n"
    "www.tidewell-systems.com\n"
    "linkedin.com/in/oskar-lindgren-7/"
)


def test_delimiter_signature_and_fields() -> None:
    sig = find_signature(DELIMITED, "Oskar Lindgren", "oskar.lindgren@tidewell-systems.com")
    start = DELIMITED.index("Oskar Lindgren")
    assert sig == Signature(text=DELIMITED[start:], start=start)
    assert parse_signature(sig.text, "Oskar Lindgren", "oskar.lindgren@tidewell-systems.com") == (
        Fields(
            full_name="Oskar Lindgren",
            job_title="Head of Procurement",
            company="Tidewell Systems Inc.",
            department=None,
            phones=(Phone("+13125550147", "work"), Phone("+13125550191", "mobile")),
            emails=("oskar.lindgren@tidewell-systems.com",),
            website="https://www.tidewell-systems.com",
            linkedin="https://www.linkedin.com/in/oskar-lindgren-7",
            twitter=None,
            address=None,
        )
    )


def test_german_signoff_register_footer_and_national_numbers() -> None:
    text = (
        "Hallo Frau Brandt,\n\nanbei die Zeichnungen.\n\nMit freundlichen Grüßen\n"
        "Dr. Anselm Kröger\nLeiter Qualitätssicherung\nWeserlicht Anlagenbau GmbH\n"
        "Tel.: 0421 5550 1230\nMobil: 0171 5550123\nFax: 0421 5550 1239\n\n"
        "Weserlicht Anlagenbau GmbH · Sitz: Bremen · Amtsgericht Bremen HRB 99999"
    )
    sig = _sig(text, "Anselm Kröger", "a.kroeger@weserlicht.de")
    assert sig == (
        "Dr. Anselm Kröger\nLeiter Qualitätssicherung\nWeserlicht Anlagenbau GmbH\n"
        "Tel.: 0421 5550 1230\nMobil: 0171 5550123\nFax: 0421 5550 1239"
    )
    fields = parse_signature(sig, "Anselm Kröger", "a.kroeger@weserlicht.de")
    assert (fields.full_name, fields.job_title) == ("Anselm Kröger", "Leiter Qualitätssicherung")
    assert fields.company == "Weserlicht Anlagenbau GmbH"
    assert fields.phones == (
        Phone("+4942155501230", "work"),
        Phone("+491715550123", "mobile"),
        Phone("+4942155501239", "fax"),
    )


def test_mobile_footer_ends_the_block_and_capitals_become_normal_case() -> None:
    text = (
        "Bonjour Hugo,\n\nVoici le devis signé.\n\nCordialement,\nMaëlle FONTAINE\n"
        "Directrice des achats\nCordelia Textiles SAS\nTél : 04 78 55 01 23\n"
        "Port. : 06 55 01 23 45\n\nEnvoyé de mon iPhone"
    )
    sig = _sig(text, "Maëlle Fontaine", "m.fontaine@cordelia-textiles.fr")
    assert sig is not None and sig.endswith("Port. : 06 55 01 23 45")
    fields = parse_signature(sig, "Maëlle Fontaine", "m.fontaine@cordelia-textiles.fr")
    assert fields.full_name == "Maëlle Fontaine"
    assert (fields.job_title, fields.company) == ("Directrice des achats", "Cordelia Textiles SAS")
    assert fields.phones == (Phone("+33478550123", "work"), Phone("+33655012345", "mobile"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hola Nuria:\n\nTe confirmo la entrega.\n\nUn saludo,\nTomás Ibarra Solís\n"
            "Jefe de Almacén",
            "Tomás Ibarra Solís\nJefe de Almacén",
        ),
        (
            "Beste Femke,\n\nAkkoord.\n\nMet vriendelijke groet,\nDaan Verhoef\n"
            "Inkoper – Polderlicht B.V.",
            "Daan Verhoef\nInkoper – Polderlicht B.V.",
        ),
        ("Ciao Marco,\n\nva bene.\n\nCordiali saluti\nElena Galli", "Elena Galli"),
        ("Olá Rita,\n\nSegue em anexo.\n\nAtenciosamente,\nCaio Mendes", "Caio Mendes"),
    ],
)
def test_signoffs_in_other_languages(text: str, expected: str) -> None:
    assert _sig(text) == expected


@pytest.mark.parametrize("case", [str.upper, str.lower, str.title])
@pytest.mark.parametrize(
    "signoff", ["Best regards,", "Thanks again!", "Mit freundlichen Grüßen", "Très cordialement"]
)
def test_signoffs_in_any_letter_case(signoff: str, case: Callable[[str], str]) -> None:
    text = f"Hi Ana,\n\nDone.\n\n{case(signoff)}\nMara Olsen\nBuyer, Fenwick Ltd"
    assert _sig(text) == "Mara Olsen\nBuyer, Fenwick Ltd"


@pytest.mark.parametrize(
    "phrases",
    [
        *signature_words.SIGNOFF_PHRASES.values(),
        signature_words.MOBILE_FOOTER_PHRASES,
        signature_words.LEGAL_PHRASES,
        signature_words.REGISTER_PHRASES,
    ],
)
def test_phrases_are_written_in_lower_case(phrases: tuple[str, ...]) -> None:
    """ASCII lines are lower-cased and matched case-sensitively, which relies on this."""
    for phrase in phrases:
        letters = re.sub(r"\\.", "", phrase)  # escapes such as \S are not letters
        assert letters == letters.lower(), phrase


def test_japanese_company_and_title_above_the_name_between_rules() -> None:
    text = (
        "株式会社ヤマブキ工業\n小川様\n\nいつもお世話になっております。\n\n"
        "よろしくお願いいたします。\n\n＝＝＝＝＝＝＝＝＝＝\n株式会社ミズホ精機\n"
        "品質保証部 係長\n森田 一郎（Ichiro Morita）\nTEL: 052-555-0123\n"
        "携帯: 090-5555-0123\n＝＝＝＝＝＝＝＝＝＝"
    )
    sig = _sig(text, "Ichiro Morita", "morita@mizuho-seiki.co.jp")
    assert sig == (
        "株式会社ミズホ精機\n品質保証部 係長\n森田 一郎（Ichiro Morita）\n"
        "TEL: 052-555-0123\n携帯: 090-5555-0123"
    )
    fields = parse_signature(sig, "Ichiro Morita", "morita@mizuho-seiki.co.jp")
    assert (fields.full_name, fields.job_title) == ("森田 一郎", "係長")
    assert fields.company == "株式会社ミズホ精機"
    assert fields.phones == (Phone("+81525550123", "work"), Phone("+819055550123", "mobile"))


def test_chinese_two_line_signoff() -> None:
    text = (
        "赵经理，您好：\n\n样品已寄出。\n\n此致\n敬礼！\n陈立新\n采购部 | 采购经理\n"
        "杭州青禾材料有限公司\n手机：139 5550 1234\n邮箱：chen@qinghe-cl.cn"
    )
    sig = _sig(text, "Lixin Chen", "chen@qinghe-cl.cn")
    assert sig is not None and sig.startswith("陈立新\n")
    fields = parse_signature(sig, "Lixin Chen", "chen@qinghe-cl.cn")
    assert (fields.full_name, fields.job_title) == ("陈立新", "采购经理")
    assert fields.company == "杭州青禾材料有限公司"
    assert fields.phones == (Phone("+8613955501234", "mobile"),)


def test_trailing_block_without_signoff_or_delimiter() -> None:
    text = (
        "Hi Ravi,\n\nThe figures are attached.\n\n"
        "Greta Holm\nController\nBrightwater Foods, Inc.\n(503) 555-0164"
    )
    sig = _sig(text, "Greta Holm", "greta@brightwater-foods.com")
    assert sig == "Greta Holm\nController\nBrightwater Foods, Inc.\n(503) 555-0164"


def test_one_line_signature() -> None:
    line = "Idris Kane | Logistics Planner | Saltmarsh Partners | +1 503 555 0133"
    sig = _sig(f"See you Monday.\n\n{line}", "Idris Kane", "ikane@saltmarsh.co")
    assert sig == line
    fields = parse_signature(line, "Idris Kane", "ikane@saltmarsh.co")
    assert (fields.job_title, fields.company) == ("Logistics Planner", "Saltmarsh Partners")


def test_disclaimer_is_not_part_of_the_signature() -> None:
    text = (
        "Please review.\n\nKind regards,\nFiona Quaid\nBid Manager at Larchmont Surveys\n"
        "Mobile: +44 7700 900123\n\nThis email and any attachments are confidential and "
        "intended solely for the addressee. If you have received this email in error please "
        "notify the sender."
    )
    sig = _sig(text, "Fiona Quaid", "f.quaid@larchmont.co.uk")
    assert sig == "Fiona Quaid\nBid Manager at Larchmont Surveys\nMobile: +44 7700 900123"
    fields = parse_signature(sig, "Fiona Quaid", "f.quaid@larchmont.co.uk")
    assert (fields.job_title, fields.company) == ("Bid Manager", "Larchmont Surveys")


def test_wrapped_notice_below_an_unmarked_signature_is_set_aside() -> None:
    # A notice wrapped by the client: some of its lines carry no legal word at all.
    text = (
        "The revised schedule is attached.\n\n"
        "Tomasz Wierzbicki\nProject Controller\nHalvard Marine AS\n"
        "Tel.: +47 23 96 00 00\ntomasz.w@halvard-marine.no\n"
        "______________________________________________________\n"
        "This message and anything attached to it may hold\n"
        "privileged or confidential information meant for the\n"
        "addressee only. Copying or passing it on is not\n"
        "allowed; if it reached you by mistake, tell the sender and delete\n"
        "it with all\n"
        "copies at once. Views given here are the writer's own and not\n"
        "those of the company."
    )
    sig = _sig(text, "Wierzbicki, Tomasz", "tomasz.w@halvard-marine.no")
    assert sig == (
        "Tomasz Wierzbicki\nProject Controller\nHalvard Marine AS\n"
        "Tel.: +47 23 96 00 00\ntomasz.w@halvard-marine.no"
    )


def test_a_confidential_word_in_the_body_is_no_notice() -> None:
    text = (
        "Dear Priya,\nI am drafting a short piece about how our analysts work with the\n"
        "trading desks. I will treat whatever you tell me as confidential, of course.\n"
        "Could you spare twenty minutes on the phone some day next week for this?\n"
        "Thank you,\nMargit Solberg\n(503) 555-0187"
    )
    assert _sig(text, "", "msolberg@example.net") == "Margit Solberg\n(503) 555-0187"


def test_organisation_signature_without_a_person() -> None:
    text = (
        "The settlement portal will be closed on Friday for maintenance and opens again\n"
        "on Monday morning.\n\n"
        "NORTHGATEonline e-help\nOperations Support\nNorthgate Settlements, Inc.\n"
        "Ph: (312) 555-0114   Fx: (312) 555-0115\nEmail: desk@northgate-settle.com"
    )
    sig = _sig(text, "", "r.okafor@northgate-settle.com")
    assert sig is not None and sig.startswith("NORTHGATEonline e-help\n")
    fields = parse_signature(sig, "", "r.okafor@northgate-settle.com")
    assert fields.phones == (Phone("+13125550114", "work"), Phone("+13125550115", "fax"))


def test_another_companys_block_is_not_the_senders_signature() -> None:
    text = (
        "Hi Tom,\n\nPlease order the spare valves from this supplier from now on.\n\n"
        "Corbel Hydraulics, Inc.\nPh: (312) 555-0160\nEmail: orders@corbel-hydraulics.example"
    )
    assert _sig(text, "", "r.okafor@northgate-settle.com") is None
    assert _sig(text, "", "r.okafor@gmail.com") is None


def test_a_long_record_naming_a_company_is_no_signature() -> None:
    rows = [f"FIELD_{n} = value {n}" for n in range(6)]
    text = "Request logged.\n\n" + "\n".join(
        [*rows, "BUYER_NAME = Coldwater Energy, Inc.", "BUYER_PHONE = (312) 555-0123",
         "BUYER_EMAIL = ops@coldwater.example"]
    )
    assert _sig(text, "Portal Services", "portal@grid-ops.example") is None


def test_copyright_line_is_a_footer() -> None:
    # It names a company ("... Company") but closes a newsletter, not a signature.
    assert is_footer("Copyright 2024 The Daily Ledger Company")
    assert is_footer("© 2023 Brindle Analytics Ltd. All rights reserved.")


def test_contact_block_above_a_bare_closing_name() -> None:
    text = (
        "Dear Oriel,\n\nHere is how to reach me:\n\n"
        "Annika Solvang\nHead of Analytics\nBrackwater Trading Ltd.\n"
        "Phone: (312) 555-0142\nE-mail: asolvang@brackwater.example\n\n"
        "I look forward to seeing you and the rest of the team in Leeds at the end of\n"
        "this month, and to a long talk about the forecasts.\n\nAnnika"
    )
    sig = _sig(text, "Annika K Solvang", "asolvang@brackwater.example")
    assert sig == (
        "Annika Solvang\nHead of Analytics\nBrackwater Trading Ltd.\n"
        "Phone: (312) 555-0142\nE-mail: asolvang@brackwater.example"
    )


def test_someone_elses_contact_block_above_a_closing_name_is_not_taken() -> None:
    text = (
        "Hi Oriel,\n\nPlease call our broker directly:\n\n"
        "Dmitri Halloway\nSenior Broker\nPhone: (312) 555-0177\n"
        "E-mail: dhalloway@fenmark.example\n\nSpeak soon.\n\nAnnika"
    )
    assert _sig(text, "Annika K Solvang", "asolvang@brackwater.example") == "Annika"


def test_vcard_signature() -> None:
    text = (
        "Attached.\n\nThanks,\nBEGIN:VCARD\nVERSION:3.0\nFN:Ada Quist\n"
        "ORG:Quist Analytics Ltd\nTITLE:Office Manager\n"
        "TEL;TYPE=WORK,VOICE:+44 20 7946 0999\nTEL;TYPE=CELL:+44 7700 900456\n"
        "ADR;TYPE=WORK:;;4 Kiln Yard;Leeds;;LS1 4AB;United Kingdom\n"
        "EMAIL:ada@quist-analytics.co.uk\nEND:VCARD"
    )
    sig = _sig(text, "Ada Quist", "ada@quist-analytics.co.uk")
    assert sig is not None and sig.startswith("BEGIN:VCARD") and sig.endswith("END:VCARD")
    assert parse_signature(sig, "Ada Quist", "ada@quist-analytics.co.uk") == Fields(
        full_name="Ada Quist",
        job_title="Office Manager",
        company="Quist Analytics Ltd",
        department=None,
        phones=(Phone("+442079460999", "work"), Phone("+447700900456", "mobile")),
        emails=("ada@quist-analytics.co.uk",),
        website=None,
        linkedin=None,
        twitter=None,
        address="4 Kiln Yard, Leeds, LS1 4AB, United Kingdom",
    )


def test_bare_first_name_after_signoff_takes_the_display_name() -> None:
    text = "Works for me.\n\nThanks,\nWren"
    assert _sig(text, "Wren Abbott", "wren@example.org") == "Wren"
    assert parse_signature("Wren", "Wren Abbott", "wren@example.org").full_name == "Wren Abbott"


@pytest.mark.parametrize(
    ("ending", "name", "email"),
    [
        ("Wendell", "Wendell Oakes", "w.oakes@example.com"),  # a word of the name
        ("Wen", "Wendell Oakes", "w.oakes@example.com"),  # a short form, same initial
        ("W.", "Wendell Oakes", "w.oakes@example.com"),  # the initial alone
        ("WO", "Wendell Oakes", "w.oakes@example.com"),  # initials
        ("WO", "Wendell J. Oakes", "w.oakes@example.com"),  # initials without the middle
        ("Wendell", "", "wendell.oakes@example.com"),  # the name in the address
        ("Wendell", "Oakes", "x@example.com"),  # only a surname known
        ("Wendell and Pia", "Oakes, Wendell", "x@example.com"),  # two people sign
    ],
)
def test_closing_name_without_signoff_ends_the_text(ending: str, name: str, email: str) -> None:
    text = f"Hi Ruth,\n\nThe crane is booked for Monday morning.\n\n{ending}"
    assert _sig(text, name, email) == ending


@pytest.mark.parametrize(
    ("ending", "name", "email"),
    [
        ("Ruth", "Wendell Oakes", "w.oakes@example.com"),  # somebody else's name
        ("Loading Dock Schedule", "", "x@example.com"),  # a heading, sender unknown
        ("Dock and Crane Schedule", "Oakes", "x@example.com"),  # joined words, no names
        ("Agreed", "", "x@example.com"),  # a one-word answer, sender unknown
        ("OK", "", "x@example.com"),
        ("Done", "Dana Vick", "dana@example.com"),  # the given name's initial, still no name
    ],
)
def test_closing_line_that_is_not_the_senders_is_no_signature(
    ending: str, name: str, email: str
) -> None:
    text = f"Hi Ruth,\n\nThe crane is booked for Monday morning.\n\n{ending}"
    assert _sig(text, name, email) is None


def test_closing_name_must_stand_apart_and_end_the_text() -> None:
    unseparated = "The crane is booked for Monday morning.\nWO"
    assert _sig(unseparated, "Wendell Oakes", "w@example.com") is None
    above_ps = "The crane is booked.\n\nWO\n\nP.S. The driver asked for a second key."
    assert _sig(above_ps, "Wendell Oakes", "w@example.com") is None


def test_signoff_and_name_on_one_line_open_the_signature() -> None:
    text = "The crane is booked for Monday morning.\n\nThanks,  Wendell Oakes\n# 312-555-0147"
    sig = _sig(text, "Oakes, Wendell", "w@example.com")
    assert sig == "Thanks,  Wendell Oakes\n# 312-555-0147"
    fields = parse_signature(sig, "Oakes, Wendell", "w@example.com")
    assert fields.full_name == "Wendell Oakes"
    assert [p.e164 for p in fields.phones] == ["+13125550147"]
    assert _sig("See you there.\n\nThanks. WO", "Wendell Oakes", "w@example.com") == "Thanks. WO"


def test_senders_own_address_over_a_phone_is_the_signature() -> None:
    text = "Draft attached.\n\nw.oakes@example.com\n312-555-0147"
    assert _sig(text, "Wendell Oakes", "w.oakes@example.com") == (
        "w.oakes@example.com\n312-555-0147"
    )
    assert _sig(text, "Pia Lund", "pia@example.com") is None


def test_a_link_after_an_image_placeholder_is_a_field() -> None:
    text = (
        "Try the tuning guide first.\n\n\nWendell Oakes\n[image: Profile]about.me/wendell.oakes"
    )
    assert _sig(text) == "Wendell Oakes\n[image: Profile]about.me/wendell.oakes"
    logo_only = "Try the tuning guide first.\n\n\nWendell Oakes\n[image: Logo]"
    assert _sig(logo_only) is None


def test_initials_are_the_name_not_a_title() -> None:
    fields = parse_signature("DG", "Dora Gale", "dora@example.com")
    assert (fields.full_name, fields.job_title) == ("Dora Gale", None)


@pytest.mark.parametrize(
    ("line", "after"),
    [
        ("Thanks, BT", "BT"),
        ("Regards.  Jürgen Weiß", "Jürgen Weiß"),
        ("Your pal, Craig.", "Craig."),
        ("Best regards,", None),
        ("Thanks for the quick reply", None),
        ("Thanks, call me at 5", None),
    ],
)
def test_after_signoff(line: str, after: str | None) -> None:
    assert after_signoff(line) == after


@given(st.text(max_size=60), st.one_of(st.none(), st.text(max_size=40)))
def test_closing_tests_never_raise(closing: str, sender: str | None) -> None:
    assert isinstance(closing_name(closing), bool)
    assert isinstance(signs_as(closing, sender), bool)
    after = after_signoff(closing)
    assert after is None or after in closing


def test_closing_first_name_before_a_full_block_is_not_the_signature() -> None:
    text = (
        "Sounds good.\n\nCheers,\nIlse\n\nIlse Marwick | Head of Community | Kestrel Loop Ltd\n"
        "m +44 7700 900321 | kestrelloop.io"
    )
    sig = _sig(text, "Ilse Marwick", "ilse@kestrelloop.io")
    assert sig == (
        "Ilse Marwick | Head of Community | Kestrel Loop Ltd\nm +44 7700 900321 | kestrelloop.io"
    )


def test_a_lone_dash_is_a_delimiter() -> None:
    """Autocorrect turns "--" into "—"; the closing name above it is not the signature."""
    text = "Here you go.\n\nLG\nMira\n\n—\nMira Falk\nInhaberin\nFalk Studio\n+49 30 5550 1234"
    assert _sig(text, "Mira Falk", "mira@falk-studio.de") == (
        "Mira Falk\nInhaberin\nFalk Studio\n+49 30 5550 1234"
    )


def test_internal_extension_line_stays_in_the_block() -> None:
    assert _sig("Please call me.\n\nThanks,\nBrice\nx4471", "Brice Nolan") == "Brice\nx4471"
    assert _sig("Please call me.\n\nThanks,\nBrice\n3-4471", "Brice Nolan") == "Brice\n3-4471"


def test_signing_authority_marks_are_not_part_of_the_name() -> None:
    text = (
        "Sehr geehrte Damen und Herren,\n\nbitte bestätigen Sie den Termin.\n\n"
        "Mit freundlichen Grüßen\ni.A. Jonas Vierling\n\nVierling Pumpen GmbH\n"
        "Industriestraße 8\n33602 Bielefeld\nTel. 0521 5550 120"
    )
    sig = _sig(text, "Jonas Vierling", "j.vierling@vierling-pumpen.de")
    assert sig is not None and sig.startswith("i.A. Jonas Vierling")
    assert sig.endswith("Tel. 0521 5550 120")
    fields = parse_signature(sig, "Jonas Vierling", "j.vierling@vierling-pumpen.de")
    assert (fields.full_name, fields.company) == ("Jonas Vierling", "Vierling Pumpen GmbH")


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, received.",
        "Confirmed for Friday.\n\nSent from my iPhone",
        "Bien reçu.\n\nVon meinem iPhone gesendet",
        "Confirmed for Friday.\n\nBest regards,",
        "Confirmed.\n\nGet Outlook for iOS",
        "Thanks!\nI will also need the updated forecast by Monday, so please send it over.",
    ],
)
def test_no_signature(text: str) -> None:
    assert find_signature(text, "Oskar Lindgren", "oskar@example.com") is None


def test_signature_in_quoted_history_is_never_read() -> None:
    message = (
        "Thanks, that works.\n\nOn Tue, 3 Mar 2026 at 10:02, Vera Holt <vera@example.com> wrote:\n"
        "> Can we meet Thursday?\n>\n> Vera Holt\n> Sales Director | Holt & Pine Ltd\n"
        "> +44 20 7946 0555\n"
    )
    new_text = split_reply(message).new_text
    assert find_signature(new_text, "Luis Ortega", "luis@example.org") is None


def test_automated_sender_has_no_signature_and_no_name() -> None:
    text = "Your invoice is ready.\n\nThanks,\nThe Paperkite Team\npaperkite.com"
    assert find_signature(text, "Paperkite Billing", "no-reply@paperkite.com") is None
    assert parse_signature("", "Paperkite Billing", "no-reply@paperkite.com").full_name is None


# ------------------------------------------------------------------ names, title, company


def test_empty_signature_falls_back_to_a_personal_display_name() -> None:
    assert parse_signature("", "Quist, Ada", "ada@example.com") == Fields(
        full_name="Ada Quist",
        job_title=None,
        company=None,
        department=None,
        phones=(),
        emails=(),
        website=None,
        linkedin=None,
        twitter=None,
        address=None,
    )
    assert parse_signature("", "Fernhill Learning", "hello@fernhill-learning.com").full_name is None


def test_name_decorations_are_removed() -> None:
    sig = "Dr. Lorna Vick, PhD, CPA (she/her)\nFinancial Controller, Alderbank Digital Ltd"
    fields = parse_signature(sig, "Lorna Vick", "l.vick@alderbank.co.uk")
    assert fields.full_name == "Lorna Vick"
    assert (fields.job_title, fields.company) == ("Financial Controller", "Alderbank Digital Ltd")


def test_a_surname_spelled_like_a_degree_is_kept() -> None:
    fields = parse_signature("Lian Wen Ma\nBuyer", "Lian Wen Ma", "lian@example.com")
    assert fields.full_name == "Lian Wen Ma"


def test_title_with_comma_is_kept_whole() -> None:
    sig = "Corin Vale\nVice President, Strategic Accounts\nMarrow Lane Advisory"
    fields = parse_signature(sig, "Corin Vale", "corin@marrowlane.co.uk")
    assert fields.job_title == "Vice President, Strategic Accounts"
    assert fields.company == "Marrow Lane Advisory"


def test_company_matched_to_the_sender_domain() -> None:
    sig = "Pell Hartigan\nFinancial Controller\nStonereach Data Works\nOffice: +1 617 555 0101"
    fields = parse_signature(sig, "Pell Hartigan", "pell@stonereachdata.com")
    assert fields.company == "Stonereach Data Works"


@pytest.mark.parametrize(
    ("sig", "title", "department"),
    [
        ("Ivo Brandl\nTeamleiter\nEinkauf\nBrandl Pumpen GmbH", "Teamleiter", "Einkauf"),
        ("Ivo Brandl\nMarketing\nSenior Manager", "Senior Manager", "Marketing"),
        ("Ivo Brandl\nPartner\nLegal & Compliance", "Partner", "Legal & Compliance"),
        ("Ivo Brandl\nHead of Procurement", "Head of Procurement", None),
        ("Ivo Brandl\nSales", "Sales", None),
        ("Ivo Brandl\nUfficio Acquisti", None, "Ufficio Acquisti"),
        ("小林 翔\n海外営業本部 第一営業部 部長", "部長", "海外営業本部 第一営業部"),
    ],
)
def test_department_only_when_a_unit_is_named_on_its_own(
    sig: str, title: str | None, department: str | None
) -> None:
    fields = parse_signature(sig, "Ivo Brandl", "ivo@example.com")
    assert (fields.job_title, fields.department) == (title, department)


@pytest.mark.parametrize(
    ("line", "twitter"),
    [
        ("🐦 @lumenhq", "https://x.com/lumenhq"),
        ("Follow us: https://twitter.com/Lumen_HQ/status/1", "https://x.com/Lumen_HQ"),
        ("x.com/lumenhq", "https://x.com/lumenhq"),
        ("Analyst @ Lumen Labs", None),
        ("Instagram: @lumenhq", None),
        ("ivo@lumen.example", None),
    ],
)
def test_twitter_handle(line: str, twitter: str | None) -> None:
    assert parse_signature(f"Ivo Brandl\n{line}").twitter == twitter


@pytest.mark.parametrize(
    ("sig", "address"),
    [
        (
            "Nell Arden\nArden Foods Inc.\n410 Harbor Avenue, Suite 12\nPortland, OR 97201\nUSA\n"
            "T: (503) 555-0170",
            "410 Harbor Avenue, Suite 12, Portland, OR 97201, USA",
        ),
        (
            "Nell Arden\nArden Foods GmbH · Kanalstraße 7 · 20457 Hamburg\nTel. 040 5550 1234",
            "Kanalstraße 7, 20457 Hamburg",
        ),
        ("Nell Arden\nUnit 3, Mill Lane | Leeds LS2 7EW", "Unit 3, Mill Lane, Leeds LS2 7EW"),
        (
            "Nell Arden\nAvenida da Liberdade 110, 1250-146 Lisboa",
            "Avenida da Liberdade 110, 1250-146 Lisboa",
        ),
        (
            "Nell Arden\nAdres: Prinsengracht 12\n1015 DV Amsterdam",
            "Prinsengracht 12, 1015 DV Amsterdam",
        ),
        ("陈立新\n地址：杭州市西湖区文三路90号", "杭州市西湖区文三路90号"),
        (
            "Nell Arden\nAv. Atlântica, 1702 - 3º andar\nRio de Janeiro - RJ, 22021-001",
            "Av. Atlântica, 1702 - 3º andar, Rio de Janeiro - RJ, 22021-001",
        ),
        ("Nell Arden\n(503) 555-0170 Office\n(503) 555-0171 Fax", None),
    ],
)
def test_postal_address(sig: str, address: str | None) -> None:
    assert parse_signature(sig, "Nell Arden", "nell@example.com").address == address


# ------------------------------------------------------------------ phones


def test_phone_region_from_cctld_default_region_and_unlabeled_kinds() -> None:
    uk = parse_signature("Ned Cole\n020 7946 0018\n07911 123456", "Ned Cole", "ned@example.co.uk")
    assert uk.phones == (Phone("+442079460018", "work"), Phone("+447911123456", "mobile"))
    gb = parse_signature("Ned Cole\nTel: 020 7946 0018", "Ned Cole", "ned@gmail.com", "GB")
    assert gb.phones == (Phone("+442079460018", "work"),)
    us = parse_signature("Ned Cole\n(415) 555-0142\nFax: (415) 555-0143", "", "ned@example.com")
    assert us.phones == (Phone("+14155550142", "work"), Phone("+14155550143", "fax"))


def test_phone_region_from_the_country_the_address_names() -> None:
    sig = "Ivo Brandl\nRingstraße 5, 1010 Wien, Österreich\nTel. 01 5550 1234"
    fields = parse_signature(sig, "Ivo Brandl", "ivo@brandl-consulting.com")
    assert fields.phones == (Phone("+43155501234", "work"),)


def test_phone_region_from_an_international_number_in_the_same_signature() -> None:
    sig = "Ivo Brandl\nT +43 1 5550 1234\nF 01 5550 1239"
    fields = parse_signature(sig, "Ivo Brandl", "ivo@brandl-consulting.com")
    assert fields.phones == (Phone("+43155501234", "work"), Phone("+43155501239", "fax"))


def test_label_after_the_number() -> None:
    sig = (
        "Rhea Moss\n(713) 555-0110 Office\n(713) 555-0111 (fax)\n713.555.0112 cell\n"
        "713.555.0113 Facsimile"
    )
    assert parse_signature(sig, "Rhea Moss", "rhea@example.com").phones == (
        Phone("+17135550110", "work"),
        Phone("+17135550111", "fax"),
        Phone("+17135550112", "mobile"),
        Phone("+17135550113", "fax"),
    )


def test_a_label_followed_by_a_number_belongs_to_that_number() -> None:
    sig = "Rhea Moss\nT. +39 02 5550 0671   F. +39 02 5550 0672"
    assert parse_signature(sig, "Rhea Moss", "rhea@example.it").phones == (
        Phone("+390255500671", "work"),
        Phone("+390255500672", "fax"),
    )


def test_labelled_number_need_only_be_possible() -> None:
    """The UK keeps 07700 900xxx for drama: not *valid*, but a labelled mobile number."""
    labelled = parse_signature("Kit Yarrow\nM: 07700 900729", "Kit Yarrow", "kit@example.co.uk")
    assert labelled.phones == (Phone("+447700900729", "mobile"),)
    bare = parse_signature("Kit Yarrow\n07700 900729", "Kit Yarrow", "kit@example.co.uk")
    assert bare.phones == ()


def test_local_number_without_area_code_is_no_phone() -> None:
    assert parse_signature("Kit Yarrow\nPhone: 555-0142", "", "kit@example.com").phones == ()


# ------------------------------------------------------------------ web


def test_emails_lowercased_and_website_skips_social_hosts() -> None:
    sig = (
        "Oskar Lindgren\nE: Oskar.Lindgren@Tidewell-Systems.com\ntwitter.com/oskarl\n"
        "https://tidewell-systems.com/about"
    )
    fields = parse_signature(sig, "Oskar Lindgren", "oskar.lindgren@tidewell-systems.com")
    assert fields.emails == ("oskar.lindgren@tidewell-systems.com",)
    assert fields.website == "https://tidewell-systems.com"
    assert fields.linkedin is None


@pytest.mark.parametrize(
    ("line", "website"),
    [
        ("Web: fernvale.health", "https://fernvale.health"),
        ("cs.northfield.edu", "https://cs.northfield.edu"),
        ("see deploy.sh and notes.pdf", None),
        ("www.deploy.sh", "https://www.deploy.sh"),
        ("v2.5 released", None),
    ],
)
def test_website_hosts_end_in_a_public_suffix(line: str, website: str | None) -> None:
    assert parse_signature(f"Ned Cole\n{line}", "Ned Cole", "ned@example.com").website == website


def test_linkedin_url_is_normalised() -> None:
    sig = "Oskar Lindgren\nhttp://de.linkedin.com/in/oskar-lindgren-7?trk=sig"
    assert parse_signature(sig).linkedin == "https://www.linkedin.com/in/oskar-lindgren-7"


# ------------------------------------------------------------------ properties

_LINES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            "-- ",
            "--",
            "____________",
            "＝＝＝＝＝＝",
            "Best regards,",
            "Thanks,",
            "Mit freundlichen Grüßen",
            "此致",
            "よろしくお願いいたします。",
            "Oskar Lindgren",
            "Wren",
            "VP Sales | Tidewell Systems Inc.",
            "T: +1 312 555 0147 | M: +1 312 555 0191",
            "Tel.: 0421 5550 1230",
            "(713) 555-0111 (fax)",
            "M: 07700 900729",
            "x4471",
            "oskar@example.com",
            "www.example.com",
            "linkedin.com/in/oskar",
            "Sent from my iPhone",
            "This message is confidential and intended for the named recipient only, thank you.",
            "BEGIN:VCARD",
            "FN:Ada Quist",
            "TEL;TYPE=CELL:+44 7700 900456",
            "END:VCARD",
            " - report.pdf",
            "|",
            " · ",
        ]
    ),
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _assert_well_formed(fields: Fields) -> None:
    for phone in fields.phones:
        assert _E164.match(phone.e164)
        assert phonenumbers.is_possible_number(phonenumbers.parse(phone.e164))
        assert phone.kind in {"work", "mobile", "fax", "other"}
    assert all(addr == addr.lower() for addr in fields.emails)
    assert fields.website is None or fields.website.startswith("https://")


@settings(max_examples=300)
@given(st.lists(_LINES, max_size=30).map("\n".join), st.text(max_size=30), st.text(max_size=30))
def test_find_and_parse_never_raise(text: str, name: str, email: str) -> None:
    found = find_signature(text, name, email)
    if found is not None:
        assert 0 <= found.start <= len(text)
        assert found.text and found.text == found.text.strip()
        assert text[found.start : found.start + len(found.text)] == found.text
    _assert_well_formed(parse_signature(found.text if found else text, name, email))


@given(st.text(), st.text(max_size=40), st.emails())
def test_arbitrary_text(text: str, name: str, email: str) -> None:
    found = find_signature(text, name, email)
    if found is not None:
        assert text[found.start : found.start + len(found.text)] == found.text
    _assert_well_formed(parse_signature(text, name, email, default_region="DE"))


def test_work_is_bounded_on_huge_input() -> None:
    """Only the tail is examined, and parse_signature reads a bounded block."""
    body = ("word " * 50 + "\n") * 20_000 + "Best,\nOskar Lindgren\n+1 312 555 0147"
    assert _sig(body) == "Oskar Lindgren\n+1 312 555 0147"
    assert parse_signature("x" * 1_000_000).phones == ()
