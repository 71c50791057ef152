from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.signature import Fields, Phone, Signature, find_signature, parse_signature


def _sig(text: str, name: str = "", email: str = "") -> str | None:
    found = find_signature(text, name, email)
    if found is not None:
        assert text[found.start : found.start + len(found.text)] == found.text
    return found.text if found else None


EN_DELIMITED = (
    "Hi Tom,\n\nThe contract is attached.\n\nBest regards,\n\n-- \n"
    "Ana Ruiz\n"
    "Head of Partnerships | Northwind Labs Inc.\n"
    "T: +1 415 555 0132 | M: +1 415 555 0199\n"
    "ana.ruiz@northwind-labs.com\n"
    "www.northwind-labs.com\n"
    "linkedin.com/in/ana-ruiz-42/"
)


def test_delimiter_signature_and_fields() -> None:
    sig = find_signature(EN_DELIMITED, "Ana Ruiz", "ana.ruiz@northwind-labs.com")
    assert sig == Signature(text=EN_DELIMITED[EN_DELIMITED.index("Ana Ruiz") :], start=55)
    assert parse_signature(sig.text, "Ana Ruiz", "ana.ruiz@northwind-labs.com") == Fields(
        full_name="Ana Ruiz",
        job_title="Head of Partnerships",
        company="Northwind Labs Inc.",
        phones=(Phone("+14155550132", "work"), Phone("+14155550199", "mobile")),
        emails=("ana.ruiz@northwind-labs.com",),
        website="https://www.northwind-labs.com",
        linkedin="https://www.linkedin.com/in/ana-ruiz-42",
    )


def test_german_signoff_register_footer_and_national_numbers() -> None:
    text = (
        "Hallo Herr Weber,\n\nanbei das Angebot.\n\nMit freundlichen Grüßen\n"
        "Dr. Jörg Müller\nLeiter Einkauf\nRheinblick Maschinenbau GmbH\n"
        "Tel.: 0221 4711 2030\nMobil: 0171 2345678\nFax: 0221 4711 2039\n\n"
        "Rheinblick Maschinenbau GmbH · Sitz: Köln · Amtsgericht Köln HRB 12345"
    )
    sig = _sig(text, "Jörg Müller", "j.mueller@rheinblick.de")
    assert sig == (
        "Dr. Jörg Müller\nLeiter Einkauf\nRheinblick Maschinenbau GmbH\n"
        "Tel.: 0221 4711 2030\nMobil: 0171 2345678\nFax: 0221 4711 2039"
    )
    assert parse_signature(sig, "Jörg Müller", "j.mueller@rheinblick.de") == Fields(
        full_name="Jörg Müller",
        job_title="Leiter Einkauf",
        company="Rheinblick Maschinenbau GmbH",
        phones=(
            Phone("+4922147112030", "work"),
            Phone("+491712345678", "mobile"),
            Phone("+4922147112039", "fax"),
        ),
        emails=(),
        website=None,
        linkedin=None,
    )


def test_french_signature_without_mobile_footer_and_capitalised_family_name() -> None:
    text = (
        "Bonjour Paul,\n\nVoici le devis.\n\nCordialement,\nClaire MARTIN\n"
        "Directrice commerciale\nAtelier Lumière SARL\nTél : 01 44 55 66 77\n"
        "Port. : 06 12 34 56 78\n\nEnvoyé de mon iPhone"
    )
    sig = _sig(text, "Claire Martin", "claire@atelier-lumiere.fr")
    assert sig is not None and sig.endswith("Port. : 06 12 34 56 78")
    fields = parse_signature(sig, "Claire Martin", "claire@atelier-lumiere.fr")
    assert fields.full_name == "Claire Martin"
    assert fields.job_title == "Directrice commerciale"
    assert fields.company == "Atelier Lumière SARL"
    assert fields.phones == (Phone("+33144556677", "work"), Phone("+33612345678", "mobile"))


def test_spanish_and_dutch_signoffs() -> None:
    es = "Hola Pablo:\n\nTe confirmo la reunión.\n\nUn saludo,\nLucía Gómez Pérez\nJefa de Compras"
    assert _sig(es, "Lucía Gómez Pérez", "lucia@moliner.es") == "Lucía Gómez Pérez\nJefa de Compras"
    nl = (
        "Beste Joris,\n\nDank voor de offerte.\n\nMet vriendelijke groet,\nLotte van Dijk\n"
        "Inkoper – Grachtwerk Advies B.V.\nT 020 555 0423"
    )
    sig = _sig(nl, "Lotte van Dijk", "lotte.vandijk@grachtwerk.nl")
    assert sig == "Lotte van Dijk\nInkoper – Grachtwerk Advies B.V.\nT 020 555 0423"
    fields = parse_signature(sig, "Lotte van Dijk", "lotte.vandijk@grachtwerk.nl")
    assert (fields.job_title, fields.company) == ("Inkoper", "Grachtwerk Advies B.V.")
    assert fields.phones == (Phone("+31205550423", "work"),)


