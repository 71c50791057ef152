"""``syncd auth SOURCE``: a person signs a source in; the token is stored encrypted.

The refresh token goes straight from the OAuth flow into the encrypted token store
(:mod:`syncd.store.credentials`); it is never printed or logged. The consent asked
for is the scope the connector will use under the source's capture policy
(``gmail.metadata`` when no text is kept), so the grant is never broader than the
policy, nor too narrow for the runs that follow.
"""

from __future__ import annotations

from typing import Annotated

import typer

from syncd.cli.app import app, console, errors, state
from syncd.config import CapturePolicy, SourceCommon
from syncd.db.session import session_scope
from syncd.errors import SourceError
from syncd.store.credentials import save_token


@app.command("auth")
def auth(
    source: Annotated[str, typer.Argument(help="the source to sign in, by name")],
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="print the sign-in URL instead of opening a browser")] = False,
) -> None:
    """Sign a source in (OAuth); its refresh token is stored encrypted."""
    from connectors.auth.google import GoogleEndpoints, OAuthAuth, sign_in

    app_ = state.open()
    try:
        settings = app_.config.source(source)  # KeyError: exit code 4
        auth_, endpoints = getattr(settings, "auth", None), getattr(settings, "endpoints", None)
        if not isinstance(auth_, OAuthAuth) or not isinstance(endpoints, GoogleEndpoints):
            console.print(f"{source} does not sign in interactively (it needs "
                          "`auth: {type: oauth, client_secrets: PATH}`)")
            raise typer.Exit(2)
        cipher = app_.cipher  # a missing key is reported before the person signs in
        app_.upgrade()
        scopes = _scopes(settings, app_.context(settings).policy)
        try:
            token = sign_in(auth_, endpoints, scopes, open_browser=not no_browser)
        except SourceError as exc:
            errors.print(f"[red]{source}: sign-in failed:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        with session_scope(app_.sessions) as session:
            save_token(session, cipher, source, token)
    finally:
        app_.close()
    console.print(f"{source}: signed in")


def _scopes(source: SourceCommon, policy: CapturePolicy) -> list[str]:
    """The scopes the source's connector will ask for: a grant without them would be
    refused at the first refresh, one beyond them is more than the policy needs."""
    from connectors.registry import connector_class
    from syncd.pipeline import shows_text
    return connector_class(source.kind).scopes(source, shows_text(policy))
