#!/usr/bin/env python3
"""Time ``syncd resync --full`` end to end on a generated mailbox.

Usage::

    python bench/resync_bench.py [--messages 20000] [--seed 1] [--db sqlite|postgres|both]
                                 [--twice] [--scaling] [--keep] [--cache]

For each database it prints messages, wall seconds, messages/s, the peak RSS of the
syncd process and the database size. ``--twice`` then runs an incremental resync
(without ``--full``) on the same database and prints its time: with nothing new it
must read no message; ``--scaling`` runs SQLite at 5,000
and 20,000 messages and puts the peak RSS figures side by side, because memory that
grows with mailbox size is the failure a self-hosted daemon must not have.

Why these choices:

* The mailbox is generated in this process, not a child, so that the only child
  whose memory the kernel accounts to us is syncd itself.
* Peak RSS is the larger of psutil samples of the syncd process every 50 ms and
  the kernel's ``ru_maxrss`` for the child. The latter comes from ``os.wait4``
  for that child: it is what ``getrusage(RUSAGE_CHILDREN)`` reports after the
  first run, but stays per-run when several runs share this process.
* syncd forks a producer process to parse mail while the parent writes, so RSS
  of one process is not the whole cost; "tree PSS" sums the proportional set
  size of syncd and its children (shared pages split, not counted twice).
* PostgreSQL gets a fresh ``syncd_bench_<random>`` database on 127.0.0.1 (user
  postgres, trust auth), dropped at the end. Nothing but 127.0.0.1 is contacted.
* A generated maildir is reused from ``bench/.cache/maildir-<n>-<seed>`` when
  present (``--cache`` stores one there); it is checked afterwards, because a
  sync that renames or moves files would spoil the cache and is a bug in itself.

The hidden ``--command`` option replaces the syncd command line (``{config}`` and
``{source}`` are substituted) to test this harness while syncd cannot run yet.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psutil

# appended, not first: bench/google.py must not shadow the google package
sys.path.append(str(Path(__file__).resolve().parent))

import gen_mailbox

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
CACHE_DIR = BENCH_DIR / ".cache"
OWNER = "alice@acme-robotics.com"
SOURCE = "bench"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
SAMPLE_SECONDS = 0.05
PSS_EVERY = 5
"""Process-tree PSS is sampled every 5th tick (250 ms): it costs milliseconds a read."""
SCALING_SIZES = (5000, 20000)
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Measurement:
    """One child run: wall time, memory from both sources, exit status, output."""

    seconds: float
    sampled_rss: int
    rusage_rss: int
    tree_pss: int
    returncode: int
    output_tail: str

    @property
    def peak_rss(self) -> int:
        """The larger of the two memory figures, in bytes."""
        return max(self.sampled_rss, self.rusage_rss)


@dataclass(frozen=True, slots=True)
class Result:
    """A benchmark block: one database, one mailbox."""

    db: str
    messages: int
    first: Measurement
    db_bytes: int
    empty_db_bytes: int
    rerun: Measurement | None


# --------------------------------------------------------------------------- measuring


def process_rss(process: psutil.Process) -> int:
    """RSS of one process (cheap: one read of /proc/PID/statm); 0 once it is gone."""
    with suppress(psutil.Error):
        return int(process.memory_info().rss)
    return 0


def tree_pss(process: psutil.Process) -> int:
    """Proportional set size of a process and its descendants.

    syncd forks a producer child; summing RSS would count the pages the two
    share twice, PSS splits them, so the sum is the tree's real footprint.
    """
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        with suppress(psutil.Error):
            total += member.memory_full_info().pss
    return total


class Sampler(threading.Thread):
    """Samples a process tree's RSS until told to stop, keeping the maximum.

    Samples start once the child has exec'd: until then it is a (v)fork of this
    process and /proc reports *our* memory, which would be charged to syncd.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.own_cmdline = psutil.Process().cmdline()
        self.peak_rss = 0
        self.peak_tree_pss = 0
        self.done = threading.Event()

    def run(self) -> None:
        execed = False
        ticks = 0
        while not self.done.is_set():
            if not execed:
                with suppress(psutil.Error):
                    execed = self.process.cmdline() != self.own_cmdline
            if execed:
                self.peak_rss = max(self.peak_rss, process_rss(self.process))
                if ticks % PSS_EVERY == 0:  # smaps is ~100x dearer than statm
                    self.peak_tree_pss = max(self.peak_tree_pss, tree_pss(self.process))
                ticks += 1
            self.done.wait(SAMPLE_SECONDS)


