"""What the Gmail and Calendar connectors share: settings, sign-in, the API client,
and handing back the access token google-auth refreshed.

Credentials are made once per connector and kept across pulls, so a resync after an
expired cursor reuses the access token. For ``auth: oauth`` the token google-auth
refreshed is put back in :attr:`~connectors.base.Connector.token` when the runner
closes the connector, and the runner stores it (encrypted): the next run starts
from it instead of asking the token endpoint again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

import httplib2
from google.auth.credentials import Credentials
from google.auth.exceptions import RefreshError, TransportError
from google_auth_httplib2 import AuthorizedHttp, Request
from googleapiclient.discovery import build
from pydantic import BaseModel, ConfigDict, Field

from connectors.auth.google import (
    GoogleAuth,
    GoogleEndpoints,
    OAuthAuth,
    credentials,
    sign_in,
    token_to_keep,
)
from connectors.base import Connector
from connectors.google_api import translate_transport
from syncd.errors import SourceError, Transient


class GoogleSettings(BaseModel):
    """The keys every Google source has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: GoogleAuth = Field(description="how syncd signs in to Google for this source")
    endpoints: GoogleEndpoints = Field(GoogleEndpoints(), description=(
        "Google's base URLs replaced (private endpoints, test servers)"))
    timeout: float = Field(60.0, gt=0, description="seconds to wait for Google")


class GoogleConnector(Connector):
    """A connector on a Google API (``api`` = discovery name and version)."""

    api: ClassVar[tuple[str, str]]
    settings: GoogleSettings

    def __init__(self, name: str, settings: BaseModel, token: str | None = None, *,
                 bodies: bool = True) -> None:
        super().__init__(name, settings, token, bodies=bodies)
        self._creds: Credentials | None = None
        self.http: AuthorizedHttp | None = None
        """The authorized transport of the last client built."""
        self._local = threading.local()

    def forkable(self, *, backfill: bool) -> bool:
        """A backfill may run in a second process when no stored sign-in is refreshed
        (a service account or an app-only sign-in): the child's refreshed sign-in
        could not be stored."""
        return backfill and not self.needs_token(self.settings)

    @classmethod
    def needs_token(cls, settings: BaseModel) -> bool:
        """``auth: {type: oauth}`` reads the refresh token ``syncd auth`` stored."""
        return isinstance(getattr(settings, "auth", None), OAuthAuth)

    @classmethod
    def sign_in(cls, settings: BaseModel, scopes: list[str], *, say: Callable[[str], None],
                open_browser: bool) -> str:
        """The installed-app flow (a browser, or a URL printed with ``--no-browser``)."""
        auth = getattr(settings, "auth", None)
        if not isinstance(settings, GoogleSettings) or not isinstance(auth, OAuthAuth):
            raise NotImplementedError("only `auth: {type: oauth}` signs in interactively")
        return sign_in(auth, settings.endpoints, scopes, open_browser=open_browser)

    def close(self) -> None:
        """Hand the access token google-auth refreshed to the runner to store."""
        if self._creds is not None and self.token is not None:
            self.token = token_to_keep(self._creds, self.token)

    def _service(self) -> Any:
        if self._creds is None:
            self._creds = credentials(self.settings.auth, self.settings.endpoints,
                                      self.scopes(self.settings, self.bodies),
                                      source=self.name, token=self.token)
        self.http = AuthorizedHttp(self._creds,
                                   http=httplib2.Http(timeout=self.settings.timeout))
        endpoint = self.settings.endpoints.api
        name, version = self.api
        return build(name, version, http=self.http, static_discovery=True,
                     client_options={"api_endpoint": endpoint} if endpoint else None)

    def thread_http(self) -> AuthorizedHttp:
        """An authorized transport for the calling thread (httplib2's are not shared
        between threads), on the connector's credentials."""
        http: AuthorizedHttp | None = getattr(self._local, "http", None)
        if http is None:
            self._service()  # the credentials, made once
            http = AuthorizedHttp(self._creds,
                                  http=httplib2.Http(timeout=self.settings.timeout))
            self._local.http = http
        return http

    def prepare(self) -> None:
        """An access token before a backfill forks, so the child inherits it and this
        process (the daemon) keeps a valid one for its next runs."""
        self._service()
        if self._creds is not None and not self._creds.valid:
            self._renew()

    def _renew(self) -> None:
        """A new access token now (none yet, or Google refused the one held)."""
        if self._creds is None:
            return
        try:
            self._creds.refresh(  # type: ignore[no-untyped-call]
                Request(httplib2.Http(timeout=self.settings.timeout)))
        except (RefreshError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
            problem = translate_transport(exc, f"{self.name}: sign-in")
            raise problem if isinstance(problem, SourceError) else \
                Transient(str(problem)) from exc
