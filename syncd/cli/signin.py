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
from syncd.db.session import session_scope
from syncd.errors import SourceError
from syncd.store.credentials import save_token


@app.command("auth")
def auth(
    source: Annotated[str, typer.Argument(help="the source to sign in, by name")],
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="print the sign-in URL instead of opening a browser")] = False,
) -> None:
    """Sign a source in (Google OAuth, Microsoft device code); the sign-in is stored
    encrypted."""
    from connectors.registry import connector_class
    from syncd.pipeline import shows_text

    app_ = state.open()
    try:
        settings = app_.config.source(source)  # KeyError: exit code 4
        cls = connector_class(settings.kind)
        if not cls.needs_token(settings):
            console.print(f"{source} does not sign in interactively (Google sources need "
                          "`auth: {type: oauth}`, Microsoft ones `auth: {type: device_code}`)")
            raise typer.Exit(2)
        cipher = app_.cipher  # a missing key is reported before the person signs in
        app_.upgrade()
        scopes = cls.scopes(settings, shows_text(app_.context(settings).policy))
        try:
            token = cls.sign_in(settings, scopes, say=_say, open_browser=not no_browser)
        except SourceError as exc:
            errors.print(f"[red]{source}: sign-in failed:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        with session_scope(app_.sessions) as session:
            save_token(session, cipher, source, token)
    finally:
        app_.close()
    console.print(f"{source}: signed in")


def _say(text: str) -> None:
    console.print(text, highlight=False, markup=False)