def measure(argv: Sequence[str], log: Path) -> Measurement:
    """Run a child to completion; block in wait4 so wall time is not poll-rounded.

    The child runs in the log's directory (the temp dir), so whatever it writes
    beside itself is cleaned up with it, and finds this checkout's syncd package
    even when ``syncd`` is not installed.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, cwd=log.parent, env=env)
        sampler = Sampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, tell Popen
    return Measurement(seconds=seconds, sampled_rss=sampler.peak_rss,
                       rusage_rss=child_maxrss(usage), tree_pss=sampler.peak_tree_pss,
                       returncode=proc.returncode,
                       output_tail=tail(log))


def child_maxrss(usage: resource.struct_rusage) -> int:
    """Kernel peak RSS of the child just reaped, in bytes (ru_maxrss is KiB on Linux).

    It is the largest of the child and its own reaped children (syncd's forked
    producer), per process, not their sum.

    ``getrusage(RUSAGE_CHILDREN)`` is the maximum over every child reaped so far, so
    it equals this figure after the first run and overstates later ones; it is still
    an upper bound, which the assertion documents.
    """
    assert usage.ru_maxrss <= resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return usage.ru_maxrss * 1024


def tail(path: Path, lines: int = 25) -> str:
    """The end of a child's output, for error reports."""
    text = path.read_text(errors="replace")
    return "\n".join(text.splitlines()[-lines:])


# --------------------------------------------------------------------------- inputs


