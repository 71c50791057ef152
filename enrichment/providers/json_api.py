"""The generic HTTP JSON provider: an enrichment API the team already pays for,
described in YAML instead of code.

``url`` is a template with ``{domain}`` (the provider enriches accounts, once per
domain) or ``{email}`` (contacts, once each, by their first address the policy lets
out); the value is URL-quoted. The
API key comes from ``key`` (written ``${VAR}``: never in the file, never logged) and
is sent in ``key_header`` as ``key_format`` makes it (``Bearer {key}``). ``fields``
maps a fact to a dotted path in the JSON answer (``company.metrics.employees``,
``emails.0``); a list of values gives one fact each. 404 means the API knows
nothing; 401 and 403 mean the key is refused.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from enrichment.providers.base import Found, Subject, Target
from enrichment.providers.http import HttpClient, HttpProvider
from enrichment.providers.places import e164
from syncd.errors import SourceUnusable

MAX_VALUE = 500


class JsonApiProvider(HttpProvider):
    """One configured API."""

    def __init__(self, name: str, url: str, fields: Mapping[str, str], http: HttpClient,
                 *, headers: Mapping[str, str], confidence: float, ttl: timedelta,
                 retry_failed: timedelta) -> None:
        self.name = f"http:{name}"
        self.subject: Subject = "account" if "{domain}" in url else "contact"
        super().__init__(http, ttl=ttl, retry_failed=retry_failed)
        self.template, self.fields = url, dict(fields)
        self.headers, self.confidence = dict(headers), confidence

    def keys(self, target: Target) -> tuple[str, ...]:
        return target.domains if self.subject == "account" else target.emails

    def lookup(self, target: Target, key: str) -> list[Found]:
        placeholder = "{domain}" if self.subject == "account" else "{email}"
        url = self.template.replace(placeholder, urllib.parse.quote(key, safe="@"))
        answer = self.http.get(url, f"{self.name} for {key}", headers=self.headers)
        if answer.status == 404:
            return []
        if answer.status in (401, 403):
            raise SourceUnusable(f"{self.name}: HTTP {answer.status}: the API key is refused")
        if answer.status != 200:
            raise SourceUnusable(f"{self.name}: HTTP {answer.status}")
        try:
            data = json.loads(answer.body)
        except ValueError as exc:
            raise SourceUnusable(f"{self.name}: the answer is not JSON") from exc
        return [Found(field, value, self.confidence, url)
                for field, path in self.fields.items()
                for value in _values(_at(data, path), field)]


def _at(data: Any, path: str) -> Any:
    """The value at a dotted path; None where the path leads nowhere."""
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _values(value: Any, field: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            continue
        text = " ".join(str(item).replace("\x00", "").split())[:MAX_VALUE]
        if field.startswith("phone"):
            text = e164(text, None) or ""
        if text:
            found.append(text)
    return found
