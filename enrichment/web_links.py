"""Email addresses, web sites, LinkedIn profiles and X handles written in a signature.

Signatures write hosts without a scheme ("acme.de", "www.acme.co.uk"), so a host is
recognised by its suffix: tldextract's bundled public suffix list (offline, no network)
decides whether "acme.health" or "brume.fr" ends in a real suffix, and "report.pdf"
or "v2.5" does not. Country codes that double as file extensions ("setup.py") need a
"www." or a scheme. Email domains are never read as web sites.
"""

from __future__ import annotations

import re
from functools import lru_cache

import tldextract

from enrichment.line_cache import per_line
from enrichment.signature_words import FILE_LIKE_SUFFIXES, OTHER_HANDLE_NETWORKS, SOCIAL_HOSTS

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Every host ends in "." and a letter: a cheap test before the host pattern, which (like
# the email pattern, with its look-behind) cannot skip ahead to a likely start.
_DOT_LETTER = re.compile(r"\.[A-Za-z]")
_HOST = re.compile(
    r"(?<![@\w.-])(?P<scheme>https?://)?(?P<host>(?P<www>www\.)?"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w@-])"
    r"(?P<path>/[^\s<>()]*)?"
)
_SEGMENT_START = re.compile(r"[\n|│·•]")
_LINKEDIN = re.compile(r"linkedin\.com/in/([A-Za-z0-9_%\-.]+[A-Za-z0-9_%\-])", re.IGNORECASE)
# A profile URL, or an @handle that is not part of an email address ("🐦 @acme").
_TWITTER = re.compile(
    r"(?:(?<![\w.])(?:www\.)?(?:twitter|x)\.com/(?!intent/|share|home)|(?<![\w.@])@)"
    r"([A-Za-z0-9_]{1,15})(?![\w@.-]*\.[A-Za-z])\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _parts(host: str) -> tuple[str, str]:
    """``(registrable name, public suffix)`` of a lower-case host; "" when unknown."""
    result = _EXTRACT(host)
    return result.domain, result.suffix


def _is_web_host(match: re.Match[str]) -> bool:
    name, suffix = _parts(match.group("host").lower())
    if not name or not suffix:
        return False
    explicit = match.group("scheme") or match.group("www")
    return bool(explicit) or suffix not in FILE_LIKE_SUFFIXES


@per_line
def has_web_address(text: str) -> bool:
    """Whether ``text`` names a web host (emails excluded)."""
    if not _DOT_LETTER.search(text):
        return False
    return any(_is_web_host(match) for match in _HOST.finditer(text))


@per_line
def has_email(text: str) -> bool:
    """Whether ``text`` holds an email address (its "@" is looked for first)."""
    return "@" in text and _EMAIL.search(text) is not None


def emails(text: str) -> tuple[str, ...]:
    """Every email address, lower-cased, in order of appearance, without repeats."""
    if "@" not in text:
        return ()
    found = (match.group().lower().rstrip(".") for match in _EMAIL.finditer(text))
    return tuple(dict.fromkeys(found))


def _lacks(text: str, needle: str) -> bool:
    """Whether ASCII ``text`` cannot hold the lower-case ``needle`` in any case: one
    substring test before a case-insensitive search, which tries every position. Text
    that is not ASCII is never ruled out (ignoring case, "k" matches the Kelvin sign)."""
    return text.isascii() and needle not in text.lower()


def linkedin(text: str) -> str | None:
    """A personal profile (``/in/``) as ``https://www.linkedin.com/in/<slug>``."""
    if _lacks(text, "linkedin.com/in/"):
        return None
    match = _LINKEDIN.search(text)
    return f"https://www.linkedin.com/in/{match.group(1)}" if match else None


def twitter(text: str) -> str | None:
    """The first X/Twitter handle, as ``https://x.com/<handle>``; an ``@handle`` labelled
    with another network ("Instagram: @acme") is not one."""
    if "@" not in text and _lacks(text, ".com/"):
        return None
    for match in _TWITTER.finditer(text):
        if match.group().startswith("@") and _other_network(text[: match.start()]):
            continue
        return f"https://x.com/{match.group(1)}"
    return None


def _other_network(before: str) -> bool:
    label = _SEGMENT_START.split(before)[-1]
    return any(word in OTHER_HANDLE_NETWORKS for word in re.findall(r"[a-z]+", label.lower()))


def website(text: str) -> str | None:
    """The first web host that is not a social network, as ``https://`` + host."""
    if not _DOT_LETTER.search(text):
        return None
    for match in _HOST.finditer(_EMAIL.sub(" ", text) if "@" in text else text):
        host = match.group("host").lower()
        if _is_web_host(match) and not _is_social(host):
            return f"https://{host}"
    return None


def _is_social(host: str) -> bool:
    name, suffix = _parts(host)
    return f"{name}.{suffix}" in SOCIAL_HOSTS


def registrable_name(host: str) -> str:
    """The organisation's label of a host: "acme" for ``mail.acme.co.uk``."""
    return _parts(host.lower().strip("."))[0]
