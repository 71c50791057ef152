"""``syncd doctor``: is everything in place for syncing, and if not, what to do.

Each check says what it found and, when something is wrong, the fix in the words an
operator acts on. Nothing is changed: the database is not migrated, no mail is read
(each connector's ``check`` only reaches its source and signs in).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from connectors.registry import connector_class
from syncd.app import App
from syncd.config import SourceCommon
from syncd.db.schema import HEAD, current_revision
from syncd.db.session import session_scope
from syncd.errors import AuthRequired, ConfigError, SourceError, Transient
from syncd.pipeline import shows_text
from syncd.store.credentials import stored_secret


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    found: str
    fix: str = ""


def examine(app: App) -> Iterator[Finding]:
    """Every check, in the order a fix is needed: database, key, then each source."""
    database = _database(app)
    yield database
    if any(connector_class(s.kind).needs_token(s) for s in app.config.sources):
        yield _key(app)
    for source in app.config.sources:
        yield _source(app, source, database.ok)


def _database(app: App) -> Finding:
    try:
        revision = current_revision(app.engine)
    except SQLAlchemyError as exc:
        return Finding("database", False, f"cannot be opened: {type(exc).__name__}: "
                       f"{exc.args[0] if exc.args else exc}",
                       "check database.url, the server, and the user's rights")
    if revision is None:
        return Finding("database", True, "empty; the first sync (or `syncd db upgrade`) "
                       "creates the tables")
    if revision != HEAD:
        return Finding("database", True, f"at schema {revision}; this syncd uses {HEAD}",
                       "`syncd db upgrade` (or any sync) migrates it")
    return Finding("database", True, f"schema {revision}, current")


def _key(app: App) -> Finding:
    try:
        app.cipher  # noqa: B018  (reading the key is the check)
    except ConfigError as exc:
        return Finding("secrets key", False, "; ".join(exc.problems),
                       "run `syncd init` to make a key file, or set SYNCD_SECRET_KEY")
    return Finding("secrets key", True, "present")


def _source(app: App, source: SourceCommon, have_database: bool) -> Finding:
    check = f"source {source.name}"
    cls = connector_class(source.kind)
    token = None
    if cls.needs_token(source):
        token = _token(app, source.name) if have_database else None
        if token is None:
            return Finding(check, False, "not signed in",
                           f"run `syncd auth {source.name}`")
    connector = cls(source.name, source, token,
                    bodies=shows_text(app.context(source).policy))
    try:
        return Finding(check, True, connector.check())
    except AuthRequired as exc:
        fix = (f"run `syncd auth {source.name}`" if token is not None
               else "check the username, the password or key, and what the account may do")
        return Finding(check, False, f"sign-in refused: {exc}", fix)
    except Transient as exc:
        return Finding(check, False, f"unreachable: {exc}",
                       "check the host, the port and the network; syncd retries by itself")
    except SourceError as exc:
        return Finding(check, False, str(exc), "fix the source's settings")
    finally:
        connector.close()


def _token(app: App, name: str) -> str | None:
    try:
        with session_scope(app.sessions) as session:
            secret = stored_secret(session, name)
        return None if secret is None else app.cipher.decrypt(secret)
    except (SQLAlchemyError, ConfigError):
        return None  # no table yet, or no key: reported by their own checks
