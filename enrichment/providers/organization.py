"""The organisation a homepage describes, as facts with a confidence each.

Sources, strongest first:

1. schema.org JSON-LD (``Organization`` or one of its kinds: ``Corporation``,
   ``LocalBusiness``, ...; at the top level, in an ``@graph``, or as a ``WebSite``'s
   ``publisher``): the company's own structured statement, 0.8;
2. OpenGraph and meta tags (``og:site_name``, ``og:description``, ``description``,
   ``twitter:site``): written for link previews, 0.5 - 0.6;
3. links to social profiles in the page, and an ``apple-touch-icon`` as a logo: 0.3 - 0.5.

Phones are stored in E.164 (national forms read in the address's country, else the
domain's country code); addresses as their written parts joined by ", ". A page's
``<title>`` is not read as a name: it is "Home | Acme" as often as "Acme".
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

from enrichment.providers.base import Found
from enrichment.providers.html_meta import PageParts
from enrichment.providers.places import country_code, e164
from enrichment.providers.profiles import profile

STRUCTURED, PREVIEW, DESCRIPTION, LINKED, ICON = 0.8, 0.6, 0.5, 0.5, 0.3
MAX_VALUE = 500
_ORG_KINDS = frozenset({"organization", "corporation", "localbusiness", "ngo",
                        "onlinebusiness", "onlinestore", "professionalservice", "store"})
_SPACE = re.compile(r"\s+")


def organization_facts(parts: PageParts, url: str, region: str | None) -> list[Found]:
    """Every fact the page states about its publisher (one per field and value)."""
    node = _organization(parts.json_ld)
    facts = _from_json_ld(node, url, region) if node else []
    facts += _from_meta(parts, url)
    facts += _from_links(parts, url)
    best: dict[tuple[str, str], Found] = {}
    for fact in facts:
        key = (fact.field, fact.value)
        if key not in best or fact.confidence > best[key].confidence:
            best[key] = fact
    return list(best.values())


def _organization(scripts: list[str]) -> dict[str, Any] | None:
    """The first organisation node in the page's JSON-LD, breadth first; scripts that
    are not valid JSON are skipped."""
    queue: list[tuple[Any, int]] = []
    for script in scripts:
        try:
            queue.append((json.loads(script, strict=False), 0))
        except ValueError:
            continue
    while queue:
        node, depth = queue.pop(0)
        if isinstance(node, list):
            queue += [(item, depth + 1) for item in node[:50]]
        elif isinstance(node, dict):
            if _is_organization(node.get("@type")):
                return node
            if depth < 4:
                queue += [(node[k], depth + 1) for k in ("@graph", "publisher", "author",
                                                          "provider", "creator") if k in node]
    return None


def _is_organization(kind: Any) -> bool:
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and (k.rpartition("/")[2].lower() in _ORG_KINDS
                                       or k.endswith("Organization")) for k in kinds)


def _from_json_ld(node: dict[str, Any], url: str, region: str | None) -> list[Found]:
    address = _address(node.get("address"))
    country = _country(node.get("address"))
    region = country or region
    facts = [Found(field, value, STRUCTURED, url) for field, value in (
        ("name", _text(node.get("name")) or _text(node.get("legalName"))),
        ("description", _text(node.get("description"))),
        ("logo", _image(node.get("logo"), url)),
        ("address", address), ("country", country),
        ("phone", e164(_text(node.get("telephone")) or "", region)),
        ("employees", _employees(node.get("numberOfEmployees"))),
        ("founded", (_text(node.get("foundingDate")) or "")[:10] or None),
    ) if value]
    for point in _many(node.get("contactPoint")):
        phone = e164(_text(point.get("telephone")) or "", region) \
            if isinstance(point, dict) else None
        if phone:
            facts.append(Found("phone", phone, STRUCTURED - 0.1, url))
    for link in _many(node.get("sameAs")):
        if isinstance(link, str) and link.startswith(("https://", "http://")):
            network = profile(link)
            facts.append(Found(network[0], network[1], STRUCTURED, url) if network
                         else Found("same_as", link.strip()[:MAX_VALUE], STRUCTURED, url))
    return facts


def _from_meta(parts: PageParts, url: str) -> list[Found]:
    meta = parts.meta
    facts = [Found(field, value, confidence, url) for field, value, confidence in (
        ("name", _text(meta.get("og:site_name")), PREVIEW),
        ("description", _text(meta.get("og:description")), PREVIEW),
        ("description", _text(meta.get("description")), DESCRIPTION),
        ("logo", _image(meta.get("og:logo"), url), PREVIEW),
    ) if value]
    handle = meta.get("twitter:site", "").strip().lstrip("@")
    if re.fullmatch(r"[A-Za-z0-9_]{1,15}", handle):
        facts.append(Found("twitter", f"https://x.com/{handle}", PREVIEW, url))
    return facts


def _from_links(parts: PageParts, url: str) -> list[Found]:
    facts = [Found(*found, LINKED, url) for href in parts.anchors
             if (found := profile(urllib.parse.urljoin(url, href)))]
    icon = next((href for rel, href in parts.links if "apple-touch-icon" in rel), None)
    if icon:
        facts.append(Found("logo", urllib.parse.urljoin(url, icon)[:MAX_VALUE], ICON, url))
    return facts


def _many(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _text(value: Any) -> str | None:
    """A JSON-LD or meta value as one clean line (a list: its first text)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", value.replace("\x00", "")).strip()
    return text[:MAX_VALUE] or None


def _image(value: Any, url: str) -> str | None:
    for item in _many(value):
        found = item.get("url") or item.get("contentUrl") if isinstance(item, dict) else item
        if isinstance(found, str) and found.strip():
            absolute = urllib.parse.urljoin(url, found.strip())
            if absolute.startswith(("https://", "http://")):
                return absolute[:MAX_VALUE]
    return None


def _postal(value: Any) -> Iterator[dict[str, Any]]:
    for item in _many(value):
        if isinstance(item, dict):
            yield item


def _address(value: Any) -> str | None:
    if isinstance(value, str):
        return _text(value)
    for item in _postal(value):
        country = item.get("addressCountry")
        country = country.get("name") if isinstance(country, dict) else country
        locality = " ".join(filter(None, (_text(item.get("postalCode")),
                                          _text(item.get("addressLocality")))))
        parts = [_text(item.get("streetAddress")), locality or None,
                 _text(item.get("addressRegion")), _text(country)]
        joined = ", ".join(p for p in parts if p)
        if joined:
            return joined[:MAX_VALUE]
    return None


def _country(value: Any) -> str | None:
    for item in _postal(value):
        country = item.get("addressCountry")
        country = country.get("name") if isinstance(country, dict) else country
        if isinstance(country, str) and country_code(country):
            return country_code(country)
    return None


def _employees(value: Any) -> str | None:
    if isinstance(value, dict):
        low, high = value.get("minValue"), value.get("maxValue")
        if low is not None and high is not None:
            return f"{_text(low)}-{_text(high)}"
        value = value.get("value")
    return _text(value)
