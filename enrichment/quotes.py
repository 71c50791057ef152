"""Separate what the sender wrote in a message from the history it quotes.

Signature parsing and contact enrichment must only ever see the sender's own words:
a quoted message carries somebody else's signature, and reading it would attach a
stranger's phone number to the sender. The split is line-based and linear in the
length of the body; every pattern is anchored to one line (or two, for attributions
that mail clients wrap) and length-capped, so no input makes the regexes backtrack badly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Lines longer than this are prose, never a header or an attribution; skipping them keeps
# the per-line regex work bounded on pathological input.
_MAX_MARKER_LEN = 400
_HEADER_WINDOW = 6

_ATTRIBUTION_END = re.compile(
    r"(?:wrote|writes|schrieb|schreef|a\s+écrit|escribió|escreveu|ha\s+scritto|scrisse|"
    r"skrev|kirjoitti|napisał|написал[аи]?|yazdı|写道|寫道|のメッセージ)\s*[:：]\s*$"
    r"|<[^<>\s@]+@[^<>\s]+>\)?\s*[:：]\s*$",
    re.IGNORECASE,
)
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
    r"reply-to|antwort\s+an"
)
_HEADER_LINE = re.compile(
    rf"^[\s*>]*(?P<key>{_FROM_KEYS}|{_OTHER_KEYS})\s*(?:\*+\s*)?[:：]", re.IGNORECASE
)
_FROM_LINE = re.compile(rf"^[\s*]*(?:{_FROM_KEYS})\s*(?:\*+\s*)?[:：]", re.IGNORECASE)
_START_KEYS = re.compile(rf"^(?:{_FROM_KEYS}|to|sent|date|an|à|para|aan|a)$", re.IGNORECASE)

_SEPARATOR = re.compile(
    r"^[-_=*]{2,} ?(?:original\s+message|forwarded\s+message|forwarded\s+by|"
    r"weitergeleitete\s+nachricht|ursprüngliche\s+nachricht|message\s+d['’]origine|"
    r"message\s+transféré|mensaje\s+original|mensaje\s+reenviado|oorspronkelijk\s+bericht|"
    r"doorgestuurd\s+bericht|messaggio\s+originale|messaggio\s+inoltrato|"
    r"mensagem\s+original|mensagem\s+encaminhada|原始邮件|转发邮件|原始郵件|転送メッセージ|"
    r"元のメッセージ|reply\s+separator|inline\s+attachment\s+follows)"
    r"|^(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|"
    r"début\s+du\s+message\s+réexpédié|inicio\s+del\s+mensaje\s+reenviado|"
    r"início\s+da\s+mensagem\s+reencaminhada|forwarded\s+message)\s*[:：]",
    re.IGNORECASE,
)
# GroupWise quotes open with ">>> Name <addr> 2/16/01 10:41 am >>>"; it looks like a "> " line.
_GROUPWISE = re.compile(r"^>>>.*>>>$")
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,}|\*{8,})\s*$")
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


@dataclass(frozen=True)
class Reply:
    """The sender's own text and everything it quotes or forwards."""

    new_text: str
    quoted: str


