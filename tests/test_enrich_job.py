"""The enrichment pass end to end, on SQLite and PostgreSQL: mail captured, then
company websites (tests/fakes/websites.py) and a JSON API on 127.0.0.1 asked; facts
stored as observations with their source URL, ranked against signature facts, a
value set by hand still winning; the cache answering a rerun; nothing sent for free
mail, the team's own or denied domains; failures recorded, never blocking; the
``syncd enrich`` command and the daemon's job."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    EnrichmentCache,
    JobLease,
    Observation,
)
from syncd.db.session import session_scope
from syncd.enrich import enrich
from syncd.enrich_policy import Outbound
from syncd.runner import run_source
from syncd.store.explain import explain, set_field
from syncd.store.forget import forget
from tests.fakes.websites import FakeWeb, Page, redirect
from tests.mailfactory import mail, put_maildir
from tests.test_cli import syncd
from tests.test_daemon import STOP_SECONDS, start_daemon, wait_for
from tests.test_enrich_api import KEY, CompanyApi

ALICE = "alice@acme-robotics.com"
MEGAN = "megan@harborview-analytics.com"
SIGNED = ("Hi Alice,\n\nplease send the quote.\n\nBest regards,\nMegan Whitfield\n"
          "Head of Operations\nHarborview Analytics\nTel. +1 415 555 0123\n")
HARBORVIEW = {"@context": "https://schema.org", "@type": "Organization",
              "name": "Harborview Analytics Inc.", "description": "Port logistics analytics.",
              "telephone": "+1 212 555 0199", "sameAs": ["https://x.com/harborview"]}
PEOPLE = {MEGAN: "Megan Whitfield", "erin@nordwind.de": "Erin Berg",
          "bob.private@gmail.com": "Bob Stone", "carol@acme-robotics.com": "Carol Int",
          "dave@lawfirm.com": "Dave Law"}


@pytest.fixture
def web(tmp_path: Path) -> Iterator[FakeWeb]:
    hosts = ["harborview-analytics.com", "nordwind.de", "lawfirm.com", "gmail.com",
             "acme-robotics.com"]
    with FakeWeb(tmp_path / "tls", hosts) as server:
        server.serve("harborview-analytics.com", "/", Page(body=(
            '<html><head><script type="application/ld+json">' + json.dumps(HARBORVIEW) +
            "</script></head></html>").encode()))
        yield server



def deliver(box: Path) -> None:
    put_maildir(box, mail(MEGAN, [ALICE], names=PEOPLE, body=SIGNED, subject="Quote"))
    for sender in ("erin@nordwind.de", "bob.private@gmail.com", "dave@lawfirm.com"):
        put_maildir(box, mail(sender, [ALICE, "carol@acme-robotics.com"], names=PEOPLE))


def build(make_app: Any, tmp_path: Path, web: FakeWeb | None, **enrichment: Any) -> Any:
    settings = {"outbound": True, "proxy": web.proxy, "ca_file": str(web.ca_file),
                "deny": ["lawfirm.com"], **enrichment} if web else enrichment
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE, "every": "1h"}], enrichment=settings)
    if not list((tmp_path / "mail").glob("*/*")):
        deliver(tmp_path / "mail")
    assert run_source(app, app.config.source("inbox")).status == "ok"
    return app


def account_of(app: Any, domain: str) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(AccountDomain.account_id).where(
            AccountDomain.domain == domain)).scalar_one())


def explained(app: Any, subject: str, subject_id: int) -> dict[str, Any]:
    with session_scope(app.sessions) as session:
        found = explain(session, subject, subject_id)
    assert found is not None
    return found


def test_website_facts_win_with_their_source_and_a_rerun_asks_nobody(
        make_app: Any, tmp_path: Path, web: FakeWeb, waits: list[float]) -> None:
    app = build(make_app, tmp_path, web)
    harborview = account_of(app, "harborview-analytics.com")
    assert explained(app, "account", harborview)["fields"]["name"] == "Harborview Analytics"
    first = enrich(app)
    found = explained(app, "account", harborview)
    assert found["fields"]["name"] == "Harborview Analytics Inc."  # 0.8 beats a signature
    assert found["fields"]["description"] == "Port logistics analytics."
    assert found["fields"]["twitter"] == "https://x.com/harborview"
    assert (found["fields"]["country"], found["fields"]["timezone"]) == (
        "US", "America/New_York")  # derived offline from the site's phone
    names = {(r["value"], r["method"]): r["source"] for r in found["evidence"]["name"]}
    assert names[("Harborview Analytics Inc.", "website")] == "https://harborview-analytics.com/"
    assert ("Harborview Analytics", "signature") in names
    asked = len(web.log)
    assert first.providers["website"].requests == asked > 0
    assert first.providers["website"].found == 1 and first.providers["website"].empty == 1

    again = enrich(app)
    site = again.providers["website"]
    assert len(web.log) == asked and site.requests == 0
    assert site.hits == site.lookups == first.providers["website"].lookups
    assert again.facts == 0


def test_a_value_set_by_hand_still_wins(make_app: Any, tmp_path: Path, web: FakeWeb) -> None:
    app = build(make_app, tmp_path, web)
    harborview = account_of(app, "harborview-analytics.com")
    with session_scope(app.sessions) as session:
        set_field(session, "account", harborview, field="name", value="HVA",
                  now=datetime.now(UTC))
    before = len(web.log)
    enrich(app, [harborview], force=True)
    assert len(web.log) > before
    with session_scope(app.sessions) as session:
        assert session.get(Account, harborview).name == "HVA"  # type: ignore[union-attr]


def test_nothing_leaves_for_free_mail_internal_or_denied_domains(
        make_app: Any, tmp_path: Path, web: FakeWeb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEOPLE_KEY", KEY)
    with CompanyApi() as api:
        api.people["erin@nordwind.de"] = {"title": "Chief Financial Officer"}
        people = {"name": "people", "url": f"http://127.0.0.1:{api.port}/v1/people?email={{email}}",
                  "key": "${PEOPLE_KEY}", "key_header": "X-Api-Key", "key_format": "Key {key}",
                  "fields": {"job_title": "title"}}
        app = build(make_app, tmp_path, web, http=[people])
        stats = enrich(app)
        asked = {urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)["email"][0]
                 for target, _ in api.log}
    assert asked == {MEGAN, "erin@nordwind.de"}
    assert {host for host, _, _ in web.log} == {"harborview-analytics.com", "nordwind.de"}
    assert stats.held_back == 3  # lawfirm.com (website); bob@gmail.com, dave@ (the API)
    with session_scope(app.sessions) as session:
        erin_id = session.execute(select(Observation.subject_id).where(
            Observation.method == "http:people")).scalar_one()
    erin = explained(app, "contact", erin_id)
    assert erin["fields"]["job_title"] == "Chief Financial Officer"
    with session_scope(app.sessions) as session:
        contact = session.get(Contact, erin_id)
        assert contact is not None and contact.seniority == "c-level"  # titles reused
    assert KEY not in json.dumps(erin, default=str)


def test_a_failing_site_is_recorded_retried_later_and_never_blocks_a_sync(
        make_app: Any, tmp_path: Path, web: FakeWeb, waits: list[float]) -> None:
    web.serve("nordwind.de", "/", Page(503, b"", "text/plain"))
    app = build(make_app, tmp_path, web)
    stats = enrich(app)
    assert stats.providers["website"].failed == 1 and stats.providers["website"].found == 1
    with session_scope(app.sessions) as session:
        row = session.get(EnrichmentCache, ("website", "nordwind.de"))
        assert row is not None and row.status == "failed" and "HTTP 503" in (row.error or "")
        assert row.expires_at - row.fetched_at == app.config.enrichment.website.retry_failed
    put_maildir(tmp_path / "mail", mail("erin@nordwind.de", [ALICE], subject="Later"))
    assert run_source(app, app.config.source("inbox")).status == "ok"
    asked = len(web.log)
    assert enrich(app).providers["website"].hits == 2 and len(web.log) == asked
    web.serve("nordwind.de", "/", Page(body=b'<meta property="og:site_name" content="Nordwind">'))
    assert enrich(app, force=True).providers["website"].found == 2


def test_offline_facts_without_any_outbound_request(make_app: Any, tmp_path: Path) -> None:
    app = build(make_app, tmp_path, None)
    stats = enrich(app)
    assert set(stats.providers) == {"offline"}
    with session_scope(app.sessions) as session:
        megan = session.execute(select(Observation.subject_id).where(
            Observation.subject_type == "contact", Observation.value == "Megan Whitfield")
        ).scalars().first()
    assert megan is not None
    found = explained(app, "contact", megan)
    assert (found["fields"]["country"], found["fields"]["timezone"]) == (
        "US", "America/Los_Angeles")
    assert found["evidence"]["timezone"][0]["source"] == "tel:+14155550123"
    assert enrich(app).facts == 0  # the inputs did not change: nothing derived again


def test_the_enrich_command(make_app: Any, tmp_path: Path, web: FakeWeb) -> None:
    app = build(make_app, tmp_path, web)
    config = tmp_path / "syncd.yaml"
    done = syncd(config, "enrich", "harborview-analytics.com")
    assert "website" in done.stdout and "facts stored" in done.stdout
    assert {host for host, _, _ in web.log} == {"harborview-analytics.com"}
    shown = syncd(config, "explain", "account", str(account_of(app, "harborview-analytics.com")))
    assert "Harborview Analytics Inc." in shown.stdout
    assert "https://harborview-analytics.com/" in shown.stdout
    missing = syncd(config, "enrich", "nosuch.example", ok=False)
    assert missing.returncode == 4 and "no account 'nosuch.example'" in missing.stderr


def test_the_daemon_enriches_on_its_own_and_stops_promptly(
        make_app: Any, tmp_path: Path, web: FakeWeb,
        daemons: list[subprocess.Popen[str]]) -> None:
    web.serve("nordwind.de", "/", Page(body=b"<html></html>", delay=3))
    app = build(make_app, tmp_path, web, every="1s", website={"concurrency": 1})
    daemon = start_daemon(tmp_path / "syncd.yaml")
    daemons.append(daemon)

    def enriched() -> bool:
        with session_scope(app.sessions) as session:
            return session.execute(select(Observation.id).where(
                Observation.method == "website")).first() is not None

    wait_for(lambda: ("nordwind.de", "/") in {(h, p) for h, p, _ in web.log},
             what="the daemon's enrichment pass to reach the slow site")
    started = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(STOP_SECONDS)  # the lookup under way ends and is stored; none starts
    assert time.monotonic() - started < STOP_SECONDS
    assert enriched()
    assert {host for host, _, _ in web.log} == {"harborview-analytics.com", "nordwind.de"}


def test_nothing_is_asked_once_told_to_stop(make_app: Any, tmp_path: Path,
                                            web: FakeWeb) -> None:
    app = build(make_app, tmp_path, web)
    stop = threading.Event()
    stop.set()
    assert enrich(app, stop=stop).facts == 0 and web.log == []


def test_forgetting_a_company_erases_what_was_looked_up_about_it(
        make_app: Any, tmp_path: Path, web: FakeWeb) -> None:
    app = build(make_app, tmp_path, web)
    enrich(app)
    with session_scope(app.sessions) as session:
        forget(session, "harborview-analytics.com", ["acme-robotics.com"], datetime.now(UTC))
    with session_scope(app.sessions) as session:
        keys = set(session.execute(select(EnrichmentCache.key)).scalars())
        urls = set(session.execute(select(Observation.source_url)).scalars())
    assert "harborview-analytics.com" not in keys and "nordwind.de" in keys
    assert not any("harborview" in (url or "") or "+1212" in (url or "") for url in urls)


def test_the_outbound_policy(make_app: Any) -> None:
    app = make_app(capture={"deny": ["*@lawfirm.com"]},
                   enrichment={"deny": ["partner.example", "bob@*"]})
    policy = Outbound.of(app.config, app.lists)
    allowed = ["nordwind.de", "erin@nordwind.de", "shop.nordwind.de"]
    kept = ["gmail.com", "someone@gmail.com", "mail.yahoo.co.uk", "acme-robotics.com",
            "eu.acme-robotics.com", "x@sales.acme-robotics.com", "partner.example",
            "x@de.partner.example", "bob@nordwind.de", "dave@lawfirm.com"]
    assert [k for k in allowed + kept if policy.allows(k)] == allowed


def test_a_domain_whose_homepage_sends_visitors_to_another_joins_its_account(
        make_app: Any, tmp_path: Path, waits: list[float]) -> None:
    """No signature names the company at harborview.io; its homepage redirecting to
    harborview-analytics.com is what says the two domains are one company."""
    hosts = ["harborview-analytics.com", "harborview.io", "nordwind.de", "lawfirm.com"]
    with FakeWeb(tmp_path / "tls", hosts) as web:
        web.serve("harborview.io", "/", redirect("https://harborview-analytics.com/", 301))
        box = tmp_path / "mail"
        deliver(box)
        put_maildir(box, mail("sam@harborview.io", [ALICE], names={"sam@harborview.io":
                                                                   "Sam Reyes"}))
        app = build(make_app, tmp_path, web)
        assert account_of(app, "harborview.io") != account_of(app, "harborview-analytics.com")
        enrich(app)
    assert account_of(app, "harborview.io") == account_of(app, "harborview-analytics.com")
    merges = explained(app, "account", account_of(app, "harborview.io"))["merges"]
    assert any(e["kind"] == "website" for m in merges for e in m["evidence"])
    with session_scope(app.sessions) as session:
        winner = account_of(app, "harborview.io")
        both = {winner, *session.execute(select(Account.id).where(
            Account.merged_into_id == winner)).scalars()}
        forget(session, "harborview-analytics.com", [ALICE.partition("@")[2]],
               datetime.now(UTC))
    with session_scope(app.sessions) as session:  # the account merged in goes too
        left = set(session.execute(select(Account.id)).scalars())
        keys = set(session.execute(select(EnrichmentCache.key)).scalars())
    assert len(both) == 2 and not both & left
    assert not {"harborview.io", "harborview-analytics.com"} & keys


def test_one_pass_at_a_time_among_processes_sharing_the_database(
        make_app: Any, tmp_path: Path, web: FakeWeb) -> None:
    """A daemon on another host is enriching: this process asks nobody anything, and
    ``syncd enrich`` waits for that pass to end, then runs its own."""
    app = build(make_app, tmp_path, web)
    other = "elsewhere:4242:4026531836-0badc0de"
    with session_scope(app.sessions) as session:
        session.add(JobLease(name="enrichment", lease_owner=other,
                             lease_expires_at=datetime.now(UTC) + timedelta(minutes=1)))
    stats = enrich(app)
    assert (stats.busy, stats.facts, stats.targets, web.log) == (other, 0, 0, [])

    command = subprocess.Popen(
        [sys.executable, "-m", "syncd", "--config", str(tmp_path / "syncd.yaml"), "enrich",
         "harborview-analytics.com"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp",
                        "PYTHONUNBUFFERED": "1"})
    assert command.stdout is not None
    first = command.stdout.readline()
    assert f"{other} is enriching; waiting for it to finish" in first
    assert command.poll() is None and web.log == []  # it waits, asking nobody
    with session_scope(app.sessions) as session:
        session.execute(update(JobLease).values(lease_owner=None, lease_expires_at=None))
    rest, _ = command.communicate(timeout=60)
    assert command.returncode == 0, rest
    assert "facts stored" in rest and web.log
    with session_scope(app.sessions) as session:
        assert session.execute(select(JobLease.lease_owner)).scalar_one() is None
