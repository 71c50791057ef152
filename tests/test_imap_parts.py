"""Choosing what to fetch from BODYSTRUCTURE, on responses parsed from the bytes a
server sends (RFC 3501 section 7.4.2 shapes)."""

from __future__ import annotations

from typing import Any

from connectors.imap_parts import TextPart, fetch_plan, message_from, text_parts
from connectors.imap_wire import parse_fetch


def structure(wire: bytes) -> Any:
    """BODYSTRUCTURE as the connector parses it from one FETCH response line."""
    parsed = parse_fetch([b"1 (UID 7 BODYSTRUCTURE " + wire + b")"])
    return parsed[7][b"BODYSTRUCTURE"]


def test_single_text_part_is_section_1() -> None:
    parts = text_parts(structure(
        b'("text" "plain" ("charset" "iso-8859-1") NIL NIL "quoted-printable" 120 5 NIL NIL'
        b' NIL NIL)'))
    assert parts == (TextPart("1", "plain", "quoted-printable", "iso-8859-1", 120),)


def test_alternative_inside_mixed_skips_the_attachment() -> None:
    parts = text_parts(structure(
        b'((("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "base64" 80 2 NIL NIL NIL NIL)'
        b' "alternative" ("boundary" "a") NIL NIL NIL)'
        b'("application" "pdf" ("name" "q.pdf") NIL NIL "base64" 40000 NIL'
        b' ("attachment" ("filename" "q.pdf")) NIL NIL)'
        b' "mixed" ("boundary" "m") NIL NIL NIL)'))
    assert parts == (TextPart("1.1", "plain", "7bit", "utf-8", 20),)  # html not needed


def test_html_is_fetched_when_the_plain_part_is_a_placeholder() -> None:
    parts = text_parts(structure(
        b'(("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 2 1 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "base64" 80 2 NIL NIL NIL NIL)'
        b' "alternative" ("boundary" "a") NIL NIL NIL)'))
    assert [p.subtype for p in parts] == ["plain", "html"]


def test_text_attachment_and_html_only() -> None:
    parts = text_parts(structure(
        b'(("text" "html" ("charset" "windows-1252") NIL NIL "8bit" 900 12 NIL NIL NIL NIL)'
        b'("text" "plain" ("name" "notes.txt") NIL NIL "7bit" 300 9 NIL'
        b' ("attachment" ("filename" "notes.txt")) NIL NIL)'
        b' "mixed" ("boundary" "m") NIL NIL NIL)'))
    assert parts == (TextPart("1", "html", "8bit", "windows-1252", 900),)


def test_no_text_at_all_and_garbage() -> None:
    assert text_parts(structure(
        b'("image" "png" NIL NIL NIL "base64" 4000 NIL NIL NIL NIL)')) == ()
    assert text_parts(None) == ()
    assert text_parts(()) == ()


def test_message_from_headers_and_decoded_parts() -> None:
    headers = (b"From: =?utf-8?q?J=C3=BCrgen_Wei=C3=9F?= <juergen@nordlicht.de>\r\n"
               b"To: alice@acme-robotics.com\r\nSubject: Demo\r\n"
               b"Message-ID: <d1@nordlicht.de>\r\nDate: Tue, 3 Mar 2026 10:00:00 +0100\r\n")
    plain = TextPart("1", "plain", "quoted-printable", "iso-8859-1")
    message = message_from("INBOX/7", "INBOX", headers, (plain,),
                           {b"BODY[1]<0>": b"Gr=FC=DFe\r\n"})
    assert message.sender is not None and message.sender.name == "Jürgen Weiß"
    assert message.text == "Grüße\n" and message.html == ""
    assert message.message_id == "d1@nordlicht.de" and message.folder == "INBOX"


def test_a_missing_or_nil_section_is_an_empty_body() -> None:
    html = TextPart("1", "html", "7bit", "utf-8")
    headers = b"From: a@b.example\r\nSubject: x\r\n"
    assert message_from("INBOX/8", "INBOX", headers, (html,), {}).html == ""
    assert message_from("INBOX/8", "INBOX", headers, (html,),
                        {b"BODY[1]<0>": None}).html == ""


def test_the_fetch_plan_groups_by_section_not_by_size_or_charset() -> None:
    one = TextPart("1", "plain", "7bit", "utf-8", 100)
    other = TextPart("1", "plain", "base64", "iso-8859-1", 90000)
    nested = TextPart("1.1", "plain", "7bit", "utf-8", 300)
    plan = fetch_plan({1: (one,), 2: (other,), 3: (nested,), 4: ()}, 1024)
    assert plan == {("BODY.PEEK[1]<0.1024>",): [1, 2], ("BODY.PEEK[1.1]<0.1024>",): [3]}
