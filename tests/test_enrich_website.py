"""The company website provider through its real HTTP client (requests over TLS,
through a CONNECT proxy) against company sites served on 127.0.0.1
(tests/fakes/websites.py): JSON-LD, OpenGraph, broken HTML, redirects, robots.txt,
slow answers, huge bodies, 429s."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from connectors import retry
from enrichment.providers.base import Found, Target
from enrichment.providers.http import HttpClient, Limits
from enrichment.providers.website import WebsiteProvider
from syncd.errors import Transient
from tests.fakes.websites import FakeWeb, Page, redirect

HOSTS = ["acme.de", "www.acme.de", "acme-old.com", "og.example.com", "broken.co.uk",
         "elsewhere.com", "private.io", "shy.io", "slow.io", "huge.io", "busy.io",
         "plain.io", "down.io", "stingy.io"] + [f"site{n}.com" for n in range(8)]
AGENT = "syncd-enrich/test (tests; honours robots.txt)"

ORGANIZATION = {
    "@context": "https://schema.org", "@type": "Corporation",
    "name": "Acme Robotics GmbH", "description": "Robots  for\nwarehouses.",
    "logo": {"@type": "ImageObject", "url": "/img/logo.svg"}, "telephone": "030 1234567",
    "address": {"@type": "PostalAddress", "streetAddress": "Unter den Linden 1",
                "postalCode": "10117", "addressLocality": "Berlin", "addressCountry": "DE"},
    "numberOfEmployees": {"@type": "QuantitativeValue", "minValue": 51, "maxValue": 200},
    "sameAs": ["https://www.linkedin.com/company/acme-robotics/", "https://twitter.com/acmebots",
               "https://www.wikidata.org/wiki/Q1"]}


def page(head: str = "", body: str = "") -> Page:
    return Page(body=f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
                .encode())


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


@pytest.fixture
def web(tmp_path: Path) -> Iterator[FakeWeb]:
    with FakeWeb(tmp_path / "tls", HOSTS) as server:
        yield server



def provider(web: FakeWeb, **limits: float) -> WebsiteProvider:
    client = HttpClient(AGENT, Limits(**{"timeout": 2.0, **limits}),  # type: ignore[arg-type]
                        ca_file=web.ca_file, proxy=web.proxy)
    return WebsiteProvider(client, ttl=timedelta(days=30), retry_failed=timedelta(days=1))


def look_up(web: FakeWeb, domain: str, **limits: float) -> dict[str, Found]:
    found = provider(web, **limits).lookup(Target("account", 1, domains=(domain,)), domain)
    best: dict[str, Found] = {}
    for fact in found:
        if fact.field not in best or fact.confidence > best[fact.field].confidence:
            best[fact.field] = fact
    return best


def values(found: dict[str, Found]) -> dict[str, str]:
    return {field: fact.value for field, fact in found.items()}


def test_json_ld_organization_after_a_redirect_within_the_domain(web: FakeWeb) -> None:
    web.serve("acme.de", "/", redirect("https://www.acme.de/"))
    web.serve("www.acme.de", "/", page(json_ld({"@graph": [
        {"@type": "WebSite", "name": "Home"}, ORGANIZATION]}) +
        '<meta property="og:site_name" content="Acme">'))
    found = look_up(web, "acme.de")
    assert values(found) == {
        "website": "https://www.acme.de", "name": "Acme Robotics GmbH",
        "description": "Robots for warehouses.", "logo": "https://www.acme.de/img/logo.svg",
        "address": "Unter den Linden 1, 10117 Berlin, DE", "country": "DE",
        "phone": "+49301234567", "employees": "51-200",
        "linkedin": "https://www.linkedin.com/company/acme-robotics",
        "twitter": "https://x.com/acmebots", "same_as": "https://www.wikidata.org/wiki/Q1"}
    assert found["name"].source_url == "https://www.acme.de/"
    assert found["name"].confidence > 0.7  # the company's own statement beats a signature
    assert web.paths("acme.de") == ["/robots.txt", "/"]
    assert web.paths("www.acme.de") == ["/robots.txt", "/"]
    assert {h["user-agent"] for _, _, h in web.log} == {AGENT}


def test_opengraph_and_meta_tags_without_json_ld(web: FakeWeb) -> None:
    web.serve("og.example.com", "/", page(
        '<meta property="og:site_name" content="Ogden &amp; Co">'
        '<meta name="description" content="We make widgets.">'
        '<meta name="twitter:site" content="@ogdenco">'
        '<link rel="apple-touch-icon" href="/touch.png"><title>Home | Ogden</title>',
        '<footer><a href="https://www.facebook.com/sharer/sharer.php?u=x">share</a>'
        '<a href="https://www.facebook.com/ogdenco">fb</a></footer>'))
    found = look_up(web, "og.example.com")
    assert values(found) == {
        "website": "https://og.example.com", "name": "Ogden & Co",
        "description": "We make widgets.", "twitter": "https://x.com/ogdenco",
        "logo": "https://og.example.com/touch.png",
        "facebook": "https://www.facebook.com/ogdenco"}
    assert found["name"].confidence < 0.7 and found["logo"].confidence < 0.5


def test_broken_html_and_broken_json_ld_give_what_can_be_read(web: FakeWeb) -> None:
    body = (b'<html><head><meta charset="windows-1252"><script type="application/ld+json">'
            b'{"@type": "Organization", "name": "Half</script>'
            b'<meta property="og:site_name" content="Br\xfcckner Ltd"><div <p>>'
            b'<script type="application/ld+json">[1, 2</script><a href="https://x.com/'
            b'brueckner">x</a><table><tr><td>\x00\xff\xfe unclosed')
    web.serve("broken.co.uk", "/", Page(body=body, content_type="text/html"))
    assert values(look_up(web, "broken.co.uk")) == {
        "website": "https://broken.co.uk", "name": "Brückner Ltd",
        "twitter": "https://x.com/brueckner"}


def test_a_redirect_to_another_domain_is_evidence_not_followed(web: FakeWeb) -> None:
    web.serve("acme-old.com", "/", redirect("https://www.acme.de/welcome", 302))
    found = look_up(web, "acme-old.com")
    assert values(found) == {"redirects_to": "acme.de"}
    assert found["redirects_to"].source_url == "https://acme-old.com/"
    assert web.paths("www.acme.de") == [] and web.paths("acme.de") == []


def test_a_redirect_to_plain_http_is_not_followed(web: FakeWeb) -> None:
    web.serve("plain.io", "/", redirect("http://plain.io/"))
    assert look_up(web, "plain.io") == {}
    assert web.paths("plain.io") == ["/robots.txt", "/"]


def test_robots_txt_is_honoured(web: FakeWeb) -> None:
    web.serve("private.io", "/robots.txt", Page(body=b"User-agent: syncd\nDisallow: /\n\n"
                                                b"User-agent: *\nAllow: /\n",
                                                content_type="text/plain"))
    web.serve("private.io", "/", page(json_ld(ORGANIZATION)))
    web.serve("shy.io", "/robots.txt", Page(body=b"User-agent: *\nDisallow: /\n",
                                            content_type="text/plain"))
    assert look_up(web, "private.io") == {} and look_up(web, "shy.io") == {}
    assert web.paths("private.io") == ["/robots.txt"] and web.paths("shy.io") == ["/robots.txt"]


def test_robots_txt_that_cannot_be_read_stops_the_lookup(web: FakeWeb,
                                                         waits: list[float]) -> None:
    web.serve("down.io", "/robots.txt", Page(503, b"", "text/plain"))
    web.serve("down.io", "/", page(json_ld(ORGANIZATION)))
    with pytest.raises(Transient, match=r"robots\.txt of https://down\.io"):
        look_up(web, "down.io")
    assert web.paths("down.io") == ["/robots.txt"] * retry.ATTEMPTS
    assert len(waits) == retry.ATTEMPTS - 1


def test_a_slow_site_times_out_and_is_retried_then_given_up(web: FakeWeb,
                                                            waits: list[float]) -> None:
    web.serve("slow.io", "/", Page(body=b"<html></html>", delay=1.5))
    started = time.monotonic()
    with pytest.raises(Transient, match=r"homepage of slow\.io"):
        look_up(web, "slow.io", timeout=0.3)
    assert time.monotonic() - started < retry.ATTEMPTS * 1.5
    assert web.paths("slow.io") == ["/robots.txt"] + ["/"] * retry.ATTEMPTS


def test_a_huge_page_is_cut_at_the_cap_and_its_head_still_read(web: FakeWeb) -> None:
    head = page(json_ld({"@type": "Organization", "name": "Huge Inc"})).body[:-14]
    web.serve("huge.io", "/", Page(body=head, size=50 * 1024 * 1024))
    site = provider(web, max_bytes=256 * 1024)
    started = time.monotonic()
    found = site.lookup(Target("account", 1, domains=("huge.io",)), "huge.io")
    assert ("name", "Huge Inc") in {(f.field, f.value) for f in found}
    assert site.http.bytes_read <= 256 * 1024 + 64 * 1024
    assert time.monotonic() - started < 5


def test_429_waits_as_long_as_retry_after_says(web: FakeWeb, waits: list[float]) -> None:
    web.serve("busy.io", "/", Page(429, b"", "text/plain", (("Retry-After", "7"),)),
              page(json_ld({"@type": "Organization", "name": "Busy GmbH"})))
    assert values(look_up(web, "busy.io"))["name"] == "Busy GmbH"
    assert waits == [7.0]
    assert web.paths("busy.io") == ["/robots.txt", "/", "/"]


def test_a_retry_after_beyond_the_policy_gives_up_at_once(web: FakeWeb,
                                                          waits: list[float]) -> None:
    web.serve("stingy.io", "/", Page(429, b"", "text/plain", (("Retry-After", "3600"),)))
    with pytest.raises(Transient) as caught:
        look_up(web, "stingy.io")
    assert caught.value.retry_after == 3600 and waits == []


def test_concurrency_cap_and_rate_limit(web: FakeWeb) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for n in range(8):
        web.serve(f"site{n}.com", "/", Page(body=b"<html></html>", delay=0.2))
    site = provider(web, concurrency=2, per_second=20)
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: site.lookup(Target("account", n, domains=(f"site{n}.com",)),
                                            f"site{n}.com"), range(8)))
    elapsed = time.monotonic() - started
    assert web.most_in_flight == 2
    assert elapsed >= (16 - 1) / 20  # 16 requests spaced 1/20 s apart
    assert site.http.requests == 16
