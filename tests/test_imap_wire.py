"""The FETCH reader, on the element lists imaplib hands over, against what the bytes
mean (RFC 3501 section 9 grammar) and against imapclient's own parser."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.response_parser import parse_fetch_response

from connectors.imap_wire import WireError, parse_fetch

HEADER_KEY = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"


def test_literals_quoted_strings_nil_and_nested_lists() -> None:
    data = [
        (b'3 (UID 17 BODYSTRUCTURE ("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 5 1'
         b' NIL NIL NIL NIL) BODY[HEADER.FIELDS (FROM SUBJECT)] {27}',
         b"From: a@b.example\r\nSubject:"),
        (b" X-GM-THRID 1278455344230334865 BODY[1]<0> {5}", b"hello"),
        b")",
        b'4 (UID 18 BODY[1]<0> "quoted \\"text\\" \\\\ here" X-GM-MSGID 12)',
    ]
    parsed = parse_fetch(data)
    assert parsed[17][b"BODYSTRUCTURE"] == (
        b"text", b"plain", (b"charset", b"utf-8"), None, None, b"7bit", 5, 1,
        None, None, None, None)
    assert parsed[17][HEADER_KEY] == b"From: a@b.example\r\nSubject:"
    assert parsed[17][b"BODY[1]<0>"] == b"hello"
    assert parsed[17][b"X-GM-THRID"] == 1278455344230334865
    assert parsed[18][b"BODY[1]<0>"] == b'quoted "text" \\ here'


def test_a_literal_inside_bodystructure_stays_in_place() -> None:
    data = [
        (b'1 (UID 2 BODYSTRUCTURE (("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL)'
         b'("application" "pdf" ("name" {7}', b"r\xc3\xa9.pdf"),
        b') NIL NIL "base64" 900 NIL NIL NIL NIL) "mixed" ("boundary" "x") NIL NIL NIL))',
    ]
    structure = parse_fetch(data)[2][b"BODYSTRUCTURE"]
    assert structure[1][2] == (b"name", b"r\xc3\xa9.pdf")
    assert structure[2] == b"mixed"


def test_unsolicited_responses_without_uid_are_dropped_and_keys_are_upper() -> None:
    parsed = parse_fetch([b"9 (FLAGS (\\Seen))", b"10 (uid 44 flags (\\Seen $Label))"])
    assert parsed == {44: {b"UID": 44, b"FLAGS": (b"\\Seen", b"$Label")}}


def test_empty_answers() -> None:
    assert parse_fetch([None]) == {}
    assert parse_fetch([]) == {}


@pytest.mark.parametrize("data", [
    [b"1 (UID 2 BODY[1]<0> (unclosed"],
    [b"1 (UID 2))"],
    [b"1 (UID 2 FLAGS)"],
    [b"1"],
    [b'1 (UID 2 BODY[1]<0> "unterminated)'],
    [b"1 ((UID) 2)"],
])
def test_malformed_answers_raise_wire_error(data: list[bytes]) -> None:
    with pytest.raises(WireError):
        parse_fetch(data)


# ------------------------------------------------------------------ property tests

_ATOMS = st.from_regex(rb"\A[A-Za-z\\$][A-Za-z0-9.\-$]{0,12}\Z").filter(
    lambda atom: atom.upper() != b"NIL")
_STRINGS = st.binary(max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b)
_LITERALS = st.binary(max_size=60)


def _values(depth: int = 3) -> st.SearchStrategy[Any]:
    leaf = st.one_of(st.integers(0, 2**63), _ATOMS, _STRINGS.map(lambda b: ("q", b)),
                     _LITERALS.map(lambda b: ("lit", b)), st.none())
    if depth == 0:
        return leaf
    return st.one_of(leaf, st.lists(_values(depth - 1), max_size=5).map(tuple))


def _serialize(value: Any, out: list[Any]) -> None:
    """Append wire bytes to ``out``: the last element is the open line; a literal
    closes it as a ``(line, literal)`` tuple, as imaplib does."""
    if value is None:
        out[-1] += b"NIL"
    elif isinstance(value, int):
        out[-1] += str(value).encode()
    elif isinstance(value, bytes):
        out[-1] += value
    elif isinstance(value, tuple) and value and value[0] == "q":
        out[-1] += b'"' + value[1].replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    elif isinstance(value, tuple) and value and value[0] == "lit":
        out[-1] = (out[-1] + b"{%d}" % len(value[1]), value[1])
        out.append(b"")
    else:
        out[-1] += b"("
        for number, item in enumerate(value):
            if number:
                out[-1] += b" "
            _serialize(item, out)
        out[-1] += b")"


def _expected(value: Any) -> Any:
    if isinstance(value, tuple) and value and value[0] in ("q", "lit"):
        return value[1]
    if isinstance(value, tuple):
        return tuple(_expected(v) for v in value)
    return value


@given(st.dictionaries(_ATOMS.map(bytes.upper), _values(), max_size=5),
       st.integers(1, 2**32 - 1))
def test_any_well_formed_answer_reads_back(attributes: dict[bytes, Any], uid: int) -> None:
    attributes.pop(b"UID", None)
    out: list[Any] = [b"1 (UID %d" % uid]
    for key, value in attributes.items():
        out[-1] += b" " + key + b" "
        _serialize(value, out)
    out[-1] += b")"
    parsed = parse_fetch(out)
    assert parsed[uid] == {b"UID": uid, **{k: _expected(v) for k, v in attributes.items()}}


@given(st.lists(st.binary(max_size=30), max_size=4))
def test_arbitrary_bytes_never_escape_as_another_error(lines: list[bytes]) -> None:
    with contextlib.suppress(WireError):
        assert isinstance(parse_fetch(lines), dict)


def test_agrees_with_imapclient_on_a_server_shaped_answer() -> None:
    data = [
        (b'1 (UID 5 X-GM-MSGID 1278455344230334865 BODYSTRUCTURE ("text" "html"'
         b' ("charset" "windows-1252") NIL NIL "quoted-printable" 900 12 NIL'
         b' ("inline" NIL) NIL NIL) ' + HEADER_KEY + b" {21}", b"Subject: hi there\r\n\r\n"),
        b")",
    ]
    ours = parse_fetch(data)[5]
    theirs = parse_fetch_response(data)[5]
    assert ours[HEADER_KEY] == theirs[HEADER_KEY]
    assert ours[b"X-GM-MSGID"] == theirs[b"X-GM-MSGID"]
    assert ours[b"BODYSTRUCTURE"] == tuple(theirs[b"BODYSTRUCTURE"])
