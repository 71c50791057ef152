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


SLOW_FIRST = (
    "test_crash_recovery.py::test_kill_during_resync_then_rerun_equals_one_clean_run",
    "test_many_daemons.py::test_a_daemon_on_another_host_that_dies_is_taken_over",
    "test_imap.py::test_server_killed_mid_sync_then_the_next_run_completes",
    "test_sync_properties.py::TestMailboxHistory",
    "test_bench_daemon.py::test_tiny_run_prints_sane_figures",
    "test_outlook_mail.py::test_device_code_sign_in_then_silent_refresh_then_revoked",
    "test_many_daemons.py::test_two_daemons_and_a_resync_never_sync_one_source_at_once",
    "test_daemon.py::test_sigterm_stops_after_the_current_batch_and_nothing_is_lost",
    "test_quarantine.py::test_show_list_and_drop",
    "test_bench_google.py::test_tiny_run_prints_every_figure_beside_its_target",
    "test_cli.py::test_contacts_accounts_interactions",
    "test_verify.py::test_a_lost_interaction_is_named_by_folder_day_and_id",
    "test_imap.py::test_a_server_restart_mid_sync_is_survived_within_the_run",
    "test_no_secrets.py::test_a_test_that_leaks_a_token_fails",
    "test_hostile_mime.py::test_hostile_mail_is_captured_skipped_or_quarantined",
    "test_bench_microsoft.py::test_tiny_run_prints_every_figure_beside_its_target",
    "test_quarantine.py::test_retry_captures_what_can_be_read_and_keeps_what_cannot",
    "test_flaky_network.py::test_imap_converges_through_cut_connections",
    "test_bench_identity.py::",
    "test_bench_enrich.py::",
    "test_identity_store.py::test_unmerge_restores_both_exactly",
    "test_identity_store.py::test_an_account_unmerge_gives_back_its_domains",
    "test_identity_store.py::test_a_field_set_by_hand_wins_over_every_signature",
    "test_daemon.py::test_resync_waits_for_a_daemon_that_holds_the_source",
    "test_hostile_html.py::test_script_and_style_content_never_shows",
    "test_cli.py::test_daemon_syncs_on_schedule_and_stops_on_sigterm",
    "test_cli.py::test_status_shows_the_quarantined_message",
    "test_enrich_job.py::",
    "test_retention.py::",
    "test_verify.py::",
    "test_verify_remote.py::",
    "test_doctor.py::",
    "test_forget.py::",
    "test_daemon.py::",
)
"""Tests that take seconds to tens of seconds (``--durations``), slowest first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the known-slow tests first (the rest keep their order): with ``-n`` workers
    handed one test (or one ``xdist_group``) at a time (``--dist loadgroup``,
    scripts/test), a long test then starts early beside short ones instead of running
    alone at the end."""
    def rank(item: pytest.Item) -> int:
        name = item.nodeid.removeprefix("tests/")
        return next((n for n, slow in enumerate(SLOW_FIRST) if name.startswith(slow)),
                    len(SLOW_FIRST))
    items.sort(key=rank)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session."""
    if os.environ.get("SYNCD_TEST_PG") == "off":
        pytest.skip("SYNCD_TEST_PG=off")
    name = f"syncd_test_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # no wait for the WAL flush at each commit: only a crash of the server itself
        # could lose a commit, and no test crashes it (processes, Dovecot: yes)
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
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
