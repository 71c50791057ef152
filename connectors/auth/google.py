"""Google credentials for the Gmail (and later Calendar) connectors.

A source's ``auth:`` names how syncd proves who it reads for, one of:

- ``{type: service_account, key_file, subject}``: domain-wide delegation (``subject``
  = the user whose mailbox is read). No human step, so an organisation can capture
  every mailbox without per-user consent.
- ``{type: oauth, client_secrets}``: a person signs in once with ``syncd auth
  SOURCE`` (:func:`sign_in`, Google's installed-app flow with a loopback redirect
  and PKCE, https://developers.google.com/identity/protocols/oauth2/native-app);
  the refresh token it yields is kept encrypted by the runner's token store and
  handed to the connector, which refreshes access tokens silently from it.

The stored sign-in is JSON: ``refresh_token`` and the ``scopes`` consented to, plus,
once a run has refreshed it, ``access`` = ``{token, expiry, scopes}``
(:func:`token_to_keep`). The next run starts from that access token while it is
valid for the same scopes, so a source synced every few minutes asks the token
endpoint about once an hour, not every run; google-auth refreshes it first when it
has expired (or nearly), and again when Google answers 401.

``endpoints:`` replaces Google's base URLs (a private endpoint, a test server). The
key or client-secrets file's own ``token_uri`` is used unless ``endpoints.token`` is
given; plain http is accepted for loopback hosts only, as for IMAP's ``security:
plain``. ``Credentials`` are built directly rather than with
``from_authorized_user_info``, which would reset a custom token URI to Google's.
"""

from __future__ import annotations

import functools
import json
import urllib.parse
import webbrowser
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from google.auth.credentials import Credentials as BaseCredentials
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from pydantic import BaseModel, ConfigDict, Field, field_validator

from connectors.net import is_loopback
from syncd.configtypes import ConfigPath
from syncd.errors import AuthRequired, SourceUnusable

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


class ServiceAccountAuth(BaseModel):
    """A service account's JSON key, acting as ``subject`` (domain-wide delegation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["service_account"]
    key_file: ConfigPath = Field(description="the service account's JSON key, as Google "
                                 "issues it (keep it readable by syncd only)")
    subject: str = Field(description="the user whose data is read, e.g. alice@example.com")


class OAuthAuth(BaseModel):
    """A person's consent, given once with ``syncd auth SOURCE``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["oauth"]
    client_secrets: ConfigPath = Field(description=(
        "the OAuth client (type Desktop app) JSON downloaded from Google Cloud Console"))


GoogleAuth = Annotated[ServiceAccountAuth | OAuthAuth, Field(discriminator="type")]


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


def credentials(auth: ServiceAccountAuth | OAuthAuth, endpoints: GoogleEndpoints,
                scopes: list[str], *, source: str, token: str | None) -> BaseCredentials:
    """Credentials that fetch their own access token on first use (oauth: unless the
    stored sign-in kept one that is still valid for ``scopes``).

    ``token`` is the source's stored sign-in (oauth only): without one the source
    needs ``syncd auth``. A key or client file that is missing or malformed is
    :class:`SourceUnusable`: no sign-in can fix a wrong path."""
    if isinstance(auth, OAuthAuth):
        return _user_credentials(auth, endpoints, scopes, source, token)
    try:
        stamp = auth.key_file.stat().st_mtime_ns
    except OSError as exc:
        raise SourceUnusable(f"key_file {auth.key_file} cannot be read: {exc}") from exc
    return _service_account(auth.key_file, stamp, auth.subject, endpoints.token,
                            tuple(sorted(scopes)))


@functools.lru_cache(maxsize=256)
def _service_account(key_file: Path, stamp: int, subject: str, token_uri: str | None,
                     scopes: tuple[str, ...]) -> BaseCredentials:
    """One credentials object per key (as last modified), user and scopes for the
    life of the process: the daemon's next run of the source reuses its access token
    (google-auth refreshes it when it nears expiry), so an unchanged mailbox costs
    one API request, not a token request besides."""
    try:
        info = json.loads(key_file.read_text(encoding="utf-8"))
        if token_uri:
            info["token_uri"] = token_uri
        creds: service_account.Credentials = (
            service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(scopes), subject=subject))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SourceUnusable(f"key_file {key_file} is not a usable service-account "
                             f"key: {type(exc).__name__}: {exc}") from exc
    return creds


