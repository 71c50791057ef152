"""Recognise, line by line, how quoted history announces itself in a plain-text body.

The mail clients and languages syncd reads each open a quote their own way: an
attribution ("On ... wrote:", "Am ... schrieb ...:", "在 ... 写道："), an Outlook or Apple
Mail header block (From/Sent/To/Subject and their translations), a separator
("-----Original Message-----", "---------- Forwarded message ---------"), a Lotus Notes
or GroupWise header. Each recogniser looks at one line and at most a few lines after
it; every pattern is anchored and length-capped, so no input makes them backtrack
badly. ``enrichment.quotes`` decides from these where the sender's own text ends.
"""

from __future__ import annotations

import re

from enrichment.line_cache import per_line

# Lines longer than this are prose, never a header or an attribution; skipping them keeps
# the per-line regex work bounded on pathological input.
_MAX_MARKER_LEN = 400
_HEADER_WINDOW = 6
_LEAD_MARKS = frozenset("-_=*>")

# "geschrieben"/"geschreven" end the Open-Xchange form "X hat am 3. März geschrieben:".
_VERBS = (
    r"wrote|writes|schrieb|geschrieben|schreef|geschreven|a\s+écrit|escribió|escreveu|"
    r"ha\s+scritto|scrisse|skrev|kirjoitti|napisał|написал[аи]?|yazdı"
)
# What an attribution ends with before its colon: a verb (at most two words) or an address.
_VERB_TAIL = re.compile(rf"(?:{_VERBS}|写道|寫道|のメッセージ)$", re.IGNORECASE)
_ADDRESS_TAIL = re.compile(r"<[^<>\s@]+@[^<>\s]+>\)?$")
# No verb is longer than this with one space between its words ("geschrieben" is 11).
_VERB_REACH = 16
_BARE_VERB = re.compile(rf"\s(?:{_VERBS})$", re.IGNORECASE)
_OPENER = re.compile(
    r"^\s*(?:-{2,}\s*)?(?:on|am|le|el|op|il|em|den|på|w\s+dniu|в|在|\d{1,4}[./年-])",
    re.IGNORECASE,
)
_HAS_CONTEXT = re.compile(r"@|<|\d")
# These verbs never end an ordinary CJK sentence, so they need no date or address.
_CJK_ATTRIBUTION = re.compile(r"(?:写道|寫道|のメッセージ)\s*[:：]\s*$")
# German and Dutch put the author after the verb: "Am 3. März schrieb Jörg Müller:".
_VERB_THEN_NAME = re.compile(r"\b(?:schrieb|schreef|wrote)\b[^:：]{0,120}[:：]\s*$", re.IGNORECASE)

_FROM_KEYS = r"from|von|de|van|da|od|fra|från|lähettäjä|afzender|kimden|от|发件人|寄件者|差出人"
_OTHER_KEYS = (
    r"sent|sent\s+by|date|to|cc|bcc|subject|gesendet|datum|an|kopie|betreff|envoyé|à|objet|"
    r"enviado(?:\s+el)?|enviada\s+em|para|asunto|fecha|verzonden|aan|onderwerp|inviato|"
    r"data|a|oggetto|assunto|发送时间|日期|收件人|抄送|主题|送信日時|宛先|件名|"
    r"reply-to|antwort\s+an|lähetetty|päivämäärä|vastaanottaja|kopio|aihe"
)
_HEADER_LINE = re.compile(
    rf"^[\s*>]*(?P<key>{_FROM_KEYS}|{_OTHER_KEYS})\s*(?:\*+\s*)?[:：]", re.IGNORECASE
)
# Everything between the leading marks and the first colon: the only text a key can be.
_KEY_REGION = re.compile(r"[\s*>]*([^:：]*)[:：]")
_OPTIONAL_PART = re.compile(r"\(\?:([^()]*)\)\?")


def _spellings(keys: str) -> frozenset[str]:
    """The ASCII keys of a key alternation, lower-case and single-spaced ("sent by",
    "enviado el" and "enviado" from ``enviado(?:\\s+el)?``)."""
    found: set[str] = set()
    for key in keys.split("|"):
        optional = _OPTIONAL_PART.search(key)
        variants = [key] if optional is None else [
            key[: optional.start()] + part + key[optional.end() :] for part in ("", optional[1])]
        found.update(variant.replace("\\s+", " ") for variant in variants if variant.isascii())
    if any(set(spelling) & set("\\()?[]*+|") for spelling in found):
        raise ValueError("header keys must be words, \\s+ and (?:...)? only")
    return frozenset(found)


_ASCII_KEYS = _spellings(f"{_FROM_KEYS}|{_OTHER_KEYS}")
_FROM_LINE = re.compile(rf"^[\s*]*(?:{_FROM_KEYS})\s*(?:\*+\s*)?[:：]", re.IGNORECASE)
_START_KEYS = re.compile(rf"^(?:{_FROM_KEYS}|to|sent|date|an|à|para|aan|a)$", re.IGNORECASE)

