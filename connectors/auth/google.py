"""Google credentials for the Gmail (and later Calendar) connectors.

A source's ``auth:`` names how syncd proves who it reads for. Today that is a
service account with domain-wide delegation (``subject`` = the user whose mailbox
is read): no human step, so an organisation can capture every mailbox without
per-user consent. The interactive ``{type: oauth, client_secrets: PATH}`` sign-in
(``syncd auth SOURCE`` and an encrypted token store) joins :data:`GoogleAuth` as a
second member of a union discriminated by ``type``.

``endpoints:`` replaces Google's base URLs (a private endpoint, a test server). The
key file's own ``token_uri`` is used unless ``endpoints.token`` is given; plain
http is accepted for loopback hosts only, as for IMAP's ``security: plain``.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Literal

from google.oauth2 import service_account
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.net import is_loopback
from syncd.configtypes import ConfigPath
from syncd.errors import SourceUnusable


class ServiceAccountAuth(BaseModel):
    """A service account's JSON key, acting as ``subject`` (domain-wide delegation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["service_account"]
    key_file: ConfigPath = Field(description="the service account's JSON key, as Google "
                                 "issues it (keep it readable by syncd only)")
    subject: str = Field(description="the user whose data is read, e.g. alice@example.com")


GoogleAuth = ServiceAccountAuth
"""Becomes ``Annotated[ServiceAccountAuth | OAuthAuth, Field(discriminator="type")]``
once the interactive sign-in exists."""


class GoogleEndpoints(BaseModel):
    """Base URLs replacing Google's, for private endpoints and test servers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api: str | None = Field(None, description="API root, e.g. https://gmail.googleapis.com/")
    token: str | None = Field(None, description="OAuth token endpoint URL")

    @field_validator("api", "token")
    @classmethod
    def _safe_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urllib.parse.urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r}")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("plain http is allowed only for a loopback host")
        return value


def credentials(auth: GoogleAuth, endpoints: GoogleEndpoints,
                scopes: list[str]) -> service_account.Credentials:
    """Credentials that fetch their own access token on first use.

    A key file that is missing or not a service-account key is
    :class:`SourceUnusable`: no sign-in can fix a wrong path."""
    try:
        info = json.loads(auth.key_file.read_text(encoding="utf-8"))
        if endpoints.token:
            info["token_uri"] = endpoints.token
        creds: service_account.Credentials = (
            service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=scopes, subject=auth.subject))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SourceUnusable(f"key_file {auth.key_file} is not a usable service-account "
                             f"key: {type(exc).__name__}: {exc}") from exc
    return creds