def test_japanese_signature_between_decorative_rules() -> None:
    text = (
        "株式会社サクラ商事\n田中様\n\nいつもお世話になっております。\n\nよろしくお願いいたします。\n\n"
        "＝＝＝＝＝＝＝＝＝＝＝＝\n佐藤 健（Ken Sato）\n株式会社ミナト精工\n営業部 課長\n"
        "TEL: 03-5555-1234\n携帯: 090-1234-5678\n＝＝＝＝＝＝＝＝＝＝＝＝"
    )
    sig = _sig(text, "Ken Sato", "ken.sato@minato-seiko.co.jp")
    assert sig == (
        "佐藤 健（Ken Sato）\n株式会社ミナト精工\n営業部 課長\n"
        "TEL: 03-5555-1234\n携帯: 090-1234-5678"
    )
    assert parse_signature(sig, "Ken Sato", "ken.sato@minato-seiko.co.jp") == Fields(
        full_name="佐藤 健",
        job_title="課長",
        company="株式会社ミナト精工",
        phones=(Phone("+81355551234", "work"), Phone("+819012345678", "mobile")),
        emails=(),
        website=None,
        linkedin=None,
    )


def test_chinese_two_line_signoff() -> None:
    text = (
        "李经理，您好：\n\n合同已收到。\n\n此致\n敬礼！\n王晓明\n销售部 | 销售经理\n"
        "上海星河科技有限公司\n手机：139 1234 5678\n邮箱：wang@xinghe-tech.cn"
    )
    sig = _sig(text, "Xiaoming Wang", "wang@xinghe-tech.cn")
    assert sig is not None and sig.startswith("王晓明\n")
    fields = parse_signature(sig, "Xiaoming Wang", "wang@xinghe-tech.cn")
    assert fields.full_name == "王晓明"
    assert fields.job_title == "销售经理"
    assert fields.company == "上海星河科技有限公司"
    assert fields.phones == (Phone("+8613912345678", "mobile"),)
    assert fields.emails == ("wang@xinghe-tech.cn",)


def test_trailing_block_without_signoff_or_delimiter() -> None:
    text = (
        "Hi Tom,\n\nThe invoice is attached.\n\n"
        "Megan Whitfield\nVP Sales\nHarborview Analytics, Inc.\n(415) 555-0142"
    )
    sig = _sig(text, "Megan Whitfield", "megan@harborview-analytics.com")
    assert sig == "Megan Whitfield\nVP Sales\nHarborview Analytics, Inc.\n(415) 555-0142"


def test_one_line_signature() -> None:
    line = "Elliot Vance | Supply Chain Analyst | Orchard Street Partners | +1 415 555 0186"
    text = f"See you Monday.\n\n{line}"
    sig = _sig(text, "Elliot Vance", "evance@orchardstreet.co")
    assert sig == line
    fields = parse_signature(sig or "", "Elliot Vance", "evance@orchardstreet.co")
    assert (fields.job_title, fields.company) == ("Supply Chain Analyst", "Orchard Street Partners")


def test_disclaimer_is_not_part_of_the_signature() -> None:
    text = (
        "Please review.\n\nKind regards,\nRachel Stone\n"
        "Sales Engineer at Foxglove Clinical Research\nMobile: +44 7911 123456\n\n"
        "This email and any attachments are confidential and intended solely for the "
        "addressee. If you have received this email in error please notify the sender."
    )
    sig = _sig(text, "Rachel Stone", "r.stone@foxglove-cr.co.uk")
    assert sig == (
        "Rachel Stone\nSales Engineer at Foxglove Clinical Research\nMobile: +44 7911 123456"
    )
    fields = parse_signature(sig or "", "Rachel Stone", "r.stone@foxglove-cr.co.uk")
    assert (fields.job_title, fields.company) == ("Sales Engineer", "Foxglove Clinical Research")


def test_vcard_signature() -> None:
    text = (
        "Attached.\n\nThanks,\nBEGIN:VCARD\nVERSION:3.0\nFN:Priya Shah\n"
        "ORG:Foxglove Research Ltd\nTITLE:Office Manager\n"
        "TEL;TYPE=WORK,VOICE:+44 20 7946 0831\nTEL;TYPE=CELL:+44 7911 123456\n"
        "EMAIL:priya@foxglove.co.uk\nEND:VCARD"
    )
    sig = _sig(text, "Priya Shah", "priya@foxglove.co.uk")
    assert sig is not None and sig.startswith("BEGIN:VCARD") and sig.endswith("END:VCARD")
    assert parse_signature(sig, "Priya Shah", "priya@foxglove.co.uk") == Fields(
        full_name="Priya Shah",
        job_title="Office Manager",
        company="Foxglove Research Ltd",
        phones=(Phone("+442079460831", "work"), Phone("+447911123456", "mobile")),
        emails=("priya@foxglove.co.uk",),
        website=None,
        linkedin=None,
    )


def test_bare_first_name_after_signoff_takes_the_display_name() -> None:
    text = "Works for me.\n\nThanks,\nTom"
    assert _sig(text, "Tom Baker", "tom@example.org") == "Tom"
    assert parse_signature("Tom", "Tom Baker", "tom@example.org").full_name == "Tom Baker"


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
    assert find_signature(text, "Ana Ruiz", "ana@example.com") is None


