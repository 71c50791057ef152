"""The bundled data lists (``config/lists/``) merged with the user's changes.

The files ship inside the package as ``syncd.bundled``; ``lists:`` in the config
can replace a list with a file of its own, add entries or remove them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from enrichment.domains import DomainLists
from enrichment.identity import IdentityRules, parse_nicknames
from syncd.config import IdentityPolicy, ListOverride, Lists
from syncd.errors import ConfigError

BUNDLED = {
    "free_mail_domains": "free-mail-domains.txt",
    "role_local_parts": "role-local-parts.txt",
    "automated_senders": "automated-senders.txt",
    "subaddress_domains": "subaddress-domains.txt",
    "nicknames": "nicknames.txt",
}


def bundled_text(name: str) -> str:
    """A file shipped in ``config/`` (the package ``syncd.bundled``)."""
    return resources.files("syncd.bundled").joinpath(name).read_text(encoding="utf-8")


def load_lists(config: Lists) -> DomainLists:
    return DomainLists(
        free_mail=frozenset(_merged("free_mail_domains", config.free_mail_domains)),
        role_local_parts=frozenset(_merged("role_local_parts", config.role_local_parts)),
        automated_patterns=tuple(sorted(_merged("automated_senders",
                                                config.automated_senders))),
    )


def load_identity_rules(lists: Lists, policy: IdentityPolicy) -> IdentityRules:
    """Nicknames (``formal: short, ...`` lines), ``+tag`` providers and the policy."""
    nicknames = "\n".join(sorted(_merged("nicknames", lists.nicknames)))
    return IdentityRules(
        nicknames=parse_nicknames(nicknames),
        subaddress_domains=frozenset(_merged("subaddress_domains", lists.subaddress_domains)),
        team_words=frozenset(_merged("role_local_parts", lists.role_local_parts)),
        same_company=tuple(frozenset(group) for group in policy.same_company),
        auto_merge=policy.auto_merge,
        case_sensitive=frozenset(policy.case_sensitive_domains),
    )


def _merged(name: str, override: ListOverride) -> set[str]:
    text = _read(override.file, name) if override.file else bundled_text(f"lists/{BUNDLED[name]}")
    entries = parse_list(text)
    entries |= {e.strip().lower() for e in override.add}
    entries -= {e.strip().lower() for e in override.remove}
    return entries


def _read(path: Path, name: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"lists.{name}.file: cannot read {path}: {exc.strerror}"]) from exc


def parse_list(text: str) -> set[str]:
    """One entry per line; ``#`` starts a comment; case-insensitive."""
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return {entry for entry in entries if entry}
