"""Encoded words, transfer encodings, charset fallbacks and the HTML text rendering."""

from __future__ import annotations

import base64
import email
import email.policy
import importlib.util
import quopri
from email.header import Header
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enrichment.mime import body_text, decode_payload, decode_words, html_to_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "signatures"


# --- decode_words -------------------------------------------------------------------------------

def test_plain_value_is_returned_unchanged() -> None:
    value = "Quarterly numbers, no encoding here"
    assert decode_words(value) is value


@pytest.mark.parametrize(("raw", "expected"), [
    ("=?UTF-8?B?SsO8cmdlbiBHcm/Dnw==?=", "Jürgen Groß"),
    ("=?utf-8?q?Caf=C3=A9_cr=C3=A8me?=", "Café crème"),
    ("=?ISO-8859-1?Q?M=FCller=2C_Hans?=", "Müller, Hans"),
    ("=?iso-8859-1?q?Fran=E7ois?= Durand", "François Durand"),
    ("Re: =?utf-8?b?5p2x5Lqs?= meeting", "Re: 東京 meeting"),
    ("=?utf-8*en?q?hello?=", "hello"),
    ("=?utf-8?q??=", ""),
    ("price =? 10", "price =? 10"),
])
def test_encoded_words(raw: str, expected: str) -> None:
    assert decode_words(raw) == expected


def test_adjacent_words_join_and_drop_the_whitespace_between() -> None:
    assert decode_words("=?utf-8?q?Hello?= \r\n =?utf-8?q?_World?=") == "Hello World"
    assert decode_words("=?utf-8?q?a?==?iso-8859-1?q?=E9?=") == "aé"


def test_a_character_split_across_two_words_is_reassembled() -> None:
    # "é" is C3 A9 in UTF-8; encoders may cut between the two bytes.
    assert decode_words("caf=?utf-8?q?=C3?= =?utf-8?q?=A9?= au lait") == "café au lait"


def test_text_between_words_is_kept() -> None:
    assert decode_words("x =?utf-8?q?a?= y =?utf-8?q?b?=z") == "x a y bz"


@pytest.mark.parametrize(("raw", "expected"), [
    ("=?x-unknown?q?caf=C3=A9?=", "café"),      # unknown charset, UTF-8 bytes
    ("=?x-unknown?q?caf=E9?=", "café"),         # unknown charset, latin-1 bytes
    ("=?us-ascii?q?caf=C3=A9?=", "café"),       # declared ASCII, really UTF-8
    ("=?utf-8?q?M=FCller?=", "Müller"),         # declared UTF-8, really latin-1
    ("=?base64?q?abc?=", "abc"),                # a codec that is not a text encoding
    ("=?utf-8?b?w6k?=", "é"),                   # base64 without its padding
    ("=?utf-8?b?w6k=====?=", "é"),              # too much padding
])
def test_mis_declared_and_unknown_charsets_fall_back(raw: str, expected: str) -> None:
    assert decode_words(raw) == expected


@pytest.mark.parametrize("raw", [
    "=?UTF-8?B?SsO8cmdlbiBHcm/Dnw==?= <j@example.de>",
    "Re: =?ISO-8859-1?Q?M=FCller?= und =?utf-8?q?S=C3=B8ren?=",
    "=?utf-8?q?one?= =?utf-8?q?two?=",
])
def test_agrees_with_the_stdlib_on_well_formed_values(raw: str) -> None:
    assert decode_words(raw) == str(email.policy.default.header_factory("subject", raw))


HEADER_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp", "Zs"))
                      | st.just(" "), max_size=200)
"""Text without control characters or odd spaces, which ``Header`` itself drops."""


@settings(max_examples=300, deadline=None)
@given(HEADER_TEXT, st.sampled_from(["utf-8", "iso-8859-1", "utf-16"]))
def test_header_encoded_text_round_trips(text: str, charset: str) -> None:
    try:
        encoded = Header(text, charset).encode()
    except UnicodeEncodeError:
        return  # not representable in that charset
    assert decode_words(encoded) == text


@settings(deadline=None)
@given(st.text(max_size=300))
def test_decode_words_never_raises(value: str) -> None:
    assert isinstance(decode_words("=?" + value + "?="), str)
    assert isinstance(decode_words(value.replace("#", "=?")), str)


# --- decode_payload -----------------------------------------------------------------------------

def test_base64_utf8_with_crlf() -> None:
    payload = base64.encodebytes("Grüße\r\naus München\r\n".encode())
    assert decode_payload(payload, "base64", "utf-8") == "Grüße\naus München\n"


