"""Which social network a profile URL belongs to, and its canonical form.

Share buttons, intents and home pages are not profiles; ``twitter.com`` and
``x.com`` are one network, written ``https://x.com/<handle>`` as signatures write it
(:func:`enrichment.web_links.twitter`).
"""

from __future__ import annotations

import re
import urllib.parse

_NETWORKS = {
    "linkedin.com": "linkedin", "twitter.com": "twitter", "x.com": "twitter",
    "facebook.com": "facebook", "instagram.com": "instagram", "youtube.com": "youtube",
    "github.com": "github",
}
_NOT_PROFILES = re.compile(
    r"^/(?:share|sharer|intent|home|login|signup|shareArticle|watch|search|hashtag|"
    r"feed|explore|dialog|tr|plugins|policies|legal|about|settings)\b", re.IGNORECASE)
_LINKEDIN = re.compile(r"^/(?:company|school|showcase|in)/[^/?#]+", re.IGNORECASE)
_HANDLE = re.compile(r"^/@?([A-Za-z0-9_.-]{1,64})/?$")


def profile(url: str) -> tuple[str, str] | None:
    """``(network, canonical URL)`` of a social profile link; None for anything else."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    network = _NETWORKS.get(".".join(host.split(".")[-2:]))
    path = parts.path or "/"
    if network is None or path == "/" or _NOT_PROFILES.match(path):
        return None
    if network == "linkedin":
        match = _LINKEDIN.match(path)
        return ("linkedin", f"https://www.linkedin.com{match.group()}") if match else None
    if network == "youtube":
        return "youtube", f"https://www.youtube.com{path.rstrip('/')}"
    handle = _HANDLE.match(path)
    if handle is None:
        return None
    base = {"twitter": "https://x.com", "facebook": "https://www.facebook.com",
            "instagram": "https://www.instagram.com", "github": "https://github.com"}[network]
    return network, f"{base}/{handle.group(1)}"