# Dashed separators (Outlook, Gmail, Yahoo, Thunderbird) and Apple Mail's forward line.
_SEPARATOR = re.compile(
    r"^[-_=*]{2,}+ ?(?:original\s+message|forwarded\s+message|forwarded\s+by|"
    r"weitergeleitete\s+nachricht|ursprüngliche\s+nachricht|message\s+d['’]origine|"
    r"message\s+transféré|message\s+transmis|mensaje\s+original|mensaje\s+reenviado|"
    r"oorspronkelijk\s+bericht|doorgestuurd\s+bericht|messaggio\s+originale|"
    r"messaggio\s+inoltrato|mensagem\s+original|mensagem\s+(?:re)?encaminhada|"
    r"原始邮件|转发邮件|原始郵件|転送メッセージ|メッセージを転送|元のメッセージ|"
    r"reply\s+separator|inline\s+attachment\s+follows)"
    r"|^(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|"
    r"début\s+du\s+message\s+(?:réexpédié|transféré)|inicio\s+del\s+mensaje\s+reenviado|"
    r"inizio\s+messaggio\s+inoltrato|begin\s+doorgestuurd\s+bericht|"
    r"início\s+da\s+mensagem\s+(?:re)?encaminhada|forwarded\s+message)\s*[:：]",
    re.IGNORECASE,
)
# GroupWise quotes open with ">>> Name <addr> 2/16/01 10:41 am >>>"; it looks like a "> " line.
_GROUPWISE = re.compile(r"^>>>.*>>>$")
_QUOTE_PREFIX = re.compile(r"^[ >]+")
_SENT_BY = re.compile(r"^\s*sent\s+by\s*:", re.IGNORECASE)
_LOTUS_DATE = re.compile(
    r"^\s*\d{1,2}/\d{1,2}/\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM)?\b", re.IGNORECASE
)
# Notes puts the date at the end: "Name@ECT on 04/04/2001 05:44 PM", "Name @ ECT    04/04/2001".
# Only the last 48 characters are searched, which keeps the check linear.
_INLINE_DATE = re.compile(
    r"(?:\bon|\s\s)\s*\d{1,2}/\d{1,2}/\d{2,4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:AM|PM)?)?"
    r"(?:\s+[A-Z]{2,4})?\s*$",
    re.IGNORECASE,
)


def is_quote(line: str) -> bool:
    """A "> " quoted line (indented or not)."""
    return line.lstrip(" ").startswith(">")


def is_marked(line: str) -> bool:
    """Whether ``line`` holds a colon or a slash, or starts with a dash, rule, star or ">".

    Every line a recogniser here matches is marked or precedes a marked line (a wrapped
    attribution, a Notes sender above its date or "Sent by:" line), so a scan may skip
    any other line untested. Substring tests: several times cheaper than one regex.
    """
    return ":" in line or "/" in line or "：" in line or line.lstrip()[:1] in _LEAD_MARKS


def ends_with_colon(line: str) -> bool:
    """Attributions and header keys end in a colon, ASCII or full-width."""
    return line.rstrip().endswith((":", "："))


def _ends_attribution(line: str) -> bool:
    """Whether ``line`` ends with an attribution's verb ("wrote", "a écrit", "写道") or a
    bracketed address, then a colon.

    The verb or address ends right before the colon and spans at most two words, so only
    the last two words are searched: a long paragraph line that happens to end in a
    colon costs no more than a short one (a search of the whole line took up to 70 µs).
    """
    body = line.rstrip()
    if not body.endswith((":", "：")):
        return False
    tail = " ".join(body[:-1].rsplit(None, 2)[-2:])
    # The verb can only be in the last characters: a case-insensitive search of the
    # verbs costs per character searched. The address starts with "<", found fast.
    return bool(_VERB_TAIL.search(tail[-_VERB_REACH:]) or _ADDRESS_TAIL.search(tail))


def _opens_address(line: str) -> bool:
    """Whether ``line`` ends inside "<address>": a client wrapped the attribution there,
    so its next line starts with the ">" that closes the address, not a quote mark."""
    return line.rfind("<") > line.rfind(">")


def _bare_attribution(line: str) -> bool:
    """An attribution without its colon ("Jane Doe wrote"), as some web archives put it
    above the "> " lines: only a name (capitalised words or an address) before the verb."""
    match = _BARE_VERB.search(line) if len(line) <= 80 else None
    if not match:
        return False
    words = line[: match.start()].split()
    return 0 < len(words) <= 4 and all(w[0].isupper() or "@" in w for w in words)