def test_quoted_printable_latin1_with_soft_breaks() -> None:
    payload = (b"Sch=F6ne Gr=FC=DFe, das ist eine sehr lange Zeile, die umbrochen wer=\r\n"
               b"den muss.\r\n")
    assert decode_payload(payload, "Quoted-Printable", "ISO-8859-1") == (
        "Schöne Grüße, das ist eine sehr lange Zeile, die umbrochen werden muss.\n")


@pytest.mark.parametrize("encoding", ["7bit", "8bit", "binary", "x-something-odd", ""])
def test_identity_and_unknown_transfer_encodings(encoding: str) -> None:
    assert decode_payload("naïve\r\nline 2".encode(), encoding, "utf-8") == "naïve\nline 2"


@pytest.mark.parametrize(("payload", "charset", "expected"), [
    ("café".encode(), "us-ascii", "café"),                  # declared ASCII, 8-bit UTF-8
    ("café".encode(), None, "café"),                        # no charset at all
    (b"\x93quoted\x94 \x80 5", "utf-8", "“quoted” € 5"),    # declared UTF-8, really cp1252
    (b"caf\xe9 \x81", "utf-8", "café \x81"),                # not cp1252 either: latin-1
    (b"caf\xe9", "x-unknown-charset", "café"),
    (b"caf\xe9", '"ISO-8859-1"', "café"),
    ("東京".encode("shift_jis"), "Shift_JIS", "東京"),
    ("a\r\nb".encode("utf-16"), "UTF-16", "a\nb"),
])
def test_charset_fallbacks(payload: bytes, charset: str | None, expected: str) -> None:
    assert decode_payload(payload, "8bit", charset) == expected


def test_lone_cr_and_crlf_both_become_lf() -> None:
    assert decode_payload(b"a\r\nb\rc\n\r\n", "8bit", "utf-8") == "a\nb\nc\n\n"


def test_a_payload_cut_inside_a_character_loses_only_that_character() -> None:
    cut = "Grüße from Zürich".encode()[:-6] + "ü".encode()[:1]
    assert decode_payload(cut, "8bit", "utf-8") == "Grüße from Z"


def test_broken_base64_is_decoded_as_far_as_it_goes() -> None:
    assert decode_payload(b"aGVsbG8gd29ybGQ", "base64", "utf-8") == "hello world"
    assert decode_payload(b"aGVs!!bG8=\r\n", "base64", "utf-8") == "hello"
    assert decode_payload(b"aGVsbG8gd", "base64", "utf-8") == "hello "


def test_quoted_printable_matches_quopri() -> None:
    raw = "Zeile mit = und é und einem sehr langen Text ".encode() * 5
    assert decode_payload(quopri.encodestring(raw), "quoted-printable", "utf-8") == raw.decode()


@settings(deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["base64", "quoted-printable", "8bit", "weird"]),
       st.one_of(st.none(), st.text(max_size=20),
                 st.sampled_from(["utf-8", "utf-16", "utf-32", "idna", "punycode", "utf-7",
                                  "rot13", "zlib", "cp037", "iso-2022-jp", "gb18030"])))
def test_decode_payload_never_raises(payload: bytes, encoding: str, charset: str | None) -> None:
    assert isinstance(decode_payload(payload, encoding, charset), str)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs"],
                             exclude_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
               max_size=500),
       st.sampled_from(["base64", "quoted-printable"]))
def test_bodies_built_by_the_email_package_round_trip(text: str, encoding: str) -> None:
    msg = EmailMessage()
    msg.set_content(text, cte=encoding, charset="utf-8")
    raw = msg.as_bytes(policy=email.policy.SMTP)
    payload = raw.partition(b"\r\n\r\n")[2]
    expected = text if text.endswith("\n") else text + "\n"
    assert decode_payload(payload, encoding, "utf-8") == expected


# --- html_to_text -------------------------------------------------------------------------------

SIGNATURE_HTML = """<html><head><meta charset="utf-8"><title>Board deck</title>
<style>p.MsoNormal{margin:0}</style><script>alert('x')</script></head>
<body><div>Dear&nbsp;Curtis,</div><div><br></div>
<div>Could you   send me
  the numbers?</div><div>Kind regards,</div>
<table><tbody><tr><td><img src="cid:logo"></td>
<td><b>Leah Vickers</b><br>VP Sales &amp; Marketing<br>Phone: +1-212-555-0159</td></tr>
<tr><th>Web</th><td>www.summitloop.com</td></tr></tbody></table></body></html>"""


def test_html_signature_table_keeps_its_lines() -> None:
    # The source line break between </div> and <table> is a line of its own, as in
    # the reference rendering the corpus labels are substrings of.
    assert html_to_text(SIGNATURE_HTML) == (
        "Dear Curtis,\n\nCould you send me the numbers?\nKind regards,\n\n"
        "Leah Vickers\nVP Sales & Marketing\nPhone: +1-212-555-0159\n\n"
        "Web www.summitloop.com")


