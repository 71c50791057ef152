"""A fast structural parser from raw RFC 5322 bytes to :class:`RawMessage`.

The stdlib ``email`` parser builds a tree of every part and copies every
attachment line by line; a CRM needs a dozen headers and the first text and
HTML parts. This parser finds those with ``bytes.find`` on the original buffer
and decodes nothing else, so a multi-megabyte attachment costs one scan for
its closing boundary at most, and nothing once both bodies have been found.

It is deliberately lenient: odd headers, missing closing boundaries and
unknown charsets still give a message. Only bytes that are not a message at
all (no header block, no From/To/Date/Message-ID) raise
:class:`~syncd.errors.BadItemError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from connectors.base import Address, RawMessage
from enrichment.mime import decode_payload, decode_words
from syncd.errors import BadItemError

MAX_DEPTH = 20
MAX_PARTS = 500
MAX_REFERENCES = 100
_KEPT_FIELD_CHARS = 1000  # address fields up to this long are remembered (``_addresses``)

_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:(.*(?:\n[ \t].*)*)", re.MULTILINE)
_FIELD_START = re.compile(rb"[!-9;-~]+[ \t]*:")
_PART_FIELD = re.compile(
    rb"^(content-(?:type|transfer-encoding|disposition))[ \t]*:(.*(?:\n[ \t].*)*)",
    re.MULTILINE | re.IGNORECASE)
# Possessive inside the quotes: a quoted string splits into its characters and escaped
# pairs one way only, so giving characters back could never end it elsewhere; not
# saving each step for backtracking cuts the cost of a parameter by half or more.
_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]++|\\.)*+"|[^;]*)')
_QUOTED_PAIR = re.compile(r"\\(.)")
_MSG_ID = re.compile(r"<([^<>]*)>")

_ADDR_SPEC = r'[^\s"()<>@,:;\\\[\]\x00-\x1f\x7f]+@[^\s"()<>@,:;\\\[\]\x00-\x1f\x7f]+'
# A bare address first: lists of them are the longest fields, and it fails at once on
# a display name (at its first blank, quote or "<"), while the name form read a bare
# address to its "@" before giving up. The two forms never both match, so the order
# changes nothing else. The display name is taken greedily: the run stops at "<" or at
# a character no name holds, in one pass, where a lazy run tried "<" after every
# character; only the blanks before "<" differ, which ``_simple_addresses`` folds and
# strips either way.
_SIMPLE_ADDRESS = re.compile(
    rf'[ \t]*(?:({_ADDR_SPEC})|(?:"([^"\\\r\n]*)"|([^"()<>@,:;\\\[\]\x00-\x08\x0a-\x1f\x7f]*))'
    rf"[ \t]*<({_ADDR_SPEC})>)[ \t]*(?:,|$)")
_WSP_RUN = re.compile(r"[ \t]+")
# RFC 5322's own date form, as nearly every mailer writes it: "Mon, 14 May 2001 16:39:00
# -0700 (PDT)". Only a four-digit year, a valid clock and a numeric zone qualify, the
# cases in which the stdlib reads exactly these fields the same way; the rest goes to it.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PLAIN_DATE = re.compile(
    rf"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{{1,2}}) ({'|'.join(_MONTHS)}) "
    r"([1-9][0-9]{3}) ((?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]) "
    r"([+-](?:[01][0-9]|2[0-3]))([0-5][0-9])(?: \([^()]*\))?")
_MONTH_NUMBER = {name: f"{number:02d}" for number, name in enumerate(_MONTHS, 1)}

_ADDRESS_FIELDS = ("from", "sender", "to", "cc", "bcc", "reply-to")
_MIME_FIELDS = ("content-type", "content-transfer-encoding", "content-disposition")
CLASSIFY_FIELDS = (  # what enrichment.classify reads; other connectors keep these too
    "sender", "list-unsubscribe", "list-id", "list-post", "precedence", "auto-submitted",
    "return-path", "x-auto-response-suppress", "x-autoreply", "x-autorespond", "x-mailer",
    "feedback-id", "x-campaign", "x-mailgun-tag", "x-ses-outgoing", "x-sg-eid", "x-mc-user",
)
_KEPT = {name.encode(): name for name in (
    *_ADDRESS_FIELDS, *_MIME_FIELDS, *CLASSIFY_FIELDS,
    "date", "subject", "message-id", "in-reply-to", "references",
)}
_IDENTIFYING = frozenset({"from", "sender", "to", "cc", "bcc", "date", "message-id"})


def parse_message(data: bytes, *, external_id: str, folder: str | None = None,
                  max_text_bytes: int = 262144) -> RawMessage:
    """Parse one message; raise :class:`BadItemError` only when it is not a message.

    Any other failure is a parser bug on a strange input; it is reported as a
    bad item too so that one message is quarantined instead of a batch lost.
    """
    try:
        return _parse(data, external_id, folder, max_text_bytes)
    except BadItemError:
        raise
    except Exception as exc:
        raise BadItemError(f"unparseable message: {type(exc).__name__}: {exc}") from exc


def _parse(data: bytes, external_id: str, folder: str | None,
           max_text_bytes: int) -> RawMessage:
    start = _header_start(data)
    crlf = _uses_crlf(data)
    header_end, body_start = _header_end(data, start, len(data), crlf)
    fields = _read_fields(data, start, header_end)
    if not fields.keys() & _IDENTIFYING:
        raise BadItemError("no From, To, Date or Message-ID header: not a mail message")
    walk = _Walk(data, crlf, max_text_bytes)
    walk.entity(fields, "text/plain", body_start, len(data), 0)
    return _message(fields, external_id, folder, walk)


def _message(fields: dict[str, bytes], external_id: str, folder: str | None,
             walk: _Walk) -> RawMessage:
    text = {name: _text(value) for name, value in fields.items()
            if name not in _MIME_FIELDS}
    sender = _addresses(text.get("from", "")) or _addresses(text.get("sender", ""))
    return RawMessage(
        external_id=external_id,
        message_id=_first(_msg_ids(text.get("message-id", ""))),
        date=_date(text.get("date")),
        subject=decode_words(text.get("subject", "")),
        sender=sender[0] if sender else None,
        to=_addresses(text.get("to", "")),
        cc=_addresses(text.get("cc", "")),
        bcc=_addresses(text.get("bcc", "")),
        reply_to=_addresses(text.get("reply-to", "")),
        in_reply_to=_first(_msg_ids(text.get("in-reply-to", ""))),
        references=_references(text.get("references", "")),
        headers={name: decode_words(text[name]) for name in CLASSIFY_FIELDS if name in text},
        folder=folder,
        text=walk.text or "",
        html=walk.html or "",
    )


def _header_start(data: bytes) -> int:
    """Where the header block starts, after an mbox ``From `` envelope line if any."""
    start = 0
    if data.startswith(b"From "):
        start = data.find(b"\n") + 1 or len(data)
    if not _FIELD_START.match(data, start):
        raise BadItemError("no header block: the first line is not a header field")
    return start


def _uses_crlf(data: bytes) -> bool:
    newline = data.find(b"\n")
    return newline > 0 and data[newline - 1] == 0x0D


def _header_end(data: bytes, start: int, end: int, crlf: bool) -> tuple[int, int]:
    """(end of the header block, start of the body) within ``data[start:end]``.

    The search for the other line-end style is bounded by the first hit, so a
    CRLF message never scans its whole attachment looking for ``\\n\\n``.
    """
    first, second = (b"\n\r\n", b"\n\n") if crlf else (b"\n\n", b"\n\r\n")
    hit = data.find(first, start, end)
    other = data.find(second, start, hit if hit >= 0 else end)
    if other >= 0:
        hit, first = other, second
    if hit < 0:
        return end, end
    return hit + 1, hit + len(first)


def _read_fields(data: bytes, start: int, end: int) -> dict[str, bytes]:
    """The kept fields, unfolded; the first copy wins, as the receiving server put it on top."""
    fields: dict[str, bytes] = {}
    for raw_name, value in _FIELD.findall(data, start, end):
        name = _KEPT.get(raw_name.lower())
        if name is not None and name not in fields:
            fields[name] = _unfold(value)
    return fields


def _unfold(value: bytes) -> bytes:
    if b"\n" in value:
        return value.replace(b"\r\n", b"").replace(b"\n", b"").strip()
    return value.strip()


def _text(value: bytes) -> str:
    """Header bytes as text: UTF-8 (RFC 6532), else latin-1, which cannot fail."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def _latin(value: bytes | None) -> str:
    """MIME parameters byte for byte, so a boundary re-encodes to exactly its bytes."""
    return value.decode("latin-1") if value else ""


