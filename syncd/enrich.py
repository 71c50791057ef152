"""The enrichment pass: ``syncd enrich`` and the daemon's ``enrichment`` job.

For every live account and customer contact (or those of the accounts asked for):

1. each network provider (only with ``enrichment.outbound``) is asked about the
   keys the policy lets out (:mod:`syncd.enrich_policy`) whose cached answer has
   expired, or all of them with ``force``; lookups run in a thread pool, each
   provider within its own concurrency cap and rate limit;
2. then the offline provider derives country and time zone from the phones and
   addresses known now, the website's included.

Answers are written as they come, a chunk per transaction, with their cache rows. A
failed lookup is recorded and tried again after ``retry_failed``; nothing here
raises for a provider's trouble, and capture never waits for enrichment: the daemon
runs it as its own job, after the first syncs.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from enrichment.providers.base import Provider, Target
from enrichment.providers.registry import network_providers, offline_providers
from syncd.app import App
from syncd.db.models import Account, AccountDomain
from syncd.db.session import session_scope
from syncd.enrich_policy import Outbound
from syncd.errors import SyncdError
from syncd.leases import heartbeat, job_lease, lease_holder, release_lease, take_lease
from syncd.store import enrichment as store
from syncd.store.enrichment import Answer
from syncd.store.identity import resolve

log = logging.getLogger(__name__)
JOB = "enrichment"
CHUNK = 50
Progress = Callable[[int, int], None]


@dataclass
class Tally:
    """One provider's lookups in a pass: answered from the cache, or asked and how it
    went."""

    lookups: int = 0
    hits: int = 0
    found: int = 0
    empty: int = 0
    failed: int = 0
    requests: int = 0


@dataclass
class EnrichStats:
    targets: int = 0
    held_back: int = 0
    """Lookups the policy kept on this machine (free mail, the team's, denied)."""
    facts: int = 0
    providers: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    busy: str | None = None
    """The process that was enriching instead, when this pass did not run."""

    def count(self, answer: Answer) -> None:
        tally = self.providers[answer.provider]
        setattr(tally, answer.status, getattr(tally, answer.status) + 1)


@dataclass
class _Run:
    app: App
    force: bool
    stats: EnrichStats
    progress: Progress | None
    providers: dict[str, Provider]
    stop: threading.Event
    total: int = 0
    done: int = 0

    def tick(self, count: int = 1) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total)


def enrich(app: App, accounts: Sequence[int] | None = None, *, force: bool = False,
           progress: Progress | None = None, stop: threading.Event | None = None
           ) -> EnrichStats:
    """Enrich everything due (``accounts``: only those and their contacts). Once
    ``stop`` is set no lookup starts; those under way end and are stored. Nothing is
    done while another process enriches: :attr:`EnrichStats.busy` names it."""
    held, lease = job_lease(JOB), app.config.database.lease
    if not take_lease(app.sessions, held, lease):
        return EnrichStats(busy=lease_holder(app.sessions, held) or "another process")
    try:
        with heartbeat(app.sessions, held, lease):
            return _enrich(app, accounts, force, progress, stop)
    finally:
        with session_scope(app.sessions) as session:
            release_lease(session, held)


def _enrich(app: App, accounts: Sequence[int] | None, force: bool,
            progress: Progress | None, stop: threading.Event | None) -> EnrichStats:
    providers = network_providers(app.config.enrichment)
    known = {p.name: p for p in (*providers, *offline_providers())}
    run = _Run(app, force, EnrichStats(), progress, known, stop or threading.Event())
    try:
        with session_scope(app.sessions) as session:
            targets = [*store.accounts(session, accounts), *store.contacts(session, accounts)]
        run.stats.targets = len(targets)
        run.total = len(targets)
        _network(run, providers, targets, Outbound.of(app.config, app.lists))
        if not run.stop.is_set():
            _offline(run, accounts)
    finally:
        for provider in providers:
            run.stats.providers[provider.name].requests = provider.requests
            provider.close()
    return run.stats


def account_ids(app: App, names: Iterable[str]) -> list[int]:
    """Account ids for ids or domains as a person types them; LookupError if unknown."""
    found: list[int] = []
    with session_scope(app.sessions) as session:
        for name in names:
            text = name.strip().lower()
            account_id = int(text) if text.isdigit() else session.execute(select(
                AccountDomain.account_id).where(AccountDomain.domain == text)).scalar()
            account = session.get(Account, account_id) if account_id is not None else None
            while account is not None and account.merged_into_id is not None:
                account = session.get(Account, account.merged_into_id)
            if account is None:
                raise LookupError(f"no account {name!r} (give an id or a domain)")
            found.append(account.id)
    return found


