"""The generic HTTP JSON provider, configured in YAML, against a local JSON API on
127.0.0.1 that checks the key header; and the ``enrichment:`` settings' rules."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors import retry
from enrichment.providers.base import Target
from enrichment.providers.registry import network_providers
from syncd.configfile import load_config
from syncd.errors import ConfigError, SourceUnusable
from tests import known_secrets
from tests.fakes.loopback import Loopback, ReplyHandler

KEY = known_secrets.new("cdb_")


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class CompanyApi(Loopback):
    """``GET /v1/companies?domain=D`` and ``GET /v1/people?email=E``; 401 without the
    key in ``X-Api-Key``; records every request's path and headers; ``statuses`` are
    answered first, one a request, with ``Retry-After: 1``."""

    def __init__(self) -> None:
        self.companies: dict[str, Any] = {}
        self.people: dict[str, Any] = {}
        self.log: list[tuple[str, dict[str, str]]] = []
        self.statuses: list[int] = []
        super().__init__(ThreadingHTTPServer, ReplyHandler)

    def serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        self.log.append((target, headers))
        if self.statuses:
            return Reply(self.statuses.pop(0), b"{}", headers=(("Retry-After", "1"),))
        if headers.get("x-api-key") != f"Key {KEY}":
            return Reply(401, b'{"error": "bad key"}')
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        table = self.companies if url.path == "/v1/companies" else self.people
        found = table.get(query.get("domain") or query.get("email") or "")
        return Reply(200, json.dumps(found).encode()) if found else Reply(404, b"{}")


@pytest.fixture
def api() -> Iterator[CompanyApi]:
    with CompanyApi() as server:
        yield server


def config(tmp_path: Path, enrichment: dict[str, Any], env: dict[str, str]) -> Any:
    path = tmp_path / "syncd.yaml"
    path.write_text(yaml.safe_dump({"enrichment": enrichment}), encoding="utf-8")
    path.chmod(0o600)
    return load_config(path, env)


def company_api(port: int, template: str = "/v1/companies?domain={domain}",
                **extra: Any) -> dict[str, Any]:
    return {"outbound": True, "website": {"enabled": False}, "http": [{
        "name": "companydb", "url": f"http://127.0.0.1:{port}{template}",
        "key": "${COMPANYDB_KEY}", "key_header": "X-Api-Key", "key_format": "Key {key}",
        "fields": {"name": "company.name", "industry": "company.category.industry",
                   "employees": "company.metrics.employees", "same_as": "company.links",
                   "phone": "company.phone"}, **extra}]}


def test_fields_mapped_from_the_answer_with_the_key_header(
        api: CompanyApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.companies["nordwind.example"] = {"company": {
        "name": "Nordwind Energie AG", "category": {"industry": "Energy"},
        "metrics": {"employees": 1200}, "phone": "+49 40 1234567",
        "links": ["https://nordwind.example/en", "https://www.crunchbase.com/o/nordwind"]}}
    (provider,) = network_providers(config(tmp_path, company_api(api.port),
                                           {"COMPANYDB_KEY": KEY}).enrichment)
    found = provider.lookup(Target("account", 3, domains=("nordwind.example",)),
                            "nordwind.example")
    assert provider.name == "http:companydb" and provider.subject == "account"
    assert sorted((f.field, f.value) for f in found) == [
        ("employees", "1200"), ("industry", "Energy"), ("name", "Nordwind Energie AG"),
        ("phone", "+49401234567"), ("same_as", "https://nordwind.example/en"),
        ("same_as", "https://www.crunchbase.com/o/nordwind")]
    assert {f.source_url for f in found} == {
        f"http://127.0.0.1:{api.port}/v1/companies?domain=nordwind.example"}
    assert {f.confidence for f in found} == {0.6}
    ((_, headers),) = api.log
    assert headers["x-api-key"] == f"Key {KEY}"
    assert headers["user-agent"].startswith("syncd-enrich/")
    assert KEY not in repr(found) and KEY not in caplog.text


def test_unknown_is_nothing_and_a_refused_key_is_a_failure_without_the_key(
        api: CompanyApi, tmp_path: Path) -> None:
    settings = config(tmp_path, company_api(api.port), {"COMPANYDB_KEY": KEY}).enrichment
    (provider,) = network_providers(settings)
    assert provider.lookup(Target("account", 1), "unknown.example") == []
    wrong = config(tmp_path, company_api(api.port), {"COMPANYDB_KEY": "wrong-key-123"})
    (refused,) = network_providers(wrong.enrichment)
    with pytest.raises(SourceUnusable, match="key is refused") as caught:
        refused.lookup(Target("account", 1), "unknown.example")
    assert "wrong-key-123" not in str(caught.value)


def test_an_email_template_enriches_contacts_and_quotes_the_address(
        api: CompanyApi, tmp_path: Path) -> None:
    api.people["ann+crm@nordwind.example"] = {"person": {"title": "Head of Procurement",
                                                         "linkedin": "https://www.linkedin.com/in/ann"}}
    settings = company_api(api.port, "/v1/people?email={email}")
    settings["http"][0]["fields"] = {"job_title": "person.title",
                                     "linkedin": "person.linkedin"}
    (provider,) = network_providers(config(tmp_path, settings,
                                           {"COMPANYDB_KEY": KEY}).enrichment)
    target = Target("contact", 9, emails=("ann+crm@nordwind.example", "ann@other.example"))
    assert provider.subject == "contact" and provider.keys(target) == target.emails
    found = provider.lookup(target, target.emails[0])
    assert {(f.field, f.value) for f in found} == {
        ("job_title", "Head of Procurement"), ("linkedin", "https://www.linkedin.com/in/ann")}
    assert api.log[0][0] == "/v1/people?email=ann%2Bcrm@nordwind.example"


def test_503_is_retried_through_the_shared_policy(api: CompanyApi, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(retry, "sleep", waits.append)
    api.statuses += [503, 429]
    api.companies["x.example"] = {"company": {"name": "X"}}
    (provider,) = network_providers(config(tmp_path, company_api(api.port),
                                           {"COMPANYDB_KEY": KEY}).enrichment)
    assert [f.value for f in provider.lookup(Target("account", 1), "x.example")] == ["X"]
    assert waits == [1.0, 1.0] and len(api.log) == 3


@pytest.mark.parametrize(("enrichment", "problem"), [
    ({"website": {"enabled": True}}, "enrichment: .*outbound is false"),
    ({"http": [{"name": "a", "url": "https://a.example/{domain}", "fields": {}}]},
     "enrichment: .*outbound is false"),
    ({"outbound": True, "http": [{"name": "a", "url": "http://api.example/{domain}",
                                  "fields": {}}]}, r"enrichment.http\[0\].url: .*https"),
    ({"outbound": True, "http": [{"name": "a", "url": "https://api.example/x",
                                  "fields": {}}]}, r"enrichment.http\[0\].url: .*\{domain\}"),
    ({"outbound": True, "http": [{"name": "a", "url": "https://api.example/{domain}",
                                  "fields": {"colour": "x"}}]},
     r"enrichment.http\[0\]: .*colour cannot be stored"),
    ({"outbound": True, "proxy": "socks://x"}, "enrichment.proxy"),
])
def test_settings_refused_with_their_path(tmp_path: Path, enrichment: dict[str, Any],
                                          problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config(tmp_path, enrichment, {})
    assert any(re.search(problem, p) for p in caught.value.problems), \
        caught.value.problems


def test_a_clear_text_key_in_a_readable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "syncd.yaml"
    path.write_text(yaml.safe_dump({"enrichment": {"outbound": True, "http": [{
        "name": "a", "url": "https://api.example/{domain}", "key": "sk-live-12345678",
        "fields": {"name": "name"}}]}}), encoding="utf-8")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match=r"enrichment.http\[0\].key: a secret"):
        load_config(path, {})


def test_off_by_default_and_the_website_follows_outbound(tmp_path: Path) -> None:
    assert network_providers(config(tmp_path, {}, {}).enrichment) == []
    (site,) = network_providers(config(tmp_path, {"outbound": True}, {}).enrichment)
    assert site.name == "website"
