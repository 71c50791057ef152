"""Is a message automated? Header evidence first, then who sent it.

The signals are the ones mail systems set for exactly this question:
RFC 3834 ``Auto-Submitted``, ``Precedence: bulk|list|junk``, RFC 2369/8058
``List-Unsubscribe`` and RFC 2919 ``List-Id``, the de-facto auto-reply headers
(``X-Autoreply``, ``X-Autorespond``), and ESP
campaign headers; then sender and return-path patterns (noreply@, MAILER-DAEMON,
ESP bounce domains). Automated mail is recorded but creates no person.
"""

from __future__ import annotations

from collections.abc import Mapping

from enrichment.domains import DomainLists

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
_CAMPAIGN_HEADERS = ("x-campaign", "x-mailgun-tag", "x-mc-user", "x-sg-eid", "feedback-id")


def automated_reason(
    headers: Mapping[str, str], sender: str | None, lists: DomainLists
) -> str | None:
    """Why the message counts as automated, in words, or ``None`` for a person's mail."""
    return _header_reason(headers) or _sender_reason(headers, sender, lists)


def _header_reason(headers: Mapping[str, str]) -> str | None:
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto}"
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("list-unsubscribe", "list-id"):
        if headers.get(name):
            return f"{_title(name)} header (mailing list or newsletter)"
    for name in ("x-autoreply", "x-autorespond"):
        if headers.get(name):
            return f"{_title(name)} header (auto-reply)"
    for name in _CAMPAIGN_HEADERS:
        if headers.get(name):
            return f"{_title(name)} header (bulk mailing service)"
    return None


def _sender_reason(
    headers: Mapping[str, str], sender: str | None, lists: DomainLists
) -> str | None:
    if sender:
        pattern = lists.automated_pattern(sender)
        if pattern:
            return f"sender matches automated pattern {pattern}"
    return_path = headers.get("return-path", "").strip().strip("<>").lower()
    if return_path and return_path != sender:
        pattern = lists.automated_pattern(return_path)
        if pattern:
            return f"return path matches automated pattern {pattern}"
    return None


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))
