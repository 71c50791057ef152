"""Flaky networks: servers that drop connections and answer 429/503 at random, over
the whole run, still end with the CRM holding the mailbox's truth exactly.

Each test seeds a random fault schedule (the fakes' ``fail_at_random``; for IMAP a
loopback TCP proxy in front of a real Dovecot that cuts connections after a random
number of bytes), delivers mail in rounds while the faults go on, and after each
round resyncs until a run succeeds, as the daemon's scheduler would. Then the
interactions must equal what the mailbox holds: none lost, none doubled (one link
each, created once). Each test also checks that its faults really happened, so it
cannot pass against a network that never failed.

Waits are not slept: ``connectors.retry.sleep`` (the seam the retry policy reads at
each call) records them instead. IMAP's reconnect backoff is real, so its proxy cuts
only a handful of connections.
"""

from __future__ import annotations

import json
import random
import select as selectors
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.db.models import Interaction, InteractionSource, Quarantine
from syncd.db.session import session_scope
from syncd.runner import RunResult, run_source
from tests.fake_google import FakeGoogle
from tests.fake_microsoft import FakeMicrosoft
from tests.mailfactory import mail
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_gmail import gmail_app
from tests.test_imap import source as imap_source
from tests.test_outlook_mail import app_only

ALICE = "alice@acme-robotics.com"
ROUNDS = (60, 15, 15, 10)
"""Messages delivered before each round of resyncs: a backfill, then increments."""
MAX_RUNS = 40


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """SQLite only: the store's behaviour under redelivery is tested elsewhere on both."""
    return f"sqlite:///{tmp_path / 'crm.db'}"



def message(n: int) -> bytes:
    """Message ``n`` of the truth: customers writing in, and Alice answering."""
    person = f"buyer{n % 7}@customer{n % 3}.example"
    sender, to = (ALICE, [person]) if n % 4 == 3 else (person, [ALICE])
    return mail(sender, to, message_id=f"<flaky{n}@mail.example>", subject=f"Order {n}",
                body=f"About order {n}.\n")


def converge(app: Any, name: str, deliver: Callable[[bytes], None]) -> list[RunResult]:
    """Deliver the rounds; after each, resync until a run succeeds. Every run."""
    runs: list[RunResult] = []
    delivered = 0
    for size in ROUNDS:
        for n in range(delivered, delivered + size):
            deliver(message(n))
        delivered += size
        for _ in range(MAX_RUNS):
            runs.append(run_source(app, app.config.source(name)))
            if runs[-1].status == "ok":
                break
            assert runs[-1].status == "failed", runs[-1]  # never needs_auth, never busy
        else:
            pytest.fail(f"no successful run in {MAX_RUNS}: {runs[-1].error}")
    return runs


def assert_truth(app: Any, runs: list[RunResult]) -> None:
    """The interactions are the delivered messages, each once, with one link."""
    truth = {f"flaky{n}@mail.example" for n in range(sum(ROUNDS))}
    with session_scope(app.sessions) as session:
        keys = list(session.execute(select(Interaction.key)).scalars())
        links = session.execute(select(InteractionSource.interaction_id,
                                       func.count()).group_by(
            InteractionSource.interaction_id)).all()
        quarantined = session.execute(select(func.count()).select_from(Quarantine)).scalar()
    assert sorted(keys) == sorted(truth)  # none lost, none doubled
    assert len(links) == len(truth) and all(count == 1 for _, count in links)
    assert quarantined == 0
    assert sum(run.stats.new_interactions for run in runs) == len(truth)


def assert_settled(app: Any, name: str) -> None:
    """A run on a quiet network afterwards finds nothing the faulty ones missed."""
    again = run_source(app, app.config.source(name))
    assert again.status == "ok" and again.stats.new_interactions == 0, again


def report(what: str, faults: int, runs: list[RunResult], waits: list[float]) -> None:
    failed = [run.error for run in runs if run.status != "ok"]
    print(f"\n{what}: {faults} faults, {len(runs)} runs ({len(failed)} failed), "
          f"{len(waits)} retry waits; first failures: {failed[:3]}")


