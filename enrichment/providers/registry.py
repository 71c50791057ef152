"""The explicit index of providers (no plugin scanning): the website provider, one
generic JSON provider per ``enrichment.http`` entry, and the offline derivation."""

from __future__ import annotations

from enrichment.providers.base import Provider
from enrichment.providers.http import HttpClient, Limits
from enrichment.providers.json_api import JsonApiProvider
from enrichment.providers.offline import OfflineProvider
from enrichment.providers.settings import EnrichmentSettings
from enrichment.providers.website import WebsiteProvider


def network_providers(settings: EnrichmentSettings) -> list[Provider]:
    """The providers that send requests, as configured; none unless outbound is on."""
    found: list[Provider] = []

    def client(limits: Limits) -> HttpClient:
        return HttpClient(settings.user_agent, limits, ca_file=settings.ca_file,
                          proxy=settings.proxy)

    site = settings.website
    if settings.website_on:
        limits = Limits(site.timeout, site.max_bytes, site.per_second, site.concurrency)
        found.append(WebsiteProvider(client(limits), ttl=site.ttl,
                                     retry_failed=site.retry_failed))
    for api in settings.http if settings.outbound else ():
        http = client(Limits(api.timeout, site.max_bytes, api.per_second, api.concurrency))
        found.append(JsonApiProvider(api.name, api.url, api.fields, http,
                                     headers=api.headers(), confidence=api.confidence,
                                     ttl=api.ttl, retry_failed=api.retry_failed))
    return found


def offline_providers() -> list[Provider]:
    return [OfflineProvider("account"), OfflineProvider("contact")]

