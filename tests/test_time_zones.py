"""Meeting time zones as calendars name them, and the zone most of a person's own
meetings were scheduled in as their time zone (the offline enrichment provider)."""

from __future__ import annotations

import pytest

from connectors.time_zones import iana
from enrichment.providers.base import Target
from enrichment.providers.offline import OfflineProvider


@pytest.mark.parametrize(("name", "zone"), [
    ("Europe/Berlin", "Europe/Berlin"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("GMT Standard Time", "Europe/London"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    (" America/Chicago ", "America/Chicago"),
])
def test_windows_and_iana_names_become_iana_zones(name: str, zone: str) -> None:
    assert iana(name) == zone


@pytest.mark.parametrize("name", [
    None, "", "UTC", "Etc/UTC", "Etc/GMT+5", "GMT", "Coordinated Universal Time",
    "tzone://Microsoft/Custom", "Customized Time Zone", "Mars/Olympus_Mons", "EST5EDT",
    "../../etc/passwd",
])
def test_utc_custom_and_unknown_names_say_nothing(name: str | None) -> None:
    assert iana(name) is None


def zone_facts(subject: str, zones: tuple[tuple[str, int], ...]) -> list[tuple[str, float]]:
    target = Target(subject, 1, meeting_zones=zones)  # type: ignore[arg-type]
    provider = OfflineProvider(target.subject)
    return [(f.value, f.confidence) for key in provider.keys(target)
            for f in provider.lookup(target, key) if f.field == "timezone"]


def test_the_zone_of_most_meetings_is_the_persons() -> None:
    (zone, confidence), = zone_facts("contact", (("Europe/Berlin", 3), ("Asia/Tokyo", 1)))
    assert zone == "Europe/Berlin"
    assert 0.6 < confidence < 0.7  # above a phone's area code, below a hand-set value


def test_an_accounts_zone_from_its_people_weighs_less_than_its_own_number() -> None:
    ((_, confidence),) = zone_facts("account", (("Europe/Paris", 2),))
    assert confidence < 0.6


def test_no_majority_no_zone_and_no_lookup() -> None:
    assert zone_facts("contact", (("Europe/Berlin", 1), ("Asia/Tokyo", 1))) == []
    assert OfflineProvider("contact").keys(Target("contact", 1)) == ()


def test_the_key_changes_with_the_usual_zone_only() -> None:
    provider = OfflineProvider("contact")
    one = provider.keys(Target("contact", 1, meeting_zones=(("Europe/Berlin", 2),)))
    more = provider.keys(Target("contact", 1, meeting_zones=(("Europe/Berlin", 5),)))
    moved = provider.keys(Target("contact", 1, meeting_zones=(("Asia/Tokyo", 9),
                                                              ("Europe/Berlin", 5))))
    assert one == more != moved
