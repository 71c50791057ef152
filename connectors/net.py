"""Network rules every connector shares."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: the only place plaintext (IMAP without
    TLS, http endpoints) is allowed, since nothing on the wire can be read there."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
