"""The company website provider: what an account's own homepage says about it.

For each of the account's domains: ``https://DOMAIN/`` is fetched (robots.txt
permitting, :mod:`enrichment.providers.robots`), following redirects only while they
stay within the domain's registrable domain (``acme.com`` -> ``www.acme.com``), over
https only, at most five hops. A redirect to another registrable domain is not
followed: it is recorded as ``redirects_to`` (the domain the company's domains point
to, evidence that two accounts are one company). The page that answers 200 with HTML
is read by :mod:`enrichment.providers.organization`.
"""

from __future__ import annotations

import urllib.parse

from enrichment.domains import registrable_domain
from enrichment.providers.base import Found, Subject, Target
from enrichment.providers.html_meta import decode, page_parts
from enrichment.providers.http import HttpProvider, Reply
from enrichment.providers.organization import organization_facts
from enrichment.providers.places import region_of_domain
from enrichment.providers.robots import Robots

MAX_HOPS = 5
REDIRECT, WEBSITE = 0.9, 0.9
ROBOTS_AGENT = "syncd"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})


class WebsiteProvider(HttpProvider):
    """Facts from the homepage of each of an account's domains."""

    name = "website"
    subject: Subject = "account"

    def keys(self, target: Target) -> tuple[str, ...]:
        return target.domains

    def lookup(self, target: Target, key: str) -> list[Found]:
        robots = Robots(self.http, ROBOTS_AGENT)
        url, home = f"https://{key}/", registrable_domain(key)
        for _ in range(MAX_HOPS + 1):
            if not robots.allowed(url):
                return []
            answer = self.http.get(url, f"homepage of {key}")
            target_url = answer.location()
            if target_url is None:
                return _page_facts(answer, key)
            parts = urllib.parse.urlsplit(target_url)
            if parts.scheme != "https" or not parts.hostname:
                return []  # never downgraded to plain http
            elsewhere = registrable_domain(parts.hostname.lower())
            if elsewhere != home:
                return [Found("redirects_to", elsewhere, REDIRECT, url)]
            url = target_url
        return []


def _page_facts(answer: Reply, domain: str) -> list[Found]:
    if answer.status != 200 or answer.content_type not in HTML_TYPES:
        return []
    charset = next((p.split("=", 1)[1].strip(' "') for p in
                    answer.headers.get("content-type", "").split(";")[1:]
                    if p.strip().lower().startswith("charset=")), None)
    parts = page_parts(decode(answer.body, charset))
    site = urllib.parse.urlsplit(answer.url)
    facts = organization_facts(parts, answer.url, region_of_domain(domain))
    return [Found("website", f"https://{site.netloc}", WEBSITE, answer.url), *facts]
