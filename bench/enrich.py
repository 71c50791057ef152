#!/usr/bin/env python3
"""Enrichment from company websites: throughput, fields filled, and the cache.

Usage::

    python bench/enrich.py [--sites 500] [--latency 0.1] [--concurrency 8]
                           [--per-second 20] [--seed 1]

``--sites`` company websites are served on 127.0.0.1 by the fake in
``tests/fakes/websites.py`` in a child process (reached through it as an https
CONNECT proxy, TLS with a throwaway CA), each request held ``--latency`` seconds. A
seeded generator gives the sites what real homepages have, in these shares:
schema.org JSON-LD (45%), OpenGraph and meta tags only (25%), a redirect to ``www.``
first (10%), a redirect to another company's domain (5%), robots.txt refusing syncd
(5%), no homepage (5%), broken HTML (5%). One message per company is synced into a
new SQLite CRM, so each site is an account; then ``syncd.enrich.enrich`` runs twice,
with the website provider at ``--concurrency`` requests in flight and
``--per-second`` requests a second (the configuration's defaults: 8 and 20). It prints:

* accounts enriched per second in the first run (all accounts / its wall time) and
  the HTTP requests it sent;
* the share of fields filled, over nine fields (name, description, logo, address,
  phone, LinkedIn, X, country, time zone; the last two derived offline from the
  phone and address): of all accounts' slots, and of what the sites offered;
* the second run's cache hit rate and requests sent (target: 100% hits, 0 requests).
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402

import yaml  # noqa: E402
from sqlalchemy import select  # noqa: E402

from syncd.app import App  # noqa: E402
from syncd.configfile import load_config  # noqa: E402
from syncd.db.models import AccountDomain  # noqa: E402
from syncd.db.session import session_scope  # noqa: E402
from syncd.enrich import EnrichStats, enrich  # noqa: E402
from syncd.runner import run_source  # noqa: E402
from syncd.store.explain import explain  # noqa: E402
from tests.fakes.websites import FakeWeb, Page, redirect  # noqa: E402
from tests.mailfactory import mail, put_maildir  # noqa: E402

FIELDS = ("name", "description", "logo", "address", "phone", "linkedin", "twitter",
          "country", "timezone")
KINDS = (("json_ld", 45), ("opengraph", 25), ("www", 10), ("elsewhere", 5),
         ("robots", 5), ("missing", 5), ("broken", 5))
ENRICHED = ("website", "offline")
OWNER = "alice@acme-robotics.com"
CITIES = (("Berlin", "10117", "Germany", "+49 30 901820"), ("Boston", "02108", "USA",
          "+1 617 555 0100"), ("Lyon", "69002", "France", "+33 4 72 00 00 00"),
          ("Leeds", "LS1 4AP", "United Kingdom", "+44 113 496 0000"))


@dataclass
class Site:
    domain: str
    kind: str
    offers: set[str] = field(default_factory=set)


def generate(count: int, seed: int) -> list[Site]:
    rng = random.Random(seed)
    kinds = [kind for kind, share in KINDS for _ in range(share)]
    return [Site(f"company{n:04d}-{rng.choice(('labs', 'works', 'group'))}.com",
                 kinds[rng.randrange(len(kinds))]) for n in range(count)]


def json_ld_page(site: Site, rng: random.Random) -> bytes:
    city, code, country, phone = rng.choice(CITIES)
    name = site.domain.split(".")[0].replace("-", " ").title()
    node = {"@context": "https://schema.org", "@type": "Organization", "name": name,
            "description": f"{name} builds things.", "logo": "/logo.png",
            "telephone": phone, "address": {"@type": "PostalAddress",
                                            "streetAddress": "1 Main Street",
                                            "postalCode": code, "addressLocality": city,
                                            "addressCountry": country},
            "sameAs": [f"https://www.linkedin.com/company/{site.domain.split('.')[0]}",
                       f"https://twitter.com/{site.domain[:11].replace('-', '_')}"]}
    site.offers |= set(FIELDS)
    return (f'<html><head><script type="application/ld+json">{json.dumps(node)}</script>'
            f"</head><body>{'<p>news</p>' * 200}</body></html>").encode()


def opengraph_page(site: Site) -> bytes:
    name = site.domain.split(".")[0].replace("-", " ").title()
    site.offers |= {"name", "description", "twitter"}
    return (f'<html><head><meta property="og:site_name" content="{name}">'
            f'<meta property="og:description" content="{name}, since 1990.">'
            f'<meta name="twitter:site" content="@{site.domain[:11].replace("-", "_")}">'
            "</head><body><p>hello</p></body></html>").encode()


def serve(web: FakeWeb, sites: list[Site], seed: int) -> None:
    rng = random.Random(seed)
    for n, site in enumerate(sites):
        home, kind = site.domain, site.kind
        if kind == "json_ld":
            web.serve(home, "/", Page(body=json_ld_page(site, rng)))
        elif kind == "opengraph":
            web.serve(home, "/", Page(body=opengraph_page(site)))
        elif kind == "www":
            web.serve(home, "/", redirect(f"https://www.{home}/"))
            web.serve(f"www.{home}", "/", Page(body=json_ld_page(site, rng)))
        elif kind == "elsewhere":
            web.serve(home, "/", redirect(f"https://{sites[(n + 1) % len(sites)].domain}/"))
        elif kind == "robots":
            web.serve(home, "/robots.txt", Page(body=b"User-agent: syncd\nDisallow: /\n",
                                                content_type="text/plain"))
            web.serve(home, "/", Page(body=json_ld_page(Site(home, kind), rng)))
        elif kind == "broken":
            site.offers.add("name")
            web.serve(home, "/", Page(body=b'<html><head><meta property="og:site_name" '
                                      b'content="Broken Co"><script type="application/'
                                      b'ld+json">{"@type": "Organiz<div <p>>\xff\xfe'))


def run_sites(conn: Connection, root: Path, args: argparse.Namespace) -> None:
    """The child process: serve the generated sites until told to stop; send back the
    proxy's port, the CA file and what each site offers, then the requests it saw."""
    sites = generate(args.sites, args.seed)
    hosts = [h for s in sites for h in (s.domain, f"www.{s.domain}")]
    with FakeWeb(root / "tls", hosts, latency=args.latency) as web:
        serve(web, sites, args.seed)
        conn.send((web.proxy, web.ca_file, [site.offers for site in sites]))
        conn.recv()
        conn.send(len(web.log))


