"""Signing in to Microsoft 365 with MSAL, for the Outlook connectors.

A source's ``auth:`` is one of:

- ``{type: device_code, tenant, client_id}``: a person signs in once with
  ``syncd auth SOURCE`` (the device code flow prints a code and a URL); MSAL's token
  cache, serialized, is the sign-in the runner stores encrypted, and access tokens
  are refreshed silently from it; a refused refresh (``invalid_grant``) is
  :class:`AuthRequired`. Graph is read as ``/me``.
- ``{type: client_credentials, tenant, client_id, client_secret}`` or
  ``{type: client_certificate, tenant, client_id, certificate: PATH}`` (a PEM holding
  the private key and the certificate): app-only access to the listed ``mailbox``,
  with no human step; MSAL caches the app token in memory for the run.

``endpoints:`` replaces Microsoft's base URLs for national clouds and test servers:
``graph`` (default ``https://graph.microsoft.com/v1.0``) and ``authority`` (default
``https://login.microsoftonline.com``; the tenant is appended). Scopes name the Graph
host as their resource (``https://graph.microsoft.us/Mail.Read`` for that cloud).
``ca_file:`` adds a trusted CA: MSAL and Graph then share a ``requests`` session that
trusts it and ignores ``REQUESTS_CA_BUNDLE`` (which would otherwise replace it).
Verification is never turned off.
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msal
import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from connectors.net import is_loopback
from syncd.configtypes import ConfigPath
from syncd.errors import AuthRequired, SourceUnusable, Transient

GRAPH = "https://graph.microsoft.com/v1.0"
AUTHORITY = "https://login.microsoftonline.com"
_HTTP_CACHE: dict[Any, Any] = {}
"""MSAL's HTTP cache (tenant discovery, kept for a day), shared by every MSAL app this
process makes: a daemon's run of a source need not discover the tenant again."""
TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
"""OAuth error codes (RFC 6749 section 5.2 and 4.1.2.1) for a token endpoint that is
throttled (HTTP 429) or down, which MSAL returns as a result rather than raising: the
run fails and the next one tries again; the sign-in itself is fine."""
_APP_TOKENS: dict[tuple[str, str, str], msal.SerializableTokenCache] = {}
"""App-only tokens per authority, tenant and client, for the life of the process: the
daemon's next run reuses the token, so an unchanged mailbox costs one request."""


def _unlock_after_fork() -> None:
    """A backfill reads in a forked child (:mod:`syncd.prefetch`). If another source's
    thread held a shared cache's lock at that moment, the child would wait on it for
    ever, since that thread does not exist there: each cache gets a fresh lock."""
    for cache in _APP_TOKENS.values():
        cache._lock = threading.RLock()  # msal's own attribute; no public way to reset it


os.register_at_fork(after_in_child=_unlock_after_fork)


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(min_length=1, description="the directory: its id or a domain")
    client_id: str = Field(min_length=1, description="the app registration's client id")


class DeviceCodeAuth(_Auth):
    """A person's delegated consent, given once with ``syncd auth SOURCE``."""

    type: Literal["device_code"]


class ClientSecretAuth(_Auth):
    """App-only access with a client secret (use ``${VAR}``)."""

    type: Literal["client_credentials"]
    client_secret: SecretStr = Field(description="use ${VAR}: never in clear text")


class ClientCertificateAuth(_Auth):
    """App-only access with a certificate credential."""

    type: Literal["client_certificate"]
    certificate: ConfigPath = Field(description=(
        "PEM file with the private key and the certificate registered with the app"))


MicrosoftAuth = Annotated[DeviceCodeAuth | ClientSecretAuth | ClientCertificateAuth,
                          Field(discriminator="type")]


