"""``enrichment:`` in the YAML file: what may be looked up, where, and how often.

Nothing leaves the machine unless ``outbound: true``; with it the website provider
is on (``website.enabled: false`` turns it off) and the ``http:`` APIs listed run.
A provider configured while ``outbound`` is false is an error, not a silent no-op.
Offline derivation (country and time zone from phones and addresses) always runs:
it sends nothing.
"""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator

from connectors.net import is_loopback
from enrichment.providers.base import ACCOUNT_FIELDS, CONTACT_FIELDS
from syncd.configtypes import ConfigPath, Duration, Strict

USER_AGENT = ("syncd-enrich/0.1 (self-hosted CRM; reads public company homepages; "
              "honours robots.txt for 'syncd')")


class Pace(Strict):
    """How hard one provider may use the network."""

    ttl: Duration = Field(timedelta(days=30), description=(
        "how long an answer is kept before the provider is asked again"))
    retry_failed: Duration = Field(timedelta(days=1), description=(
        "how long a failed lookup waits before it is tried again"))
    concurrency: int = Field(8, ge=1, le=64, description="requests in flight at once")
    per_second: float = Field(20.0, gt=0, description="requests a second, at most")
    timeout: float = Field(10.0, gt=0, description=(
        "seconds for a connection, and for a whole answer to arrive"))


class WebsiteSettings(Pace):
    enabled: bool | None = Field(None, description=(
        "read each account's homepage (https); default: on when outbound is true"))
    max_bytes: int = Field(1 << 20, ge=16384, description=(
        "bytes of a page read at most; the rest is not downloaded"))


class JsonApiSettings(Pace):
    """A generic HTTP JSON enrichment API."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,29}$")
    url: str = Field(description=(
        "https URL template with {domain} (enriches accounts) or {email} (contacts); "
        "plain http only for a loopback host"))
    key: SecretStr | None = Field(None, description="the API key: write it as ${VAR}")
    key_header: str = Field("Authorization", description="the header the key is sent in")
    key_format: str = Field("Bearer {key}", description="the header's value; {key} is the key")
    fields: dict[str, str] = Field(description=(
        "fact -> dotted path in the JSON answer, e.g. {name: company.name}"))
    confidence: float = Field(0.6, ge=0.0, le=0.95, description=(
        "how far its facts are trusted (signatures 0.7, a value set by hand always wins)"))
    concurrency: int = Field(2, ge=1, le=64, description="requests in flight at once")
    per_second: float = Field(5.0, gt=0, description="requests a second, at most")

    @field_validator("url")
    @classmethod
    def _template(cls, value: str) -> str:
        if (value.count("{domain}") + value.count("{email}")) != 1:
            raise ValueError("the URL needs exactly one {domain} or {email}")
        parts = urllib.parse.urlsplit(value.replace("{domain}", "x").replace("{email}", "x"))
        if parts.scheme == "http" and is_loopback(parts.hostname or ""):
            return value
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("use an https:// URL (plain http only for a loopback host)")
        return value

    @model_validator(mode="after")
    def _known_fields(self) -> Self:
        allowed = ACCOUNT_FIELDS if "{domain}" in self.url else CONTACT_FIELDS
        unknown = sorted(set(self.fields) - allowed)
        if unknown:
            raise ValueError(f"fields: {', '.join(unknown)} cannot be stored; known: "
                             f"{', '.join(sorted(allowed))}")
        if "{key}" not in self.key_format:
            raise ValueError("key_format needs {key}")
        return self

    def headers(self) -> dict[str, str]:
        if self.key is None:
            return {}
        return {self.key_header: self.key_format.replace("{key}", self.key.get_secret_value())}


class EnrichmentSettings(Strict):
    outbound: bool = Field(False, description=(
        "allow HTTP requests off this machine; false: nothing is ever sent"))
    every: Duration = Field(timedelta(hours=1), description=(
        "how often `syncd run` enriches what is due (`syncd enrich` does it now)"))
    deny: tuple[str, ...] = Field((), description=(
        "domain or address globs never looked up (capture.deny, free-mail and the "
        "team's own domains never are)"))
    user_agent: str = Field(USER_AGENT, min_length=8, description=(
        "sent with every request; say who you are"))
    proxy: str | None = Field(None, pattern=r"^https?://", description=(
        "an HTTP proxy every outbound request goes through (https by CONNECT)"))
    ca_file: ConfigPath | None = Field(None, description=(
        "a CA bundle to trust instead of the system's (for a TLS-inspecting proxy)"))
    website: WebsiteSettings = WebsiteSettings()
    http: tuple[JsonApiSettings, ...] = ()

    @model_validator(mode="after")
    def _outbound_allowed(self) -> Self:
        if not self.outbound and (self.website.enabled or self.http):
            raise ValueError("a provider is configured but outbound is false: set "
                             "enrichment.outbound: true to let requests leave the machine")
        names = [api.name for api in self.http]
        if len(set(names)) != len(names):
            raise ValueError("http: provider names must be unique")
        return self

    @property
    def website_on(self) -> bool:
        return self.outbound and self.website.enabled is not False