def _network(run: _Run, providers: list[Provider], targets: list[Target],
             policy: Outbound) -> None:
    due: list[tuple[Provider, str, list[Target]]] = []
    for provider in providers:
        asked = [(t, k) for t in targets if t.subject == provider.subject
                 for k in provider.keys(t)]
        allowed = [(t, k) for t, k in asked if policy.allows(k)]
        run.stats.held_back += len(asked) - len(allowed)
        if provider.subject == "contact":  # a person once: the first address let out
            allowed = list({t.id: (t, k) for t, k in reversed(allowed)}.values())
        due += [(provider, key, group) for key, group in _due(run, provider, allowed).items()]
    run.total += len(due)
    run.tick(0)
    if not due or run.stop.is_set():
        return
    workers = min(sum(p.concurrency for p in providers), 64)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="enrich") as pool:
        futures = [pool.submit(_ask, provider, group, key) for provider, key, group in due]
        _collect(run, futures)


def _collect(run: _Run, futures: list[Future[list[Answer]]]) -> None:
    pending: list[Answer] = []
    for future in as_completed(futures):
        if future.cancelled():
            continue
        answers = future.result()
        if run.stop.is_set():  # a wait cut short by stopping is no failure to hold against a site
            answers = [a for a in answers if a.status != "failed"]
        pending += answers
        run.tick()
        if len(pending) >= CHUNK:
            _save(run, pending)
            pending = []
        if run.stop.is_set():
            for waiting in futures:
                waiting.cancel()
    _save(run, pending)


def _offline(run: _Run, accounts: Sequence[int] | None) -> None:
    with session_scope(run.app.sessions) as session:
        targets = [*store.accounts(session, accounts), *store.contacts(session, accounts)]
    for provider in offline_providers():
        mine = [(t, k) for t in targets if t.subject == provider.subject
                for k in provider.keys(t)]
        answers = [a for key, group in _due(run, provider, mine).items()
                   for a in _ask(provider, group, key)]
        for start in range(0, len(answers), CHUNK * 10):
            _save(run, answers[start:start + CHUNK * 10])
    run.tick(run.total - run.done)


def _due(run: _Run, provider: Provider, wanted: list[tuple[Target, str]]
         ) -> dict[str, list[Target]]:
    """The keys to ask about now, each with the records that want it; a fresh cached
    answer is a hit, applied again to a record that lacks its facts."""
    by_key: dict[str, list[Target]] = defaultdict(list)
    for target, key in wanted:
        by_key[key].append(target)
    tally = run.stats.providers[provider.name]
    tally.lookups += len(by_key)
    now = datetime.now(UTC)
    with session_scope(run.app.sessions) as session:
        rows = store.cached(session, provider.name, list(by_key))
        holders = store.holding(session, provider.subject, provider.name,
                                [t.id for t, _ in wanted])
    due: dict[str, list[Target]] = {}
    again: list[Answer] = []
    for key, group in by_key.items():
        row = rows.get(key)
        if row is None or run.force or row.expires_at <= now:
            due[key] = group
            continue
        tally.hits += 1
        facts = store.from_cache(row)
        again += [Answer(provider.name, key, t.subject, t.id, row.status, facts)
                  for t in group if facts and t.id not in holders]
    if again:
        _save(run, again, cache=False)
    return due


def _ask(provider: Provider, group: list[Target], key: str) -> list[Answer]:
    """One lookup, whatever happens: a failure is an answer too."""
    first = group[0]
    try:
        facts = tuple(provider.lookup(first, key))
    except SyncdError as exc:
        log.warning("enrichment: %s could not look up %s: %s", provider.name, key, exc)
        return [Answer(provider.name, key, t.subject, t.id, "failed", error=str(exc)[:500])
                for t in group[:1]]
    except Exception as exc:  # a provider's bug must not end the pass
        log.exception("enrichment: %s failed on %s", provider.name, key)
        return [Answer(provider.name, key, t.subject, t.id, "failed",
                       error=type(exc).__name__) for t in group[:1]]
    status = "found" if facts else "empty"
    return [Answer(provider.name, key, t.subject, t.id, status, facts) for t in group]


def _save(run: _Run, answers: list[Answer], *, cache: bool = True) -> None:
    if not answers:
        return
    now = datetime.now(UTC)
    expiry = {}
    if cache:
        for answer in answers:
            provider = run.providers[answer.provider]
            wait = provider.retry_failed if answer.status == "failed" else provider.ttl
            expiry[(answer.provider, answer.key)] = now + wait
            run.stats.count(answer)
    moved = {a.subject_id for a in answers if a.subject == "account"
             and any(fact.field == "redirects_to" for fact in a.facts)}
    with session_scope(run.app.sessions) as session:
        run.stats.facts += store.save(session, answers, now, expiry)
        if moved:  # a domain whose homepage sends visitors to another is its company's
            resolve(session, run.app.identity, (), moved, now)
