"""``syncd auth SOURCE``: a person signs a source in; the token is stored encrypted.

The refresh token goes straight from the OAuth flow into the encrypted token store
(:mod:`syncd.store.credentials`); it is never printed or logged.
"""

from __future__ import annotations

from typing import Annotated

import typer

from syncd.cli.app import app, console, errors, state
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
    from connectors.gmail import GMAIL_READONLY

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
        try:
            token = sign_in(auth_, endpoints, [GMAIL_READONLY],
                            open_browser=not no_browser)
        except SourceError as exc:
            errors.print(f"[red]{source}: sign-in failed:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        with session_scope(app_.sessions) as session:
            save_token(session, cipher, source, token)
    finally:
        app_.close()
    console.print(f"{source}: signed in")