# --- Gmail ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_gmail_converges_through_random_faults(make_app: Any, tmp_path: Any,
                                              waits: list[float], seed: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Token, list, history and batch requests and single batch parts fail at random."""
    monkeypatch.setattr("connectors.gmail.PAGE", 20)  # several pages, a cursor each
    monkeypatch.setattr("connectors.gmail.BATCH", 8)  # several batch requests a page
    with FakeGoogle() as google:
        box = google.add_user(ALICE)
        key_file = tmp_path / "service-account.json"
        key_file.write_text(json.dumps(google.service_account()), encoding="utf-8")
        app = gmail_app(make_app, google, key_file)
        google.fail_at_random(0.3, seed)
        runs = converge(app, "gmail", box.add)
        google.fail_at_random(0, seed)
        assert_truth(app, runs)
        assert_settled(app, "gmail")
        statuses = {call.status for call in google.calls}
    report(f"gmail seed {seed}", google.random_faults, runs, waits)
    assert google.random_faults >= 20
    assert {0, 429, 503} <= statuses  # drops, throttling and outages all happened
    assert waits and any(run.status == "failed" for run in runs)  # both paths taken


# --- Outlook mail -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [21, 22])
def test_outlook_mail_converges_through_random_faults(make_app: Any, waits: list[float],
                                                     seed: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Discovery, token, $batch, delta pages and single batch parts fail at random."""
    monkeypatch.setattr("connectors.outlook_mail.PAGE", 3)  # many delta pages, a cursor each
    with FakeMicrosoft() as ms:
        box = ms.add_user(ALICE, "Alice Martin")
        app = make_app([app_only(ms, monkeypatch)])

        def deliver(raw: bytes) -> None:
            with ms.lock:
                box.add(raw)

        ms.fail_at_random(0.3, seed)
        runs = converge(app, "alice-mail", deliver)
        ms.fail_at_random(0, seed)
        assert_truth(app, runs)
        assert_settled(app, "alice-mail")
        statuses = {call.status for call in ms.calls}
    report(f"outlook seed {seed}", ms.random_faults, runs, waits)
    assert ms.random_faults >= 10
    assert {0, 429, 503} <= statuses
    assert waits and any(run.status == "failed" for run in runs)


# --- IMAP -------------------------------------------------------------------------------


class CuttingProxy:
    """A loopback TCP proxy to ``target`` that cuts a connection (both ways, at once)
    once it has carried a random number of bytes, for the first ``cuts`` connections
    the RNG picks; the others pass untouched. ``cut`` counts what it cut."""

    def __init__(self, target: tuple[str, int], rng: random.Random, *, cuts: int,
                 odds: float, max_bytes: int) -> None:
        self.target, self.rng, self.left, self.odds = target, rng, cuts, odds
        self.max_bytes = max_bytes
        self.cut = 0
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # so that accept sees the end
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closing = False

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> CuttingProxy:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        self._listener.close()
        for thread in self._threads:
            thread.join(5)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self.connections += 1
                doomed = self.left > 0 and self.rng.random() < self.odds
                budget = self.rng.randrange(1, self.max_bytes) if doomed else None
                self.left -= doomed
            self._spawn(self._pipe, client, budget)

    def _pipe(self, client: socket.socket, budget: int | None) -> None:
        with suppress(OSError), client, socket.create_connection(self.target) as server:
            ends = {client: server, server: client}
            while not self._closing:
                ready, _, _ = selectors.select(list(ends), [], [], 0.1)
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    if budget is not None and len(data) >= budget:
                        ends[end].sendall(data[:budget])
                        with self._lock:
                            self.cut += 1
                        for sock in ends:
                            sock.shutdown(socket.SHUT_RDWR)
                        return
                    ends[end].sendall(data)
                    if budget is not None:
                        budget -= len(data)


@pytest.fixture
def proxy(dovecot: Any) -> Iterator[CuttingProxy]:
    rng = random.Random(31)
    with CuttingProxy((dovecot.host, dovecot.imaps_port), rng, cuts=5, odds=0.8,
                      max_bytes=12_000) as running:
        yield running


def test_imap_converges_through_cut_connections(make_app: Any, dovecot: Any,
                                               proxy: CuttingProxy,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.imap.BATCH", 10)  # many batches, a cursor each
    monkeypatch.setenv("IMAP_TEST_PASSWORD", dovecot.password)
    app = make_app([imap_source(dovecot, port=proxy.port, timeout=5)])
    runs = converge(app, "imap", dovecot.deliver)
    assert_truth(app, runs)
    assert_settled(app, "imap")
    report(f"imap ({proxy.connections} connections, cuts as faults)", proxy.cut, runs, [])
    assert proxy.cut >= 3, (proxy.cut, proxy.connections)