def generator_digest() -> str:
    """Hash of the generator's sources: a cache made by other code is other data."""
    digest = hashlib.sha256()
    for name in ("gen_mailbox.py", "mailbox_data.py"):
        digest.update((BENCH_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def prepare_maildir(messages: int, seed: int, workdir: Path) -> tuple[Path, bool]:
    """A cached maildir if there is one, else a fresh one in ``workdir``."""
    cached = CACHE_DIR / f"maildir-{messages}-{seed}"
    if cached.is_dir():
        print(f"maildir: reusing {cached}")
        stamp = cached.with_name(cached.name + ".generator")
        if not stamp.exists() or stamp.read_text().strip() != generator_digest():
            print("WARNING: the cached maildir was made by another version of "
                  "gen_mailbox.py; delete it to benchmark on current data")
        return cached, True
    target = workdir / f"maildir-{messages}-{seed}"
    summary = gen_mailbox.generate(target, messages, seed, OWNER)
    print(f"maildir: generated {summary.messages} messages, {summary.people} people, "
          f"{summary.companies} companies, {summary.bytes / MB:.0f} MB "
          f"in {summary.seconds:.1f} s")
    return target, False


def settle_disk() -> None:
    """Flush the freshly written mailbox before timing anything.

    Otherwise the kernel writes a gigabyte of dirty pages back while syncd runs,
    and on ext4 (data=ordered) every SQLite fsync waits for part of it, which
    made a fresh 5,000-message run twice as slow as the same run from a cache.
    """
    started = time.perf_counter()
    os.sync()
    print(f"disk: flushed in {time.perf_counter() - started:.1f} s")


def store_in_cache(maildir: Path, messages: int, seed: int) -> None:
    """Move a generated maildir into the cache; the rename makes it appear whole."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    target = CACHE_DIR / f"maildir-{messages}-{seed}"
    staging = CACHE_DIR / f".partial-{os.getpid()}-{messages}-{seed}"
    shutil.move(str(maildir), staging)
    target.with_name(target.name + ".generator").write_text(generator_digest() + "\n")
    staging.rename(target)
    print(f"maildir: cached as {target}")


def snapshot(maildir: Path) -> dict[str, frozenset[str]]:
    """File names per maildir leaf folder, to notice a sync that changes the mailbox."""
    return {str(leaf.relative_to(maildir)): frozenset(p.name for p in leaf.iterdir())
            for leaf in sorted(maildir.glob("**/cur")) + sorted(maildir.glob("**/new"))}


def check_unchanged(before: dict[str, frozenset[str]], maildir: Path) -> None:
    """Warn when the run moved, renamed or deleted mailbox files."""
    after = snapshot(maildir)
    changed = sum(len(before.get(k, frozenset()) ^ after.get(k, frozenset()))
                  for k in set(before) | set(after))
    if changed:
        print(f"WARNING: the run changed {changed} file names in {maildir}; "
              "syncd should only read the mailbox")


def write_config(workdir: Path, url: str, maildir: Path) -> Path:
    """The syncd YAML config; JSON strings are valid YAML scalars, so paths are safe."""
    domain = OWNER.split("@", 1)[1]
    text = (
        "database:\n"
        f"  url: {json.dumps(url)}\n"
        "team:\n"
        f"  internal_domains: [{domain}]\n"
        "sources:\n"
        f"  - name: {SOURCE}\n"
        "    kind: maildir\n"
        f"    path: {json.dumps(str(maildir))}\n"
        f"    owner: {OWNER}\n"
    )
    path = workdir / "syncd-bench.yaml"
    path.write_text(text)
    return path


def syncd_command(config: Path, override: str | None) -> list[str]:
    """The resync command line: the console script, ``python -m syncd``, or --command."""
    if override:
        return [part.format(config=config, source=SOURCE) for part in shlex.split(override)]
    script = shutil.which("syncd")
    base = [script] if script else [sys.executable, "-m", "syncd"]
    return [*base, "--config", str(config), "resync", SOURCE, "--full", "--quiet"]


# --------------------------------------------------------------------------- databases


@dataclass(slots=True)
class Database:
    """Where syncd writes, how big it got, and how to get rid of it."""

    kind: str
    url: str
    size: Callable[[], int]
    drop: Callable[[], None]


@contextmanager
def database(kind: str, workdir: Path, keep: bool) -> Iterator[Database]:
    """A fresh SQLite file or PostgreSQL database for one benchmark block."""
    if kind == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(3)}.db"
        yield Database(kind, f"sqlite:///{path}", lambda: sqlite_size(path), lambda: None)
        return
    import psycopg
    from psycopg import sql

    name = f"syncd_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def size() -> int:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (name,)).fetchone()
            return int(row[0]) if row else 0

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))

    try:
        yield Database(kind, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", size, drop)
    finally:
        if keep:
            print(f"kept PostgreSQL database {name} (drop it with: dropdb -h 127.0.0.1 "
                  f"-U postgres {name})")
        else:
            drop()


def sqlite_size(path: Path) -> int:
    """Database file plus its WAL and shared-memory files, which hold data too."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
               if p.exists())


# --------------------------------------------------------------------------- running


def run_block(kind: str, maildir: Path, messages: int, workdir: Path, args: argparse.Namespace,
              ) -> Result | None:
    """Resync into a fresh database (twice with --twice); None when syncd failed."""
    with database(kind, workdir, args.keep) as db:
        empty = db.size()
        config = write_config(workdir, db.url, maildir)
        argv = syncd_command(config, args.command)
        log = workdir / f"syncd-{kind}-{messages}.log"
        before = snapshot(maildir)
        first = measure(argv, log)
        check_unchanged(before, maildir)
        if first.returncode != 0:
            report_failure(kind, argv, first, log)
            return None
        db_bytes = db.size()
        rerun = None
        if args.twice:
            rerun_log = workdir / f"syncd-{kind}-{messages}-rerun.log"
            rerun = measure([a for a in argv if a != "--full"], rerun_log)
            if rerun.returncode != 0:
                report_failure(f"{kind} (rerun)", argv, rerun, rerun_log)
                return None
        result = Result(kind, messages, first, db_bytes, empty, rerun)
        print_result(result)  # before a kept database is announced
        return result


def report_failure(label: str, argv: Sequence[str], run: Measurement, log: Path) -> None:
    """Say what failed and show the end of its output."""
    print(f"\n== {label}: FAILED (exit {run.returncode}) after {run.seconds:.1f} s ==")
    print(f"command: {shlex.join(argv)}")
    print(f"output ({log}, kept only with --keep):\n{run.output_tail}")


def print_result(result: Result) -> None:
    """One block of figures per database."""
    first = result.first
    print(f"\n== {result.db}: resync --full of {result.messages:,} messages ==")
    print(f"messages        {result.messages}")
    print(f"seconds         {first.seconds:.2f}")
    print(f"messages/s      {result.messages / first.seconds:.1f}")
    print(f"peak RSS MB     {first.peak_rss / MB:.1f}  (sampled {first.sampled_rss / MB:.1f}, "
          f"ru_maxrss {first.rusage_rss / MB:.1f})")
    print(f"tree PSS MB     {first.tree_pss / MB:.1f}  (syncd and its children together)")
    empty = f"  (empty database {result.empty_db_bytes / MB:.1f})" if result.empty_db_bytes else ""
    print(f"database MB     {result.db_bytes / MB:.1f}{empty}")
    if result.rerun:
        print(f"rerun seconds   {result.rerun.seconds:.2f}  (incremental, nothing new; peak RSS "
              f"{result.rerun.peak_rss / MB:.1f} MB)")


def print_scaling(results: Sequence[Result]) -> None:
    """Peak RSS side by side: flat memory means the figures stay close."""
    print("\n== scaling (sqlite) ==")
    print("messages       " + "".join(f"{r.messages:>12,}" for r in results))
    print("seconds        " + "".join(f"{r.first.seconds:>12.1f}" for r in results))
    print("messages/s     " + "".join(f"{r.messages / r.first.seconds:>12.1f}" for r in results))
    print("peak RSS MB    " + "".join(f"{r.first.peak_rss / MB:>12.1f}" for r in results))
    print("tree PSS MB    " + "".join(f"{r.first.tree_pss / MB:>12.1f}" for r in results))
    if len(results) == 2 and results[0].first.peak_rss:
        ratio = results[1].first.peak_rss / results[0].first.peak_rss
        print(f"RSS ratio      {ratio:>12.2f}x for "
              f"{results[1].messages / results[0].messages:.0f}x the messages")


def bench_size(messages: int, kinds: Sequence[str], args: argparse.Namespace,
               workdir: Path) -> list[Result | None]:
    """Generate (or reuse) one mailbox and run every requested database on it."""
    maildir, cached = prepare_maildir(messages, args.seed, workdir)
    settle_disk()
    results = []
    for kind in kinds:
        results.append(run_block(kind, maildir, messages, workdir, args))
    if args.cache and not cached:
        store_in_cache(maildir, messages, args.seed)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Options as documented at the top of this file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--twice", action="store_true",
                        help="then run an incremental resync and report its time")
    parser.add_argument("--scaling", action="store_true",
                        help="SQLite at 5,000 and 20,000 messages, peak RSS side by side")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp dir (and a PostgreSQL database) for inspection")
    parser.add_argument("--cache", action="store_true",
                        help=f"store a generated maildir under {CACHE_DIR} for later runs")
    parser.add_argument("--command", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the requested benchmarks; exit 1 when any syncd run failed."""
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="syncd-bench-"))
    print(f"workdir: {workdir}")
    try:
        if args.scaling:
            results = [bench_size(n, ["sqlite"], args, workdir)[0] for n in SCALING_SIZES]
            if all(results):
                print_scaling([r for r in results if r])
        else:
            kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
            results = bench_size(args.messages, kinds, args, workdir)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