def test_automated_sender_has_no_signature_and_no_name() -> None:
    text = "Your invoice is ready.\n\nThanks,\nThe Acme Team\nacme.com"
    assert find_signature(text, "Acme Billing", "no-reply@acme.com") is None
    assert parse_signature("", "Acme Billing", "no-reply@acme.com").full_name is None


def test_empty_signature_falls_back_to_a_personal_display_name() -> None:
    assert parse_signature("", "Doe, John", "john@example.com") == Fields(
        full_name="John Doe",
        job_title=None,
        company=None,
        phones=(),
        emails=(),
        website=None,
        linkedin=None,
    )
    assert (
        parse_signature("", "Clearwater Learning", "hello@clearwater-learning.com").full_name
        is None
    )


def test_name_decorations_are_removed() -> None:
    sig = "Dr. Erin Sorensen, PhD (she/her)\nFinancial Controller, Driftwood Digital Ltd"
    fields = parse_signature(sig, "Erin Sorensen", "e.sorensen@driftwood.co.uk")
    assert fields.full_name == "Erin Sorensen"
    assert (fields.job_title, fields.company) == ("Financial Controller", "Driftwood Digital Ltd")


def test_title_with_comma_is_kept_whole() -> None:
    sig = "Hannah Langford\nVice President, Global Supply Chain\nJuniper Lane Consulting"
    fields = parse_signature(sig, "Hannah Langford", "langford@juniperlane.co.uk")
    assert fields.job_title == "Vice President, Global Supply Chain"
    assert fields.company == "Juniper Lane Consulting"


def test_company_matched_to_the_sender_domain() -> None:
    sig = "Julian Delaney\nFinancial Controller\nNorthcrest Data Systems\nOffice: +1 617 555 0127"
    fields = parse_signature(sig, "Julian Delaney", "delaney@northcrestdata.com")
    assert fields.company == "Northcrest Data Systems"


def test_phone_region_from_cctld_default_region_and_unlabeled_kinds() -> None:
    uk = parse_signature("Tom Baker\n020 7946 0018\n07911 123456", "Tom Baker", "tom@example.co.uk")
    assert uk.phones == (Phone("+442079460018", "work"), Phone("+447911123456", "mobile"))
    gb = parse_signature("Tom Baker\nTel: 020 7946 0018", "Tom Baker", "tom@gmail.com", "GB")
    assert gb.phones == (Phone("+442079460018", "work"),)
    us = parse_signature("Tom Baker\n(415) 555-0142\nFax: (415) 555-0143", "", "tom@example.com")
    assert us.phones == (Phone("+14155550142", "work"), Phone("+14155550143", "fax"))


def test_emails_lowercased_and_website_skips_social_hosts() -> None:
    sig = "Ana Ruiz\nE: Ana.Ruiz@Northwind-Labs.com\ntwitter.com/anaruiz\nhttps://northwind-labs.com/about"
    fields = parse_signature(sig, "Ana Ruiz", "ana.ruiz@northwind-labs.com")
    assert fields.emails == ("ana.ruiz@northwind-labs.com",)
    assert fields.website == "https://northwind-labs.com"
    assert fields.linkedin is None


def test_linkedin_url_is_normalised() -> None:
    sig = "Ana Ruiz\nhttp://de.linkedin.com/in/ana-ruiz-42?trk=sig"
    assert parse_signature(sig).linkedin == "https://www.linkedin.com/in/ana-ruiz-42"


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
            "Ana Ruiz",
            "Tom",
            "VP Sales | Northwind Labs Inc.",
            "T: +1 415 555 0132 | M: +1 415 555 0199",
            "Tel.: 0221 4711 2030",
            "ana@example.com",
            "www.example.com",
            "linkedin.com/in/ana",
            "Sent from my iPhone",
            "This message is confidential and intended for the named recipient only, thank you.",
            "BEGIN:VCARD",
            "FN:Ana Ruiz",
            "TEL;TYPE=CELL:+44 7911 123456",
            "END:VCARD",
            " - report.pdf",
            "|",
            " · ",
        ]
    ),
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@settings(max_examples=300)
@given(st.lists(_LINES, max_size=30).map("\n".join), st.text(max_size=30), st.text(max_size=30))
def test_find_and_parse_never_raise(text: str, name: str, email: str) -> None:
    found = find_signature(text, name, email)
    if found is not None:
        assert 0 <= found.start <= len(text)
        assert found.text
        assert text[found.start : found.start + len(found.text)] == found.text
    fields = parse_signature(found.text if found else text, name, email)
    assert all(_E164.match(phone.e164) for phone in fields.phones)
    assert all(phone.kind in {"work", "mobile", "fax", "other"} for phone in fields.phones)
    assert all(addr == addr.lower() for addr in fields.emails)


@given(st.text(), st.text(max_size=40), st.emails())
def test_arbitrary_text(text: str, name: str, email: str) -> None:
    found = find_signature(text, name, email)
    if found is not None:
        assert text[found.start : found.start + len(found.text)] == found.text
    parse_signature(text, name, email, default_region="DE")
