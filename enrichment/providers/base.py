"""What every enrichment provider is: a target in, facts with their source out.

Terminology:

- **target**: an account (its domains and name) or a contact (name, addresses,
  company, phones, postal addresses) as the CRM knows it now;
- **key**: what one lookup is about, and what its cached answer is filed under: a
  domain for a website or a ``{domain}`` API, an address for an ``{email}`` API, a
  digest of the inputs for the offline provider. A target may have several keys (an
  account with two domains is looked up twice);
- **found**: one fact (field, value, confidence, the URL it was read from), stored
  as an observation of the target with the provider's ``method``, so derivation
  ranks it beside signature facts and a value set by hand still wins.

A provider never touches the database and decides nothing about privacy: the
enrichment job (:mod:`syncd.enrich`) hands it only keys the policy lets out, caches
its answers and stores its facts. Network trouble is raised as
:class:`syncd.errors.Transient` (after the shared retry policy gave up); the job
records the failure and tries again later, and capture never waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

Subject = Literal["account", "contact"]


@dataclass(frozen=True)
class Target:
    """An account or a contact, as a provider may see it."""

    subject: Subject
    id: int
    name: str | None = None
    domains: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    company: str | None = None
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    meeting_zones: tuple[tuple[str, int], ...] = ()
    """The time zones of the meetings it (an account: its people) organized, each
    with how many; most first."""


@dataclass(frozen=True)
class Found:
    """One fact a provider found; ``source_url`` says where (None: derived offline
    from what the CRM already held)."""

    field: str
    value: str
    confidence: float
    source_url: str | None = None


class Provider(Protocol):
    """One way of learning about accounts or contacts."""

    name: str
    """The observation method its facts are stored under (``website``, ``http:NAME``)."""
    subject: Subject
    network: bool
    """Whether it sends anything off the machine (then only for keys the policy allows)."""
    concurrency: int
    ttl: timedelta
    """How long an answer is kept before it is asked for again."""
    retry_failed: timedelta
    """How long a failed lookup waits before it is tried again."""

    @property
    def requests(self) -> int:
        """HTTP requests sent so far."""

    def keys(self, target: Target) -> tuple[str, ...]:
        """What to look up for ``target``; the job drops keys the policy keeps home."""

    def lookup(self, target: Target, key: str) -> list[Found]:
        """The facts about ``key``; :class:`~syncd.errors.Transient` when it could not
        be asked now."""

    def close(self) -> None:
        """Let go of connections."""


ACCOUNT_FIELDS = frozenset({
    "name", "description", "logo", "website", "address", "phone", "country", "timezone",
    "employees", "industry", "founded", "linkedin", "twitter", "facebook", "instagram",
    "youtube", "github", "same_as", "redirects_to"})
"""Account facts a provider may store: ``name`` is the account's column (derived,
ranked); the rest live as observations only, shown by ``syncd explain``."""

CONTACT_FIELDS = frozenset({
    "full_name", "job_title", "department", "linkedin", "twitter", "address", "phone_work",
    "phone_mobile", "country", "timezone", "location"})
"""Contact facts a provider may store: the derived columns (name, title, department:
seniority follows the title) and observation-only facts."""
