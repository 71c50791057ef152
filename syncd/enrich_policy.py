"""What may leave the machine for enrichment: the one place that decides it.

A domain or address is never sent to any provider when it is free mail (a person's
private mailbox, not a company), one of the team's own domains (or under one), or
matched by ``enrichment.deny`` or ``capture.deny``. Offline derivation sends
nothing, so it is not asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from enrichment.domains import DomainLists, glob_matches, registrable_domain
from syncd.config import ConfigBase


@dataclass(frozen=True)
class Outbound:
    lists: DomainLists
    internal: frozenset[str]
    deny: tuple[str, ...]

    @classmethod
    def of(cls, config: ConfigBase, lists: DomainLists) -> Outbound:
        return cls(lists, frozenset(config.team.internal_domains),
                   config.enrichment.deny + config.capture.deny)

    def allows(self, key: str) -> bool:
        """Whether ``key`` (a domain or an address) may be sent to a provider."""
        address = key.lower() if "@" in key else f"@{key.lower()}"
        domain = address.rpartition("@")[2]
        if not domain or self.lists.is_free_mail(domain):
            return False
        if registrable_domain(domain) in self.internal or any(
                domain == d or domain.endswith("." + d) for d in self.internal):
            return False
        return glob_matches(self.deny, address) is None
