"""Facts derived on this machine from what the CRM already holds: nothing is sent.

From each phone number (E.164): its country, and its time zone when the number pins
one down (:func:`enrichment.providers.places.timezone_of_phone`); from each postal
address: the country it ends with; from the meetings a contact organized: the time
zone most of them were scheduled in. An address names its country more surely than a
phone does (a company may list a number abroad); a person's own calendar says where
their day is more surely than a number, which may be the head office's, and an
account's people's calendars less surely than its own number (people travel and work
remotely). The hour a meeting starts is not read: it says as much about the team's
day as about the guest's. The key is a digest of the inputs, so a target is derived
again only when they change.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from enrichment.providers.base import Found, Subject, Target
from enrichment.providers.places import country_of_address, country_of_phone, timezone_of_phone

FROM_ADDRESS, FROM_PHONE = 0.7, 0.6
FROM_MEETINGS = {"contact": 0.65, "account": 0.5}


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
        zone = _usual_zone(target.meeting_zones)
        if not target.phones and not target.addresses and not zone:
            return ()
        inputs = "\n".join([*sorted(target.phones), "|", *sorted(target.addresses),
                            "|", zone or ""])
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
        zone = _usual_zone(target.meeting_zones)
        if zone:
            facts.append(Found("timezone", zone, FROM_MEETINGS[target.subject]))
        return facts


def _usual_zone(counted: tuple[tuple[str, int], ...]) -> str | None:
    """The zone of more than half of the meetings; None when none has a majority."""
    total = sum(count for _, count in counted)
    return next((zone for zone, count in counted if count * 2 > total), None)