def attribution_at(lines: list[str], i: int) -> int:
    """Number of lines (1 or 2) of an "On ... wrote:" attribution starting at ``i``, else 0."""
    line = lines[i]
    if len(line) > _MAX_MARKER_LEN or is_quote(line) or not line.strip():
        return 0
    if ends_with_colon(line):
        opener = _OPENER.match(line) is not None
        if _ends_attribution(line) and (opener or _HAS_CONTEXT.search(line)):
            return 1
        if _CJK_ATTRIBUTION.search(line):
            return 1
        if opener and _HAS_CONTEXT.search(line) and _VERB_THEN_NAME.search(line):
            return 1
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if is_quote(nxt) and _bare_attribution(line.strip()):
        return 1
    if not ends_with_colon(nxt) or len(nxt) > _MAX_MARKER_LEN:
        return 0
    if is_quote(nxt) and not _opens_address(line):
        return 0
    if not _ends_attribution(f"{line.rstrip()} {nxt.strip()}"):
        return 0
    if _OPENER.match(line) or "@" in line or "<" in line or _LOTUS_DATE.search(line):
        return 2
    return 0


def _header_match(line: str) -> re.Match[str] | None:
    """``_HEADER_LINE.match``, which tries each of its many keys case-insensitively (tens
    of microseconds a line), except that an ASCII line whose text before the colon is no
    key, as most lines with a colon, is answered without it. Exact: a key can only be
    that text, and ASCII text matches ASCII keys only."""
    region = _KEY_REGION.match(line)
    if region is None:
        return None
    key = region[1].rstrip().rstrip("*").rstrip()
    if key.isascii() and " ".join(key.lower().split()) not in _ASCII_KEYS:
        return None
    return _HEADER_LINE.match(line)


@per_line
def _header_key(line: str) -> str | None:
    """The header key ``line`` opens with ("From", "Betreff"), as written, or None.

    A header block is looked for below every line with a colon or a slash, a window of
    lines each time, so one line is asked again and again (a status report's "Time:"
    lines, each next to a date); and quoted headers come back message after message."""
    match = _header_match(line)
    return match.group("key") if match else None


def _header_keys(lines: list[str], start: int) -> set[str]:
    keys: set[str] = set()
    for line in lines[start : start + _HEADER_WINDOW]:
        if len(line) > _MAX_MARKER_LEN or not (":" in line or "：" in line):
            continue  # no header line: the colon is cheaper to look for than the keys
        key = _header_key(line)
        if key:
            keys.add(key.lower())
    return keys


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook/Notes header block: a From/To/Sent line followed by further header keys."""
    line = lines[i]
    key = _header_key(line)
    if not key or not _START_KEYS.match(key):
        return False
    if _FROM_LINE.match(line) and _INLINE_DATE.search(line[-48:]):
        return True
    return len(_header_keys(lines, i)) >= 2


def after_sender(lines: list[str], i: int) -> str:
    """The line after a Notes sender line, skipping the "Sent by:" line Notes adds
    when someone else sent on the author's behalf."""
    j = i + 1
    if j < len(lines) and ":" in lines[j] and _SENT_BY.match(lines[j]):
        j += 1
    return lines[j] if j < len(lines) else ""


def _is_lotus_block(lines: list[str], i: int) -> bool:
    """Lotus Notes: "Name@DOMAIN" / "Name <addr> on 01/02/2001 10:00 AM", then "To:" lines."""
    if not _header_keys(lines, i + 1):
        return False
    line = lines[i]
    if _INLINE_DATE.search(line[-48:]):
        return True
    return len(line) < 80 and bool(_LOTUS_DATE.match(after_sender(lines, i)))


def hard_start(lines: list[str], i: int) -> bool:
    """A separator, header block or Notes header: everything from here on is quoted.

    Cheap character tests run first, so ordinary body lines cost no regex at all.
    """
    line = lines[i]
    stripped = line.strip()
    if not stripped or len(line) > _MAX_MARKER_LEN:
        return False
    if is_quote(line):
        return bool(_GROUPWISE.match(stripped))
    if (stripped[0] in "-_=*" or ends_with_colon(stripped)) and _SEPARATOR.match(stripped):
        return True
    head = stripped[:40]
    if (":" in head or "：" in head) and _is_header_block(lines, i):
        return True
    slash = "/" in stripped or "/" in after_sender(lines, i)[:12]
    return slash and _is_lotus_block(lines, i)


def quoted_marker(lines: list[str], i: int) -> bool:
    """A quote block that opens with its own attribution, header block or separator
    ("> On ... wrote:", ">From: ...", "> -----Original Message-----")."""
    if not is_quote(lines[i]) or (i > 0 and is_quote(lines[i - 1])):
        return False
    view = [_QUOTE_PREFIX.sub("", line) for line in lines[i : i + _HEADER_WINDOW + 2]]
    return hard_start(view, 0) or attribution_at(view, 0) > 0