class MicrosoftEndpoints(BaseModel):
    """Base URLs replacing Microsoft's (national clouds, test servers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    graph: str = Field(GRAPH, description="Graph's base, e.g. https://graph.microsoft.us/v1.0")
    authority: str = Field(AUTHORITY, description=(
        "the identity platform, e.g. https://login.microsoftonline.us"))

    @field_validator("graph", "authority")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"not an https URL: {value!r}")
        return value.rstrip("/")

    @property
    def resource(self) -> str:
        """What scopes name: the Graph host (``https://graph.microsoft.com``)."""
        parts = urllib.parse.urlsplit(self.graph)
        return f"{parts.scheme}://{parts.netloc}"


def http_session(ca_file: Any) -> requests.Session:
    """The session MSAL and Graph share; with ``ca_file`` it trusts that CA and not
    the environment's bundle (requests lets ``REQUESTS_CA_BUNDLE`` override
    ``verify`` otherwise)."""
    session = requests.Session()
    if ca_file is not None:
        session.verify = str(ca_file)
        session.trust_env = False
    return session


def scopes(endpoints: MicrosoftEndpoints, permissions: list[str]) -> list[str]:
    return [f"{endpoints.resource}/{permission}" for permission in permissions]


class MicrosoftToken:
    """Access tokens for one source, silently refreshed; the delegated cache changes
    are handed back through :meth:`changed_sign_in` for the runner to store."""

    def __init__(self, auth: DeviceCodeAuth | ClientSecretAuth | ClientCertificateAuth,
                 endpoints: MicrosoftEndpoints, http: requests.Session, wanted: list[str],
                 *, source: str, token: str | None) -> None:
        self.auth, self.endpoints, self.source = auth, endpoints, source
        self.cache = msal.SerializableTokenCache()
        if isinstance(auth, DeviceCodeAuth):
            if token is None:
                raise AuthRequired(f"{source} has not signed in to Microsoft: run "
                                   f"`syncd auth {source}`")
            self.cache.deserialize(token)
            self.scopes = scopes(endpoints, wanted)
        else:
            self.cache = _APP_TOKENS.setdefault(
                (endpoints.authority, auth.tenant, auth.client_id),
                msal.SerializableTokenCache())
            self.scopes = [f"{endpoints.resource}/.default"]
        self.app = _application(auth, endpoints, http, self.cache)

    def access_token(self, *, fresh: bool = False) -> str:
        """A valid access token; ``fresh`` asks for a new one (after a 401)."""
        try:
            if isinstance(self.app, msal.ConfidentialClientApplication):
                result = self.app.acquire_token_for_client(self.scopes)
            else:
                result = self._silent(fresh)
        except msal.exceptions.MsalServiceError as exc:  # the token endpoint failed
            raise Transient(f"{self.source}: Microsoft's token endpoint: {exc}") from exc
        except requests.RequestException as exc:
            raise Transient(f"{self.source}: Microsoft's token endpoint: "
                            f"{type(exc).__name__}: {exc}") from exc
        if result and result.get("error") in TRANSIENT_ERRORS:
            raise Transient(f"{self.source}: Microsoft's token endpoint: {_error(result)}")
        if not result or "access_token" not in result:
            raise AuthRequired(f"{self.source}: Microsoft refused the sign-in: "
                               f"{_error(result)}")
        return str(result["access_token"])

    def _silent(self, fresh: bool) -> dict[str, Any] | None:
        accounts = self.app.get_accounts()
        if not accounts:
            raise AuthRequired(f"{self.source}: the stored sign-in holds no account; run "
                               f"`syncd auth {self.source}` again")
        result: dict[str, Any] | None = self.app.acquire_token_silent_with_error(
            self.scopes, account=accounts[0], force_refresh=fresh)
        return result

    def changed_sign_in(self) -> str | None:
        """The delegated token cache, serialized, when this run changed it."""
        if isinstance(self.auth, DeviceCodeAuth) and self.cache.has_state_changed:
            return str(self.cache.serialize())
        return None


def _application(auth: DeviceCodeAuth | ClientSecretAuth | ClientCertificateAuth,
                 endpoints: MicrosoftEndpoints, http: requests.Session,
                 cache: msal.SerializableTokenCache) -> msal.ClientApplication:
    authority = f"{endpoints.authority}/{auth.tenant}"
    common: dict[str, Any] = {"authority": authority, "http_client": http,
                              "instance_discovery": _known_cloud(endpoints.authority),
                              "token_cache": cache, "http_cache": _HTTP_CACHE}
    try:
        if isinstance(auth, DeviceCodeAuth):
            return msal.PublicClientApplication(auth.client_id, **common)
        return msal.ConfidentialClientApplication(
            auth.client_id, client_credential=_credential(auth), **common)
    except ValueError as exc:  # MSAL's check of the authority URL
        raise SourceUnusable(f"endpoints.authority {endpoints.authority}: {exc}") from exc
    except requests.RequestException as exc:  # tenant discovery
        raise Transient(f"Microsoft's identity platform at {authority}: "
                        f"{type(exc).__name__}: {exc}") from exc


def _known_cloud(authority: str) -> bool:
    """Instance discovery asks Microsoft about the authority's host: only worth it for
    Microsoft's own hosts; a private or test authority skips it."""
    host = urllib.parse.urlsplit(authority).hostname or ""
    return host.startswith("login.microsoftonline.") and not is_loopback(host)


def _credential(auth: ClientSecretAuth | ClientCertificateAuth) -> Any:
    if isinstance(auth, ClientSecretAuth):
        return auth.client_secret.get_secret_value()
    try:
        pem = auth.certificate.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceUnusable(f"certificate {auth.certificate} cannot be read: {exc}") from exc
    blocks = _pem_blocks(pem)
    key = next((b for b in blocks if "PRIVATE KEY" in b.partition("\n")[0]), None)
    certificate = next((b for b in blocks if "CERTIFICATE" in b.partition("\n")[0]), None)
    if key is None or certificate is None:
        raise SourceUnusable(f"certificate {auth.certificate} must hold the private key "
                             "and the certificate, in PEM")
    return {"private_key": key, "public_certificate": certificate}


def _pem_blocks(pem: str) -> list[str]:
    found: list[str] = []
    current: list[str] = []
    for line in pem.splitlines():
        if line.startswith("-----BEGIN"):
            current = [line]
        elif current:
            current.append(line)
            if line.startswith("-----END"):
                found.append("\n".join(current) + "\n")
                current = []
    return found


def _error(result: dict[str, Any] | None) -> str:
    if not result:
        return "no token"
    return f"{result.get('error', 'error')}: {result.get('error_description', '')}".strip()


def sign_in(auth: DeviceCodeAuth, endpoints: MicrosoftEndpoints, http: requests.Session,
            permissions: list[str], say: Callable[[str], None]) -> str:
    """The device code flow: ``say`` tells the person where to go and what code to
    enter; returns the serialized token cache to store."""
    cache = msal.SerializableTokenCache()
    app = _application(auth, endpoints, http, cache)
    flow = app.initiate_device_flow(scopes=scopes(endpoints, permissions))
    if "user_code" not in flow:
        raise AuthRequired(f"Microsoft did not start the sign-in: {_error(flow)}")
    say(str(flow["message"]))
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise AuthRequired(f"the sign-in did not complete: {_error(result)}")
    return str(cache.serialize())