def _user_credentials(auth: OAuthAuth, endpoints: GoogleEndpoints, scopes: list[str],
                      source: str, token: str | None) -> BaseCredentials:
    if token is None:
        raise AuthRequired(f"{source} has not signed in to Google: run `syncd auth {source}`")
    client = client_config(auth.client_secrets, endpoints)["installed"]
    try:
        stored = json.loads(token)
        refresh_token = str(stored["refresh_token"])
    except (ValueError, KeyError, TypeError):
        raise AuthRequired(f"{source}: the stored sign-in is unreadable; run "
                           f"`syncd auth {source}` again") from None
    access, expiry = _stored_access(stored, scopes)
    return user_credentials.Credentials(  # type: ignore[no-untyped-call]
        access, refresh_token=refresh_token, token_uri=client["token_uri"],
        client_id=client["client_id"], client_secret=client["client_secret"],
        scopes=scopes, expiry=expiry)


def _stored_access(stored: dict[str, Any], scopes: list[str]
                   ) -> tuple[str | None, datetime | None]:
    """The access token a previous run kept, if it was issued for exactly ``scopes``
    (one for other scopes could be refused, or allow more than the policy needs).
    Its expiry is naive UTC, as google-auth compares it."""
    access = stored.get("access")
    if not isinstance(access, dict) or sorted(access.get("scopes") or []) != sorted(scopes):
        return None, None
    try:
        expiry = datetime.fromisoformat(str(access["expiry"]))
        return str(access["token"]), expiry.astimezone(UTC).replace(tzinfo=None)
    except (KeyError, ValueError):
        return None, None


def token_to_keep(creds: BaseCredentials, token: str) -> str:
    """The sign-in to store after a run: ``token`` with the access token ``creds`` now
    hold, or ``token`` itself when that is the one it already had (or the creds are a
    service account's, which keeps nothing)."""
    if not isinstance(creds, user_credentials.Credentials) or not creds.token \
            or creds.expiry is None:
        return token
    stored = json.loads(token)
    access = {"token": creds.token, "scopes": sorted(creds.scopes or []),
              "expiry": creds.expiry.replace(tzinfo=UTC).isoformat()}
    if stored.get("access") == access:
        return token
    refresh_token = creds.refresh_token or stored["refresh_token"]  # Google may rotate it
    return json.dumps(stored | {"refresh_token": refresh_token, "access": access})


def client_config(path: Path, endpoints: GoogleEndpoints) -> dict[str, dict[str, Any]]:
    """The client-secrets file (``installed`` or ``web``) as ``{"installed": ...}``,
    with ``endpoints.token`` (or Google's) as its token URI."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        client = dict(data.get("installed") or data["web"])
        if not client.get("client_id") or not client.get("client_secret"):
            raise KeyError("client_id or client_secret")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SourceUnusable(f"client_secrets {path} is not a usable OAuth client file: "
                             f"{type(exc).__name__}") from None
    client["token_uri"] = endpoints.token or client.get("token_uri") or GOOGLE_TOKEN_URI
    return {"installed": client}


def sign_in(auth: OAuthAuth, endpoints: GoogleEndpoints, scopes: list[str], *,
            open_browser: bool = True, timeout: float | None = 600) -> str:
    """Run the installed-app flow on 127.0.0.1 and return the token JSON to store.

    With ``open_browser`` false the consent URL is printed for the person to open
    (on this machine: the redirect comes back to a loopback port). ``access_type=
    offline`` and ``prompt=consent`` make Google issue a refresh token every time."""
    from google_auth_oauthlib.flow import InstalledAppFlow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    flow = InstalledAppFlow.from_client_config(client_config(auth.client_secrets, endpoints),
                                               scopes)
    try:
        creds = flow.run_local_server(
            host="127.0.0.1", port=0, open_browser=open_browser,
            authorization_prompt_message="Open this URL in a browser to sign in:\n{url}",
            success_message="Signed in; you may close this window.",
            timeout_seconds=None if timeout is None else int(timeout),
            access_type="offline", prompt="consent")
    except webbrowser.Error as exc:
        raise AuthRequired(f"no browser to open ({exc}); use --no-browser") from None
    except (OAuth2Error, Warning, OSError, ValueError, AttributeError) as exc:
        # AttributeError: google-auth-oauthlib's answer to a timed-out wait
        raise AuthRequired(f"the sign-in did not complete ({type(exc).__name__})") from None
    if not creds.refresh_token:
        raise AuthRequired("Google returned no refresh token; sign in again")
    signed_in = json.dumps({"refresh_token": creds.refresh_token,
                            "scopes": sorted(creds.scopes or scopes)})
    return token_to_keep(creds, signed_in)  # with its access token: no refresh at first
