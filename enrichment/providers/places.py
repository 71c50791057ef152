"""Countries, phone numbers and time zones, offline (phonenumbers' bundled metadata
and the country names signatures are read with).

A time zone is given only when the number pins one down: a German number is
Europe/Berlin, a US number is one zone only by its area code (212: New York), a
mobile or toll-free US number is none.
"""

from __future__ import annotations

import phonenumbers
import phonenumbers.timezone

from enrichment.signature_words import COUNTRY_NAMES

_NAMES = {name: code for code, names in COUNTRY_NAMES.items() for name in names.split("|")}
_UNKNOWN_ZONE = "Etc/Unknown"


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 for ``"DE"``, ``"de"``, ``"Germany"`` or ``"Deutschland"``."""
    value = text.strip(" .").casefold()
    if len(value) == 2 and value.upper() in phonenumbers.SUPPORTED_REGIONS:
        return "GB" if value == "uk" else value.upper()
    return _NAMES.get(value)


def country_of_address(address: str) -> str | None:
    """The country an address ends with (``"Unter den Linden 1, 10117 Berlin, DE"``)."""
    tail = address.replace("\n", ",").rsplit(",", 1)[-1]
    return country_code(tail)


def region_of_domain(domain: str) -> str | None:
    """The country a country-code top-level domain names (``acme.co.uk`` -> GB)."""
    tld = domain.rstrip(".").rpartition(".")[2].lower()
    if len(tld) != 2:
        return None
    return country_code("gb" if tld == "uk" else tld)


def e164(text: str, region: str | None) -> str | None:
    """A valid number in E.164 (``+4930123456``), national forms read in ``region``."""
    try:
        number = phonenumbers.parse(text.strip().removeprefix("tel:"), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def country_of_phone(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return None if region in (None, "ZZ", "001") else str(region)


def timezone_of_phone(number: str) -> str | None:
    """The one IANA zone the number belongs to; None when it could be several."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in phonenumbers.timezone.time_zones_for_number(parsed)
             if z != _UNKNOWN_ZONE]
    return zones[0] if len(zones) == 1 else None