def build_crm(root: Path, proxy: str, ca_file: Path, sites: list[Site],
              args: argparse.Namespace) -> App:
    for n, site in enumerate(sites):
        put_maildir(root / "mail", mail(f"buyer@{site.domain}", [OWNER],
                                        message_id=f"<m{n}@bench>", subject="Order"))
    path = root / "syncd.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": f"sqlite:///{root / 'crm.db'}"},
        "team": {"internal_domains": ["acme-robotics.com"]},
        "logging": {"level": "warning"},
        "enrichment": {"outbound": True, "proxy": proxy, "ca_file": str(ca_file),
                       "website": {"concurrency": args.concurrency,
                                   "per_second": args.per_second}},
        "sources": [{"name": "inbox", "kind": "maildir", "path": str(root / "mail"),
                     "owner": OWNER}]}), encoding="utf-8")
    app = App(load_config(path))
    app.upgrade()
    run_source(app, app.config.source("inbox"))
    return app


def filled(app: App, sites: list[Site]) -> tuple[int, int, int]:
    """(slots filled, slots the sites offered that were filled, slots offered): a slot
    is filled when the account has evidence for the field from the website or
    derived offline."""
    got = offered_got = offered = 0
    with session_scope(app.sessions) as session:
        ids = dict(session.execute(select(AccountDomain.domain, AccountDomain.account_id)).all())
        for site in sites:
            evidence = (explain(session, "account", ids[site.domain]) or {})["evidence"]
            have = {f for f in FIELDS if any(r["method"] in ENRICHED
                                             for r in evidence.get(f, ()))}
            got += len(have)
            offered_got += len(have & site.offers)
            offered += len(site.offers)
    return got, offered_got, offered


def report(first: EnrichStats, second: EnrichStats, seconds: float, sites: list[Site], *,
           shares: tuple[int, int, int], args: argparse.Namespace) -> None:
    site1, site2 = first.providers["website"], second.providers["website"]
    got, offered_got, offered = shares
    hits = site2.hits / site2.lookups if site2.lookups else 0.0
    rows = [
        ("accounts", f"{len(sites)}", ""),
        ("first run", f"{seconds:.1f} s", f"concurrency {args.concurrency}, "
         f"{args.per_second:g} requests/s, latency {args.latency * 1000:.0f} ms"),
        ("accounts enriched per second", f"{len(sites) / seconds:.1f}", ""),
        ("requests, first run", f"{site1.requests}",
         f"found {site1.found}, nothing {site1.empty}, failed {site1.failed}"),
        ("fields filled, all slots", f"{got / (len(sites) * len(FIELDS)):.1%}",
         f"{got} of {len(sites) * len(FIELDS)}"),
        ("fields filled, of what sites offered", f"{offered_got / max(offered, 1):.1%}",
         f"{offered_got} of {offered}"),
        ("second run: cache hit rate", f"{hits:.1%}", "target 100%: " +
         ("met" if hits == 1.0 else "MISSED")),
        ("second run: requests", f"{site2.requests}", "target 0: " +
         ("met" if site2.requests == 0 else "MISSED")),
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>9}  {note}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--per-second", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sites = generate(args.sites, args.seed)
    with tempfile.TemporaryDirectory(prefix="syncd-enrich-") as tmp:
        ours, theirs = multiprocessing.get_context("fork").Pipe()
        child = multiprocessing.get_context("fork").Process(
            target=run_sites, args=(theirs, Path(tmp), args), daemon=True)
        child.start()  # its own process: the sites do not share syncd's interpreter
        try:
            proxy, ca_file, offers = ours.recv()
            for site, offered in zip(sites, offers, strict=True):
                site.offers = offered
            app = build_crm(Path(tmp), proxy, ca_file, sites, args)
            started = time.monotonic()
            first = enrich(app)
            seconds = time.monotonic() - started
            second = enrich(app)
            report(first, second, seconds, sites, shares=filled(app, sites), args=args)
            ours.send("stop")
            print(f"{'requests the sites saw, both runs':<36}  {ours.recv():>9}")
            app.close()
        finally:
            child.join(10)
            if child.is_alive():
                child.kill()


if __name__ == "__main__":
    main()