@pytest.mark.parametrize(("html", "expected"), [
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<p>one</p><p>two</p>", "one\ntwo"),
    ("<ul><li>x</li><li>y</li></ul><ol><li>z</li></ol>", "x\ny\nz"),
    ("<h1>Title</h1>text<hr>more", "Title\ntext\nmore"),
    ("<blockquote>quoted</blockquote>after", "quoted\nafter"),
    ("<section>s</section><article>a</article><header>h</header><footer>f</footer>",
     "s\na\nh\nf"),
    ("a<br><br><br><br>b", "a\n\nb"),
    ("  <p>  padded   text  </p>  ", "padded text"),
    ("&lt;tag&gt; &amp;&#233;&#x00e9;&eacute;", "<tag> &ééé"),
    ("<span>in</span><span>line</span>", "inline"),
    ("<td>a</td><td>b</td>", "a b"),
    ("", ""),
])
def test_html_rendering_rules(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_unclosed_head_does_not_swallow_the_body() -> None:
    assert html_to_text("<html><head><title>x</title><body><p>Hello</p>") == "Hello"


@pytest.mark.parametrize(("html", "expected"), [
    ("a<![ x]>b<p>c", "ab\nc"),              # html.parser raises AssertionError on these
    ("a<![foo x]>b", "ab"),
    ("<!DOCTYPE html><p>x</p>", "x"),
    ("a<![if !supportLists]>·<![endif]>b", "a·b"),
    ("a<!--[if mso]><![endif]-->b", "ab"),
    ("<div><p>unclosed <b>bold", "unclosed bold"),
    ("<<>>&#xZZ;&bogus; </ >", "<<>>&#xZZ;&bogus;"),
])
def test_broken_html_does_not_crash(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


MARKUP = st.sampled_from(["<", ">", "</", "<!", "<![", "<!--", "-->", "<?", "]]>", "&", "&#",
                          "&#x", ";", "a", " ", "\n", "div", "p", "br", "td", "style", "head",
                          "script", "title", "body", "=", '"', "'", "/", "CDATA[", "[", "]",
                          "if", "DOCTYPE", "\x00", "é", "&nbsp;", "&amp"])


@settings(deadline=None)
@given(st.lists(MARKUP, max_size=60).map("".join))
def test_html_to_text_never_raises(html: str) -> None:
    assert isinstance(html_to_text(html), str)


def _reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_corpus", CORPUS / "check_corpus.py")
    assert spec is not None and spec.loader is not None, "the signature corpus is missing"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rendering_matches_the_corpus_reference_on_every_html_part() -> None:
    reference = _reference()
    checked = 0
    for path in sorted((CORPUS / "dev").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                html = part.get_content()
                assert html_to_text(html) == reference.html_to_text(html), path.name
                checked += 1
    assert checked >= 50


_HTML_PIECES = st.sampled_from([
    "<div>", "</div>", "<p>", "</p>", "<br>", "<br/>", "<td>", "</td>", "<tr>", "</tr>",
    "<table>", "</table>", "<b>", "</b>", "<span style='x'>", "</span>", "<style>p{}</style>",
    "<script>if (a<b) x()</script>", "<head>", "</head>", "<title>t</title>",
    "<!-- c -->", "<!DOCTYPE html>", "&amp;", "&nbsp;", "&lt;", "&#233;", "\n", " ",
    "Best regards,", "Megan Whitfield", "VP Sales", "+1 415 555 0123", "a < b", "x>y",
    "<a href=\"https://x.example/?a=1&b=2\">link</a>", "<img src='logo.png' alt='>'>",
    "<li>", "</li>", "<ul>", "</ul>", "<hr>", "<h1>", "</h1>", "<pre>", "</pre>",
])


@settings(max_examples=300)
@given(st.lists(_HTML_PIECES, max_size=40).map("".join))
def test_rendering_matches_the_reference_on_generated_markup(html: str) -> None:
    """The fast tokenizer and the corpus's html.parser reference agree (``<body>`` is
    left out: ending an unclosed ``<head>`` there is a deliberate difference)."""
    assert html_to_text(html) == _reference().html_to_text(html)


# --- body_text ----------------------------------------------------------------------------------

def test_body_text_prefers_the_plain_part() -> None:
    assert body_text("Hi Tom,\n", "<p>other</p>") == "Hi Tom,\n"


def test_body_text_renders_html_when_the_plain_part_is_blank() -> None:
    assert body_text(" \n\t\n", "<p>Hi</p><p>Tom</p>") == "Hi\nTom"
    assert body_text("", "") == ""