def _is_quote(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _ends_with_colon(line: str) -> bool:
    return line.rstrip().endswith((":", "："))


def _attribution_at(lines: list[str], i: int) -> int:
    """Number of lines (1 or 2) of an "On ... wrote:" attribution starting at ``i``, else 0."""
    line = lines[i]
    if len(line) > _MAX_MARKER_LEN or _is_quote(line) or not line.strip():
        return 0
    if _ends_with_colon(line):
        opener = _OPENER.match(line) is not None
        if _ATTRIBUTION_END.search(line) and (opener or _HAS_CONTEXT.search(line)):
            return 1
        if _CJK_ATTRIBUTION.search(line):
            return 1
        if opener and _HAS_CONTEXT.search(line) and _VERB_THEN_NAME.search(line):
            return 1
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if not _ends_with_colon(nxt) or _is_quote(nxt) or len(nxt) > _MAX_MARKER_LEN:
        return 0
    if not _ATTRIBUTION_END.search(f"{line.rstrip()} {nxt.strip()}"):
        return 0
    if _OPENER.match(line) or "@" in line or "<" in line or _LOTUS_DATE.search(line):
        return 2
    return 0


def _header_keys(lines: list[str], start: int) -> set[str]:
    keys: set[str] = set()
    for line in lines[start : start + _HEADER_WINDOW]:
        match = _HEADER_LINE.match(line) if len(line) <= _MAX_MARKER_LEN else None
        if match:
            keys.add(match.group("key").lower())
    return keys


def _is_header_block(lines: list[str], i: int) -> bool:
    """An Outlook/Notes header block: a From/To/Sent line followed by further header keys."""
    line = lines[i]
    match = _HEADER_LINE.match(line)
    if not match or not _START_KEYS.match(match.group("key")):
        return False
    if _FROM_LINE.match(line) and _INLINE_DATE.search(line[-48:]):
        return True
    return len(_header_keys(lines, i)) >= 2


def _is_lotus_block(lines: list[str], i: int) -> bool:
    """Lotus Notes: "Name@DOMAIN" / "Name <addr> on 01/02/2001 10:00 AM", then "To:" lines."""
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    dated = bool(_INLINE_DATE.search(line[-48:]))
    dated = dated or (len(line) < 80 and bool(_LOTUS_DATE.match(nxt)))
    return dated and bool(_header_keys(lines, i + 1))


def _hard_start(lines: list[str], i: int) -> bool:
    """A separator, header block or Notes header: everything from here on is quoted.

    Cheap character tests run first, so ordinary body lines cost no regex at all.
    """
    line = lines[i]
    stripped = line.strip()
    if not stripped or len(line) > _MAX_MARKER_LEN:
        return False
    if _is_quote(line):
        return bool(_GROUPWISE.match(stripped))
    if (stripped[0] in "-_=*" or _ends_with_colon(stripped)) and _SEPARATOR.match(stripped):
        return True
    head = stripped[:40]
    if (":" in head or "：" in head) and _is_header_block(lines, i):
        return True
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return ("/" in stripped or "/" in nxt[:12]) and _is_lotus_block(lines, i)


def _wrapped_quote(lines: list[str], i: int) -> bool:
    """A short unprefixed line between "> " lines is a quoted line the client re-wrapped.

    Only a lower-case fragment after a long quoted line counts, so a one-line answer
    interleaved between quotes ("Yes.") stays new text.
    """
    text = lines[i].strip()
    if not text or len(text) > 40 or text[0].isupper() or _is_quote(lines[i]):
        return False
    return _quote_near(lines, i, -1) and _quote_near(lines, i, 1)


def _quote_near(lines: list[str], i: int, step: int) -> bool:
    for j in (i + step, i + 2 * step):
        if not 0 <= j < len(lines) or not lines[j].strip():
            return False
        if _is_quote(lines[j]):
            return step > 0 or len(lines[j]) >= 60
    return False


def _back_over_rule(lines: list[str], i: int, floor: int) -> int:
    """Include the "______" rule Outlook draws above a header block in the quote."""
    j = i - 1
    while j >= floor and not lines[j].strip():
        j -= 1
    return j if j >= floor and _RULE.match(lines[j]) else i


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


_MARKER_CHARS = frozenset(":：/>-_=*")


def _plain(lines: list[str], i: int) -> bool:
    """A line no marker test can match: no marker character in it, the next line
    does not end with a colon, and no quote line is near. Most lines of a body are
    like this, and skipping them keeps the scan cheap."""
    line = lines[i]
    if not line or _MARKER_CHARS.intersection(line):
        return False
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if _ends_with_colon(nxt) or "/" in nxt[:12]:
        return False
    return not (line.strip() and not line.strip()[0].isupper() and len(line.strip()) <= 40)


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def split_reply(text: str) -> Reply:
    """Split a plain-text body into the sender's new text and the quoted history.

    Top-posted replies are cut at the first quote marker. "> " quoted lines are
    dropped wherever they are, so in bottom-posted and interleaved replies the new
    text below or between the quotes survives. Forward and header-block markers
    quote everything after them, since what follows is never the sender's writing.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_quoted = [False] * len(lines)
    i, floor = 0, 0
    while i < len(lines):
        if _plain(lines, i):
            i += 1
            continue
        if _hard_start(lines, i):
            for j in range(_back_over_rule(lines, i, floor), len(lines)):
                is_quoted[j] = True
            break
        span = _attribution_at(lines, i)
        if span:
            nxt = _next_content(lines, i + span)
            end = i + span if nxt < len(lines) and _is_quote(lines[nxt]) else len(lines)
            for j in range(i, end):
                is_quoted[j] = True
            i = floor = end
            continue
        if _is_quote(lines[i]) or _wrapped_quote(lines, i):
            is_quoted[i] = True
            floor = i + 1
        i += 1
    new = [line for line, q in zip(lines, is_quoted, strict=True) if not q]
    old = [line for line, q in zip(lines, is_quoted, strict=True) if q]
    return Reply(new_text=_join(new), quoted=_join(old))
