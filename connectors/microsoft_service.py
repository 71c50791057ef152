"""What the Outlook mail and calendar connectors share: settings, sign-in, the Graph
client, and handing back a refreshed sign-in.

A delegated source (``auth: device_code``) reads ``/me``; an app-only one reads
``/users/{mailbox}``. The MSAL token cache a delegated run refreshed is put back in
:attr:`~connectors.base.Connector.token` when the runner closes the connector, and
the runner stores it encrypted.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.auth.microsoft import (
    DeviceCodeAuth,
    MicrosoftAuth,
    MicrosoftEndpoints,
    MicrosoftToken,
    http_session,
    scopes,
    sign_in,
)
from connectors.base import Connector
from connectors.graph_api import GraphClient
from syncd.configtypes import ConfigPath


class MicrosoftSettings(BaseModel):
    """The keys every Microsoft 365 source has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: MicrosoftAuth = Field(description="how syncd signs in to Microsoft 365")
    mailbox: str | None = Field(None, description=(
        "the user whose mail or calendar is read (app-only sign-ins need it; a delegated "
        "sign-in reads the signed-in user's)"))
    endpoints: MicrosoftEndpoints = Field(MicrosoftEndpoints(), description=(
        "Microsoft's base URLs replaced (national clouds, test servers)"))
    ca_file: ConfigPath | None = Field(None, description="a CA to trust besides the system's")
    timeout: float = Field(60.0, gt=0, description="seconds to wait for Microsoft")

    @model_validator(mode="after")
    def _app_only_names_a_mailbox(self) -> MicrosoftSettings:
        if not isinstance(self.auth, DeviceCodeAuth) and not self.mailbox:
            raise ValueError("an app-only sign-in (client_credentials, client_certificate) "
                             "needs `mailbox:`, the user whose data is read")
        return self


class MicrosoftConnector(Connector):
    """A connector on Microsoft Graph; ``permissions`` says what it reads."""

    settings: MicrosoftSettings
    read_permissions: ClassVar[tuple[str, str]]
    """The delegated permission with bodies, and without (``Mail.Read`` /
    ``Mail.ReadBasic``)."""

    _token: MicrosoftToken | None = None
    _graph: GraphClient | None = None

    def forkable(self, *, backfill: bool) -> bool:
        """A backfill may run in a second process when no stored sign-in is refreshed
        (a service account or an app-only sign-in): the child's refreshed sign-in
        could not be stored."""
        return backfill and not self.needs_token(self.settings)

    @classmethod
    def needs_token(cls, settings: BaseModel) -> bool:
        """``auth: {type: device_code}`` reads the token cache ``syncd auth`` stored."""
        return isinstance(getattr(settings, "auth", None), DeviceCodeAuth)

    @classmethod
    def scopes(cls, settings: BaseModel, bodies: bool) -> list[str]:
        endpoints = getattr(settings, "endpoints", MicrosoftEndpoints())
        with_bodies, without = cls.read_permissions
        return scopes(endpoints, [with_bodies if bodies else without])

    @classmethod
    def sign_in(cls, settings: BaseModel, scopes: list[str], *, say: Callable[[str], None],
                open_browser: bool) -> str:
        """The device code flow: the code and the URL are printed, whatever the browser."""
        if not isinstance(settings, MicrosoftSettings) or \
                not isinstance(settings.auth, DeviceCodeAuth):
            raise NotImplementedError("only `auth: {type: device_code}` signs in "
                                      "interactively")
        permissions = [scope.rsplit("/", 1)[1] for scope in scopes]
        return sign_in(settings.auth, settings.endpoints, http_session(settings.ca_file),
                       permissions, say)

    @property
    def owner_path(self) -> str:
        if isinstance(self.settings.auth, DeviceCodeAuth):
            return "/me"
        return f"/users/{urllib.parse.quote(self.settings.mailbox or '', safe='@')}"

    def graph(self) -> GraphClient:
        if self._graph is None:
            http = http_session(self.settings.ca_file)
            permissions = [s.rsplit("/", 1)[1] for s in self.scopes(self.settings,
                                                                    self.bodies)]
            self._token = MicrosoftToken(self.settings.auth, self.settings.endpoints, http,
                                         permissions, source=self.name, token=self.token)
            self._graph = GraphClient(http, self._token, self.settings.endpoints.graph,
                                      timeout=self.settings.timeout, source=self.name)
        return self._graph

    def prepare(self) -> None:
        """An access token before a backfill forks, so the child inherits it and this
        process keeps it for its next runs."""
        self.graph().token.access_token()

    def close(self) -> None:
        """Hand a refreshed sign-in to the runner to store."""
        if self._token is not None:
            changed = self._token.changed_sign_in()
            if changed is not None:
                self.token = changed