def _addresses(value: str) -> tuple[Address, ...]:
    """The mailboxes of an address field. The same correspondents write again and again
    and a field costs tens of microseconds to read, so a field of everyday length is
    read once; a longer one is never kept (a cache must not hold hostile megabytes)."""
    return _known_addresses(value) if len(value) <= _KEPT_FIELD_CHARS else _read_addresses(value)


def _read_addresses(value: str) -> tuple[Address, ...]:
    if "@" not in value:
        return ()
    pairs = _simple_addresses(value)
    found = []
    for name, email in getaddresses([value]) if pairs is None else pairs:
        local, at, domain = email.strip().rpartition("@")
        if at and local and domain:
            found.append(Address(email=f"{local}@{domain.lower()}",
                                 name=decode_words(name).strip()))
    return tuple(found)


_known_addresses = lru_cache(maxsize=4096)(_read_addresses)


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """``getaddresses`` for the everyday forms at a fraction of its cost, else ``None``.

    ``Name <a@b>``, ``"Last, First" <a@b>``, ``<a@b>`` and ``a@b`` lists are most
    of all mail and cost the stdlib's character-level parser ~8 us each; anything
    with comments, groups, escapes or routes goes to the stdlib instead.
    """
    pairs = []
    pos = 0
    while pos < len(value):
        match = _SIMPLE_ADDRESS.match(value, pos)
        if match is None or match.end() == pos:
            return None
        bare, quoted, plain, routed = match.groups()
        if bare is not None:
            pairs.append(("", bare))
        else:
            name = quoted if quoted is not None else _WSP_RUN.sub(" ", plain).strip(" ")
            pairs.append((name, routed))
        pos = match.end()
    return pairs


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        plain = _PLAIN_DATE.fullmatch(value)
        parsed = _plain_date(plain) if plain else parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _plain_date(match: re.Match[str]) -> datetime:
    """What ``_date`` makes of an RFC 5322 date through ``parsedate_to_datetime``
    ("-0000", no zone known, read as UTC), at a fraction of its cost: that tokenises and
    tries every legacy form first, ``fromisoformat`` is one call in C."""
    day, month, year, clock, zone_hours, zone_minutes = match.groups()
    return datetime.fromisoformat(
        f"{year}-{_MONTH_NUMBER[month]}-{day:0>2}T{clock}{zone_hours}:{zone_minutes}")


