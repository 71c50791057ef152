"""Normal forms for the two keys everything hangs on: addresses and Message-IDs.

An address is case-folded (local parts are case-insensitive at every provider a
business uses) and checked for syntax only, with email-validator, never DNS: a
CRM must not make people of ``undisclosed-recipients`` or ``john@localhost``.
A Message-ID loses its angle brackets and whitespace and is case-folded, so the
copy Gmail, Graph and IMAP each return of one message maps to one key.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email


@lru_cache(maxsize=131072)
def normalize_address(raw: str, keep_case: frozenset[str] = frozenset()) -> str | None:
    """The address as the CRM stores it, or ``None`` when it is not a usable address.

    The domain is always case-folded; the local part too, except at ``keep_case``
    domains, whose servers (RFC 5321 allows it, a few legacy systems do it) deliver
    ``John.Doe@`` and ``john.doe@`` to two people."""
    text = raw.strip().strip("<>").strip().rstrip(".")
    if text.count("@") != 1:
        return None
    try:
        valid = validate_email(text, check_deliverability=False,
                               allow_smtputf8=True, allow_quoted_local=False)
    except EmailNotValidError:
        return None
    domain = valid.domain.casefold()
    local = valid.local_part if domain in keep_case else valid.local_part.casefold()
    return f"{local}@{domain}"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def local_part_of(address: str) -> str:
    return address.rpartition("@")[0]


def normalize_message_id(raw: str | None) -> str | None:
    """``<ABC@Host>`` -> ``abc@host``; ``None`` for a missing or empty id."""
    if not raw:
        return None
    text = "".join(raw.split()).strip("<>")
    return text.casefold() or None


def synthetic_key(sender: str, recipients: list[str], date: str, subject: str) -> str:
    """A stable key for a message without Message-ID, from what every copy shares."""
    material = "\x1f".join([sender, ",".join(sorted(recipients)), date, subject.strip()])
    return "sha256:" + hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()
