"""Shared fixtures: a database per test on SQLite and on the real PostgreSQL server.

PostgreSQL is expected at 127.0.0.1:5432 (trust auth), as `.ci/run` guarantees; a
session gets its own database, and each test a fresh schema in it. Setting
SYNCD_TEST_PG=off skips the PostgreSQL half explicitly; an unreachable server
otherwise fails the tests instead of skipping them silently.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# bound before a test puts bench/ (which has a google.py) on sys.path: the google
# namespace package would lose to a module of that name
import google.auth  # noqa: F401
import psycopg
import pytest
import yaml

from connectors import retry
from syncd.app import App
from syncd.config import ConfigBase
from syncd.configfile import load_config
from tests import known_secrets
from tests.dovecot import Dovecot, DovecotError

os.environ.setdefault("SYNCD_ALLOW_ROOT", "1")
"""CI runs the suite as root, and ``syncd run`` refuses root unless told (the refusal
itself is tested with the variable removed)."""

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=5"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session."""
    if os.environ.get("SYNCD_TEST_PG") == "off":
        pytest.skip("SYNCD_TEST_PG=off")
    name = f"syncd_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test once on a new SQLite file and once on an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crm.db'}"
    url: str = request.getfixturevalue("pg_database")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def make_app(tmp_path: Path, db_url: str) -> Iterator[Any]:
    """``make_app(sources=[...], **top_level_keys)`` -> an upgraded :class:`App`."""
    apps: list[App] = []

    def build(sources: list[dict[str, Any]] | None = None, **extra: Any) -> App:
        database = {"url": db_url, **extra.pop("database", {})}
        data: dict[str, Any] = {"database": database,
                                "team": {"internal_domains": ["acme-robotics.com"]},
                                "sources": sources or [], **extra}
        config: ConfigBase = load_config(write_config(tmp_path / "syncd.yaml", data))
        app = App(config)
        app.upgrade()
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


@pytest.fixture
def daemons() -> Iterator[list[subprocess.Popen[str]]]:
    """Started ``syncd run`` processes, killed at the end whatever the test did."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[Dovecot]:
    """A private Dovecot (tests/dovecot.py) on 127.0.0.1, started, and always stopped.

    A missing or broken Dovecot fails the test with the reason; it never skips.
    """
    try:
        server = Dovecot(tmp_path / "dovecot", password=secrets.token_urlsafe(16))
        server.start()
    except DovecotError as exc:
        pytest.fail(f"could not start the test Dovecot: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(autouse=True)
def no_secrets_shown(request: pytest.FixtureRequest,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail a test whose log records, CLI output or subprocess output hold a test
    secret: a token or client secret the fakes issued, a Dovecot password, the Fernet
    key (``$SYNCD_SECRET_KEY`` or a key file syncd wrote under ``tmp_path``), a
    private key (tests/known_secrets.py)."""
    tmp = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    watch = known_secrets.Watch()
    with watch.installed(monkeypatch):
        yield
    watch.extra.update(os.environ.get("SYNCD_SECRET_KEY", "").split())
    problems = watch.found(tmp)
    if problems:
        pytest.fail("a secret was shown:\n  " + "\n  ".join(sorted(set(problems))),
                    pytrace=False)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The retry policy's waits, recorded instead of slept: ``connectors.retry.sleep``
    is the policy's clock, the one seam tests replace (every server stays real)."""
    slept: list[float] = []
    monkeypatch.setattr(retry, "sleep", slept.append)
    return slept