def _msg_ids(value: str) -> list[str]:
    """``<id>`` tokens as written; a bare ``id@host`` when a mailer forgot the brackets."""
    ids = [token.strip() for token in _MSG_ID.findall(value)]
    if not ids and "<" not in value:
        ids = [token for token in value.split() if "@" in token]
    return [token for token in ids if token]


def _references(value: str) -> tuple[str, ...]:
    """All ids, or the root and the latest ones when too many: those thread a reply."""
    ids = _msg_ids(value)
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[1 - MAX_REFERENCES:]]
    return tuple(ids)


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _content_type(value: str, default: str) -> tuple[str, str]:
    """(type/subtype lower-cased, the parameters still unparsed: most are never read)."""
    head, separator, params = value.partition(";")
    content_type = head.strip().lower() or default
    if content_type.count("/") != 1:
        content_type = "text/plain"  # what RFC 2045 and the stdlib make of a malformed type
    return content_type, separator + params


def _param(params: str, name: str) -> str | None:
    for key, raw in _PARAM.findall(params):
        if key.lower() == name:
            return _unquote(raw.strip())
    return None


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner
    return value.strip('"')


def _disposition(value: bytes | None) -> str:
    return value.partition(b";")[0].strip().lower().decode("latin-1") if value else ""


@dataclass(slots=True)
class _Walk:
    """The MIME walk's state: the buffer and the first text and HTML bodies found."""

    data: bytes
    crlf: bool
    max_text_bytes: int
    text: str | None = None
    html: str | None = None
    parts: int = 0

    def entity(self, fields: dict[str, bytes], default: str, start: int, end: int,
               depth: int) -> None:
        """Visit one entity whose body is ``data[start:end]``; recurse into multiparts."""
        content_type, params = _content_type(_latin(fields.get("content-type")), default)
        if content_type.startswith("multipart/"):
            if depth < MAX_DEPTH:
                boundary = _param(params, "boundary") or ""
                self._multipart(content_type, boundary, start, end, depth)
        elif _disposition(fields.get("content-disposition")) != "attachment":
            encoding = _latin(fields.get("content-transfer-encoding"))
            self._leaf(content_type, params, encoding, start, end)

    def _multipart(self, content_type: str, boundary: str, start: int, end: int,
                   depth: int) -> None:
        default = "message/rfc822" if content_type == "multipart/digest" else "text/plain"
        for part_start, part_end in _parts(self.data, boundary.encode("latin-1"), start, end):
            self.parts += 1
            self._part(part_start, part_end, default, depth + 1)
            if self.finished():
                return  # before the generator looks for the next delimiter

    def finished(self) -> bool:
        """Both bodies found (the first of each wins) or the part budget spent."""
        return self.parts >= MAX_PARTS or (self.text is not None and self.html is not None)

    def _part(self, start: int, end: int, default: str, depth: int) -> None:
        body_start = start
        fields: dict[str, bytes] = {}
        if _FIELD_START.match(self.data, start, end):
            header_end, body_start = _header_end(self.data, start, end, self.crlf)
            for name, value in _PART_FIELD.findall(self.data, start, header_end):
                fields.setdefault(name.decode("ascii").lower(), _unfold(value))
        elif self.data.startswith((b"\n", b"\r\n"), start, end):
            body_start = self.data.find(b"\n", start, end) + 1
        self.entity(fields, default, body_start, end, depth)

    def _leaf(self, content_type: str, params: str, encoding: str, start: int, end: int) -> None:
        if content_type == "text/plain" and self.text is None:
            self.text = self._decode(params, encoding, start, end)
        elif content_type == "text/html" and self.html is None:
            self.html = self._decode(params, encoding, start, end)

    def _decode(self, params: str, encoding: str, start: int, end: int) -> str:
        return decode_payload(self._payload(start, end), encoding, _param(params, "charset"))

    def _payload(self, start: int, end: int) -> bytes:
        """The raw body, capped at a line end so no encoded group or character is split."""
        if end - start > self.max_text_bytes:
            cut = self.data.rfind(b"\n", start, start + self.max_text_bytes)
            end = cut + 1 if cut > start else start + self.max_text_bytes
        return self.data[start:end]


def _parts(data: bytes, boundary: bytes, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Each body part's span, found lazily so that stopping early never scans what follows.

    The line end before a delimiter belongs to the delimiter (RFC 2046 5.1.1);
    a missing closing delimiter ends the last part at the end of the body.
    """
    if not boundary:
        return
    needle = b"\n--" + boundary
    found = _delimiter(data, needle, max(start - 1, 0), end)
    while found is not None and not found[2]:
        part_start = found[1]
        found = _delimiter(data, needle, part_start - 1, end)
        if found is None:
            yield part_start, end
        else:
            part_end = found[0] - (data[found[0] - 1] == 0x0D)
            yield part_start, max(part_start, part_end)


def _delimiter(data: bytes, needle: bytes, start: int,
               end: int) -> tuple[int, int, bool] | None:
    """The next delimiter line from ``start``: (its newline, the next line, is closing)."""
    at = data.find(needle, start, end)
    while at >= 0:
        after = at + len(needle)
        line_end = data.find(b"\n", after, end)
        line_end = end if line_end < 0 else line_end + 1
        rest = data[after:line_end]
        if rest.startswith(b"--"):
            return at, line_end, True
        if not rest.strip():
            return at, line_end, False
        at = data.find(needle, after, end)
    return None
