"""Setting syncd up: ``init``, ``config check|schema``, ``db upgrade``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from syncd.cli.app import app, console, state
from syncd.cli.render import table
from syncd.config import config_model
from syncd.configfile import find_config, load_config
from syncd.lists import bundled_text
from syncd.secrets import create_key_file

config_app = typer.Typer(help="Check the configuration or print its JSON Schema.",
                         no_args_is_help=True)
db_app = typer.Typer(help="Manage the CRM database.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the file")] = Path("syncd.yaml"),
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented starter configuration and the secret key beside it."""
    if path.exists() and not force:
        console.print(f"{path} exists; use --force to overwrite it")
        raise typer.Exit(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(bundled_text("syncd.example.yaml"))
    key_file = path.parent / "syncd.key"
    if create_key_file(key_file):
        console.print(f"wrote {key_file} (mode 0600): the key to stored sign-ins; keep it "
                      "out of backups of the database")
    console.print(f"wrote {path}; edit it, then run `syncd --config {path} config check`")


@config_app.command("check")
def config_check() -> None:
    """Validate the configuration and say what it will do."""
    path = find_config(state.config_path)
    config = load_config(path)
    console.print(f"[green]ok[/] {path}: database {config.database.url.split('@')[-1]}, "
                  f"{len(config.sources)} source(s)")
    for source in config.sources:
        policy = config.capture_for(source)
        console.print(f"  {source.name} ({source.kind}) every {source.every}; "
                      f"visibility {policy.visibility}, contacts {policy.contacts}")


@config_app.command("schema")
def config_schema() -> None:
    """Print the JSON Schema of the file, for editor completion."""
    print(json.dumps(schema(), indent=2))


def schema() -> dict[str, object]:
    result = config_model().model_json_schema(mode="validation")
    result["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    result["title"] = "syncd configuration"
    return result


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to this version's schema (run and resync do this too)."""
    app_ = state.open()
    try:
        before, after = app_.upgrade()
    finally:
        app_.close()
    if before == after:
        console.print(f"the database is up to date (revision {after})")
    else:
        console.print(f"upgraded the database from {before or 'empty'} to {after}")


@app.command()
def doctor() -> None:
    """Check the configuration, the database, the key and every source's sign-in and
    reachability, reading no mail; say what to fix."""
    from syncd.doctor import examine

    app_ = state.open()
    try:
        findings = list(examine(app_))
    finally:
        app_.close()
    listing = table("check", "result", "found", "what to do", title="syncd doctor")
    for finding in findings:
        listing.add_row(finding.check, "[green]ok[/]" if finding.ok else "[red]problem[/]",
                        escape(finding.found), escape(finding.fix))
    console.print(listing)
    if not all(f.ok for f in findings):
        raise typer.Exit(1)


retention_app = typer.Typer(help="How long what mail said is kept.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
def retention_apply() -> None:
    """Drop subjects, snippets, bodies and locations older than ``retention.content``
    (and quarantined items as old), keeping who, when and with whom; the daemon does
    this every ``retention.every``."""
    from syncd.retention import apply_policy

    app_ = state.open()
    try:
        app_.upgrade()
        expired = apply_policy(app_)
    finally:
        app_.close()
    if expired is None:
        console.print("no retention.content period is configured: everything is kept")
        return
    console.print(f"content dropped from {expired.interactions} interaction(s); "
                  f"{expired.quarantined} quarantined item(s) dropped")


secrets_app = typer.Typer(help="The key that encrypts stored sign-ins.", no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Encrypt every stored sign-in with a new key, and replace the key file.

    Crash-safe: the key file first holds the new key and the old one (either
    decrypts), the sign-ins are re-encrypted in one transaction, then the file keeps
    the new key only. Neither key is ever printed."""
    from syncd.db.session import session_scope
    from syncd.secrets import ENV, Cipher, new_key, write_key_file
    from syncd.store.credentials import rotate

    app_ = state.open()
    try:
        if os.environ.get(ENV):
            console.print(f"the key comes from ${ENV}: rotate it where that variable is "
                          "set (syncd cannot rewrite the environment)")
            raise typer.Exit(2)
        key_file = app_.config.secrets.key_file
        old = app_.cipher
        fresh = new_key()
        write_key_file(key_file, [fresh, *key_file.read_bytes().split()])
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            count = rotate(session, old, Cipher(fresh, str(key_file)))
        write_key_file(key_file, [fresh])
    finally:
        app_.close()
    console.print(f"re-encrypted {count} stored sign-in(s) with a new key in {key_file}")
