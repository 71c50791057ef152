"""Facts derived on this machine from what the CRM already holds: nothing is sent.

From each phone number (E.164): its country, and its time zone when the number pins
one down (:func:`enrichment.providers.places.timezone_of_phone`); from each postal
address: the country it ends with. An address names its country more surely than a
phone does (a company may list a number abroad), hence the confidences. The key is
a digest of the inputs, so a target is derived again only when they change.

Meeting times are not read for a time zone: they are stored in UTC, and when a
meeting happens says as much about the team's day as about the guest's.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from enrichment.providers.base import Found, Subject, Target
from enrichment.providers.places import country_of_address, country_of_phone, timezone_of_phone

FROM_ADDRESS, FROM_PHONE = 0.7, 0.6


class OfflineProvider:
    """Country and time zone of an account or a contact."""

    name = "offline"
    network = False
    concurrency = 1
    ttl = timedelta(days=3650)
    """The answer depends on the inputs alone, and the key is their digest."""
    retry_failed = timedelta(0)
    requests = 0

    def __init__(self, subject: Subject) -> None:
        self.subject: Subject = subject

    def keys(self, target: Target) -> tuple[str, ...]:
        if not target.phones and not target.addresses:
            return ()
        inputs = "\n".join([*sorted(target.phones), "|", *sorted(target.addresses)])
        return (hashlib.sha256(inputs.encode()).hexdigest(),)

    def close(self) -> None:
        """Nothing to let go of."""

    def lookup(self, target: Target, key: str) -> list[Found]:
        facts = []
        for phone in target.phones:
            country, zone = country_of_phone(phone), timezone_of_phone(phone)
            if country:
                facts.append(Found("country", country, FROM_PHONE, f"tel:{phone}"))
            if zone:
                facts.append(Found("timezone", zone, FROM_PHONE, f"tel:{phone}"))
        for address in target.addresses:
            country = country_of_address(address)
            if country:
                facts.append(Found("country", country, FROM_ADDRESS))
        return facts
