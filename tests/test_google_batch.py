"""The batch answer reader: parts by id in any order, either line ending, and a
clear error for what is not a batch answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.google_batch import BatchFormatError, parse


def answer(parts: list[tuple[str, int, bytes]], newline: str = "\r\n") -> bytes:
    chunks = []
    for part_id, status, body in parts:
        chunks.append(
            f"--b0undary{newline}Content-Type: application/http{newline}"
            f"Content-ID: <response-{part_id}>{newline}{newline}"
            f"HTTP/1.1 {status} X{newline}Content-Type: application/json{newline}"
            f"Retry-After: 3{newline}{newline}".encode() + body + newline.encode())
    return b"".join(chunks) + f"--b0undary--{newline}".encode()


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_parts_are_read_by_id_whatever_their_order(newline: str) -> None:
    content = answer([("b", 404, b'{"error": {}}'), ("a", 200, b'{"id": "a"}')], newline)
    found = parse('multipart/mixed; boundary="b0undary"', content)
    assert found["a"].status == 200 and found["a"].body == b'{"id": "a"}'
    assert found["b"].status == 404 and found["b"].headers["retry-after"] == "3"


def test_what_is_not_a_batch_answer_is_refused() -> None:
    with pytest.raises(BatchFormatError):
        parse("application/json", b"{}")
    with pytest.raises(BatchFormatError):
        parse("multipart/mixed; boundary=x", b"--x\r\nContent-ID: <a>\r\n\r\ngarbage\r\n--x--")


@given(st.lists(st.tuples(st.text("abcdef0123456789", min_size=1, max_size=16),
                          st.sampled_from([200, 404, 429, 500]),
                          st.binary(max_size=200).filter(lambda b: b"--b0undary" not in b)),
                unique_by=lambda part: part[0], max_size=8))
def test_any_answer_round_trips(parts: list[tuple[str, int, bytes]]) -> None:
    found = parse("multipart/mixed; boundary=b0undary", answer(parts))
    assert {k: (v.status, v.body) for k, v in found.items()} == {
        part_id: (status, body) for part_id, status, body in parts}
