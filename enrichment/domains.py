"""What an address's domain and local part say about who is behind it.

Free-mail domains never make accounts; role local parts (info@, support@) and
automated senders (noreply@, ESP bounce addresses) never make people. The lists
are data (``config/lists/``, with their sources), passed in as :class:`DomainLists`
so these functions stay pure. Registrable domains come from the public suffix list
bundled with tldextract, offline: ``mail.eu.acme.co.uk`` belongs to ``acme.co.uk``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True)
class DomainLists:
    """The three lists, already merged with the user's additions and removals."""

    free_mail: frozenset[str]
    role_local_parts: frozenset[str]
    automated_patterns: tuple[str, ...]
    _automated: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _matched: dict[str, str | None] = field(init=False, repr=False, compare=False,
                                            default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_automated", _compile_globs(self.automated_patterns))

    def is_free_mail(self, domain: str) -> bool:
        return domain in self.free_mail or registrable_domain(domain) in self.free_mail

    def is_role(self, local_part: str) -> bool:
        return local_part in self.role_local_parts

    def automated_pattern(self, address: str) -> str | None:
        """The first automated-sender pattern ``address`` matches, if any (remembered
        per address: the same senders come back in every batch)."""
        if address not in self._matched:
            match = self._automated.match(address)
            self._matched[address] = None if match is None or match.lastgroup is None \
                else self.automated_patterns[int(match.lastgroup.removeprefix("p"))]
        return self._matched[address]


def _compile_globs(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation for all globs: one regex match per address instead of hundreds."""
    if not patterns:
        return re.compile(r"(?!x)x")
    parts = [f"(?P<p{i}>{fnmatch.translate(p)})" for i, p in enumerate(patterns)]
    return re.compile("|".join(parts))


def glob_matches(patterns: tuple[str, ...], address: str) -> str | None:
    """The first pattern naming ``address`` itself or its domain (``acme.com``,
    ``*@acme.com``, ``*.acme.com``, ``bob@*``); for small user lists like allow/deny."""
    domain = address.rpartition("@")[2]
    for pattern in patterns:
        text = pattern.strip().lower()
        if "@" in text:
            if fnmatch.fnmatchcase(address, text):
                return pattern
        elif fnmatch.fnmatchcase(domain, text) or domain.endswith("." + text):
            return pattern
    return None


@lru_cache(maxsize=65536)
def registrable_domain(domain: str) -> str:
    """``mail.acme.co.uk`` -> ``acme.co.uk``; the domain itself when it has no suffix."""
    parts = _EXTRACT(domain)
    return parts.top_domain_under_public_suffix or domain


@lru_cache(maxsize=65536)
def brand_label(domain: str) -> str:
    """The label under the public suffix: ``mail.acme.co.uk`` -> ``acme`` (under an
    unknown top-level domain, the label before the last)."""
    parts = _EXTRACT(domain)
    if parts.suffix and parts.domain:
        return parts.domain
    labels = domain.split(".")
    return labels[-2] if len(labels) > 1 else domain


@lru_cache(maxsize=65536)
def company_name_from_domain(domain: str) -> str:
    """A readable first name for an account until better evidence arrives:
    ``harborview-analytics.com`` -> ``Harborview Analytics``, ``ibm.com`` -> ``IBM``."""
    label = _EXTRACT(domain).domain or domain.split(".", maxsplit=1)[0]
    words = [w for w in re.split(r"[-_.]+", label) if w]
    if len(words) == 1 and len(label) <= 3:
        return label.upper()
    return " ".join(w if any(c.isdigit() for c in w) else w.capitalize() for w in words)
