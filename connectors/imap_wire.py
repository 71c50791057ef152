"""FETCH responses read straight from imaplib's data, with one regex per line.

imapclient lexes a response one byte at a time in Python; on a mailbox of ten
thousand messages that costs more than reading the bytes off the socket. A FETCH
answer is simple enough (RFC 3501 section 7.4.2: numbers, atoms, quoted strings,
literals, NIL and parenthesised lists) to tokenise with one compiled pattern, so
syncd asks imaplib for the raw answer and builds the values itself.

imaplib hands over one element per line: ``bytes``, or ``(line, literal)`` when the
line announced a ``{n}`` literal, whose bytes follow the line in the value stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from imapclient import IMAPClient

Value = Any  # int | bytes | None | tuple[Value, ...]
Raw = bytes | tuple[bytes, bytes]

_TOKEN = re.compile(
    rb"""\s*(?:
      (\()                                  # a list opens
    | (\))                                  # a list closes
    | ((?:[^\s()"\[]+|\[[^\]]*\]?)+)           # atom, number, NIL, BODY[...]<n>
    | "((?:[^"\\]|\\.)*)"                   # quoted string (may be empty)
    )""",
    re.VERBOSE,
)
_LITERAL = re.compile(rb"\{\d+\}\s*$")
_ESCAPE = re.compile(rb"\\(.)")


class WireError(ValueError):
    """A FETCH answer that is not well-formed IMAP."""


def fetch(client: IMAPClient, uids: Sequence[int], items: Sequence[str], *,
          ranges: bool = False) -> dict[int, dict[bytes, Value]]:
    """``UID FETCH`` through imapclient's connection, parsed here; with ``ranges`` the
    message set names runs of consecutive UIDs as ``first:last``.

    imapclient exposes no raw FETCH, so this uses its imaplib object (``_imap``),
    the same call imapclient makes before its own parser. Errors the server reports
    are raised by imapclient's check, as for any other command.
    """
    if not uids:
        return {}
    message_set = uid_ranges(uids) if ranges else ",".join(str(uid) for uid in uids)
    typ, data = client._imap.uid("FETCH", message_set, f"({' '.join(items)})")
    client._checkok("fetch", typ, data)
    return parse_fetch(data)


def uid_ranges(uids: Iterable[int]) -> str:
    """A message set of runs: ``[1, 2, 3, 7, 9, 10]`` -> ``1:3,7,9:10``."""
    runs: list[list[int]] = []
    for uid in sorted(set(uids)):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def parse_fetch(data: Iterable[Raw | None]) -> dict[int, dict[bytes, Value]]:
    """Each message's attributes by UID; keys upper-cased as imapclient gives them.

    Unsolicited FETCH responses without a UID (flag updates other clients cause)
    are dropped: they answer nothing that was asked.
    """
    top = _values(data)
    if len(top) % 2:
        raise WireError(f"a FETCH response without its attribute list: {top[-1]!r:.80}")
    found: dict[int, dict[bytes, Value]] = {}
    for attributes in top[1::2]:
        if not isinstance(attributes, tuple) or len(attributes) % 2:
            raise WireError(f"a FETCH attribute list that does not pair up: "
                            f"{attributes!r:.80}")
        pairs = {_key(k): v for k, v in zip(attributes[::2], attributes[1::2], strict=True)}
        uid = pairs.get(b"UID")
        if isinstance(uid, int):
            found.setdefault(uid, {}).update(pairs)
    return found


def _values(data: Iterable[Raw | None]) -> list[Value]:
    """All elements as one value stream: literals are values where they stood."""
    stack: list[list[Value]] = [[]]
    for element in data:
        if element is None:
            continue
        if isinstance(element, tuple):
            line, literal = element
            _tokens(_LITERAL.sub(b"", line), stack)
            stack[-1].append(literal)
        else:
            _tokens(element, stack)
    if len(stack) != 1:
        raise WireError("a FETCH response ends inside a parenthesised list")
    return stack[0]


def _tokens(line: bytes, stack: list[list[Value]]) -> None:
    end = len(line.rstrip())
    position = 0
    for match in _TOKEN.finditer(line):
        if match.start() != position:
            break
        position = match.end()
        opening, closing, atom, quoted = match.groups()
        if atom:
            stack[-1].append(_atom(atom))
        elif opening:
            stack.append([])
        elif closing:
            if len(stack) == 1:
                raise WireError(f"an unbalanced ')' in {line[:80]!r}")
            done = tuple(stack.pop())
            stack[-1].append(done)
        elif quoted is not None:
            stack[-1].append(_ESCAPE.sub(rb"\1", quoted) if b"\\" in quoted else quoted)
    if position < end:
        raise WireError(f"unreadable FETCH data at {line[position:position + 40]!r}")


def _atom(atom: bytes) -> Value:
    if atom.isdigit():
        return int(atom)
    if atom == b"NIL":
        return None
    return atom


def _key(key: Value) -> bytes:
    if not isinstance(key, bytes):
        raise WireError(f"a FETCH attribute name that is not an atom: {key!r:.40}")
    return key.upper()
