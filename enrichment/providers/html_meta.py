"""The parts of an HTML page that describe who publishes it, read with the stdlib
parser (lenient: broken markup yields what could be read, never an error).

Kept: ``<title>``, ``<meta name|property|itemprop=... content=...>`` (first value of
each, names lower-cased), the text of every ``<script type="application/ld+json">``,
``<link rel=... href=...>`` and the targets of ``<a href>`` (social profiles are
often only linked from the footer). Nothing else of the page is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_LINKS = 2000
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


@dataclass
class PageParts:
    title: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    json_ld: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    """``(rel, href)`` of ``<link>`` elements."""
    anchors: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = PageParts()
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name.lower(): value or "" for name, value in attrs}
        if tag == "meta":
            self._meta(found)
        elif tag == "script" and found.get("type", "").strip().lower() == "application/ld+json":
            self._begin("script")
        elif tag == "title" and not self.parts.title:
            self._begin("title")
        elif tag == "link" and found.get("href") and len(self.parts.links) < MAX_LINKS:
            self.parts.links.append((found.get("rel", "").lower(), found["href"]))
        elif tag == "a" and found.get("href") and len(self.parts.anchors) < MAX_LINKS:
            self.parts.anchors.append(found["href"])

    def _meta(self, found: dict[str, str]) -> None:
        key = found.get("property") or found.get("name") or found.get("itemprop")
        content = found.get("content", "").strip()
        if key and content:
            self.parts.meta.setdefault(key.strip().lower(), content)

    def _begin(self, what: str) -> None:
        self._in, self._text = what, []

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._in == "script" and tag == "script":
            self.parts.json_ld.append("".join(self._text))
        elif self._in == "title" and tag == "title":
            self.parts.title = " ".join("".join(self._text).split())
        else:
            return
        self._in = None


def decode(body: bytes, header_charset: str | None) -> str:
    """The page as text: the header's charset, else a ``<meta charset>``, else UTF-8;
    undecodable bytes become U+FFFD."""
    for charset in (header_charset, _meta_charset(body)):
        if charset:
            try:
                return body.decode(charset, "replace")
            except LookupError:
                continue
    return body.decode("utf-8", "replace")


def _meta_charset(body: bytes) -> str | None:
    match = _CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


def page_parts(html: str) -> PageParts:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector.parts
