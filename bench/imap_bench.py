#!/usr/bin/env python3
"""Time ``syncd resync`` of an IMAP source against mbsync and a bare imapclient fetch.

Usage::

    python bench/imap_bench.py [--messages 10000] [--seed 1] [--keep]

A generated maildir (``bench/gen_mailbox.py``, reused from ``bench/.cache`` as
``resync_bench.py`` does, and cached there when new) is loaded into a private
Dovecot on 127.0.0.1 (``tests/dovecot.py``) and three clients read it, in one run:

* ``syncd resync --full`` of an ``imap`` source (IMAPS, the instance's CA, the
  password as ``${BENCH_IMAP_PASSWORD}``) into a fresh SQLite file, then a second,
  incremental run with nothing new;
* ``mbsync`` pulling the account into a local Maildir (its default ``FSync yes``),
  then a no-change rerun; plus one pull with ``FSync no`` into another directory;
* ``bench/imap_bare_fetch.py``: syncd's exact request stream with imapclient and
  nothing after it (the floor for a Python client), and its no-change cost;
* ``bench/imap_reader.py``: syncd's IMAP connector alone (its FETCHes and parsing,
  no pipeline, no database), between the bare fetch and the whole resync;
* ``bench/imap_no_change.py``: syncd's no-change sync inside a running process
  (the daemon's cost, without interpreter start and imports), on the connection kept
  from the run before and, apart, signing in each run.

Why these choices:

* Every client is a child measured by ``resync_bench.measure`` (wall time, peak RSS
  from samples and ``wait4``), so the figures are comparable; each pays its own
  interpreter start, as a cron-started sync would.
* Bytes are what Dovecot says it sent: the ``out=`` of each imap session's logout
  line (plaintext IMAP bytes, before TLS), summed over the log written during the
  client's run.
* Dovecot builds its index and caches BODYSTRUCTURE on first access; an untimed
  (but reported) bare fetch runs first, so no timed client pays that for the others.
* The test fixture rawlogs every session; a benchmark that writes each byte sent
  to disk a second time would slow the server, so the subclass below drops rawlog.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO_ROOT)]

import resync_bench as rb  # noqa: E402

from tests.dovecot import MAIL_USER, Dovecot  # noqa: E402

PASSWORD_ENV = "BENCH_IMAP_PASSWORD"
MB = 1024 * 1024
LOG_SETTLE_SECONDS = 5.0
_OUT_BYTES = re.compile(r"imap\([^)]*\).*\bin=(\d+) out=(\d+)")
_LOGIN = re.compile(r"imap-login: Login: ")


class BenchDovecot(Dovecot):
    """The test server without rawlogs, which would double the server's disk writes."""

    def _config(self) -> str:
        text = super()._config()
        text = text.replace("executable = imap-login -R rawlogs", "executable = imap-login")
        return re.sub(r"protocol imap \{\n  rawlog_dir = /rawlog\n\}\n", "", text)


@dataclass(frozen=True, slots=True)
class Run:
    """One timed client run: its measurement and what the server sent it."""

    label: str
    measurement: rb.Measurement
    bytes_out: int
    sessions: int

    @property
    def seconds(self) -> float:
        return self.measurement.seconds


# --------------------------------------------------------------------------- server


def mailbox_stats(maildir: Path) -> tuple[int, int]:
    """(messages, bytes) of a maildir's INBOX and Sent message files."""
    files = [p for sub in ("cur", "new", ".Sent/cur", ".Sent/new")
             for p in (maildir / sub).glob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def load_server(maildir: Path, base: Path, password: str) -> BenchDovecot:
    """Copy the maildir into the instance in bulk (as ``deliver`` would, but one
    ``cp`` per folder), give it to the mail user, then start the server."""
    server = BenchDovecot(base, password)
    started = time.perf_counter()
    for folder, source in (("INBOX", maildir), ("Sent", maildir / ".Sent")):
        target = server.folder_path(folder)
        for leaf in ("cur", "new"):
            if (source / leaf).is_dir():
                subprocess.run(["cp", "-rT", str(source / leaf), str(target / leaf)],
                               check=True)
    subprocess.run(["chown", "-R", f"{MAIL_USER}:{MAIL_USER}", str(server.mail_root)],
                   check=True)
    if {a[4][0] for a in socket.getaddrinfo("localhost", None)} != {server.host}:
        raise SystemExit("localhost must resolve to 127.0.0.1 only (mbsync connects to it)")
    server.start()
    print(f"server: loaded in {time.perf_counter() - started:.1f} s, "
          f"imaps 127.0.0.1:{server.imaps_port}")
    return server


def log_size(server: Dovecot) -> int:
    """Where the server log ends now: a client's sessions are logged after it."""
    return server.log_path.stat().st_size if server.log_path.exists() else 0


def bytes_sent(server: Dovecot, offset: int) -> tuple[int, int]:
    """(out= bytes, sessions) logged since ``offset``, once every login has logged out.

    The log process writes the login and logout lines a moment after the client is
    gone, so wait (briefly) until there is at least one session and as many logout
    lines as logins.
    """
    deadline = time.monotonic() + LOG_SETTLE_SECONDS
    while True:
        with server.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        outs = [int(m.group(2)) for m in _OUT_BYTES.finditer(text)]
        if (outs and len(outs) >= len(_LOGIN.findall(text))) or \
                time.monotonic() > deadline:
            return sum(outs), len(outs)
        time.sleep(0.05)


def run_client(label: str, argv: Sequence[str], server: Dovecot, workdir: Path) -> Run:
    """Measure one client and count the bytes the server sent it; fail loudly."""
    offset = log_size(server)
    log = workdir / f"{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}.log"
    measurement = rb.measure(argv, log)
    if measurement.returncode != 0:
        rb.report_failure(label, argv, measurement, log)
        raise SystemExit(1)
    sent, sessions = bytes_sent(server, offset)
    print(f"{label}: {measurement.seconds:.2f} s, {sent / MB:.1f} MB sent, "
          f"peak RSS {measurement.peak_rss / MB:.0f} MB")
    return Run(label, measurement, sent, sessions)


# --------------------------------------------------------------------------- clients


def syncd_config(workdir: Path, server: Dovecot) -> Path:
    """An imap source with the password as ``${VAR}``; JSON strings are YAML-safe."""
    domain = server.user.split("@", 1)[1]
    text = (
        "database:\n"
        f"  url: {json.dumps('sqlite:///' + str(workdir / 'imap-bench.db'))}\n"
        "team:\n"
        f"  internal_domains: [{domain}]\n"
        "sources:\n"
        f"  - name: {rb.SOURCE}\n"
        "    kind: imap\n"
        f"    owner: {server.user}\n"
        f"    host: {server.host}\n"
        f"    port: {server.imaps_port}\n"
        "    security: tls\n"
        f"    ca_file: {json.dumps(str(server.ca_file))}\n"
        f"    username: {server.user}\n"
        f"    password: \"${{{PASSWORD_ENV}}}\"\n"
    )
    path = workdir / "syncd-imap-bench.yaml"
    path.write_text(text)
    return path


def mbsync_config(workdir: Path, server: Dovecot, name: str, fsync: bool | None) -> Path:
    """An mbsyncrc pulling every folder to ``workdir/<name>``; ``fsync`` None keeps
    mbsync's default (``FSync yes`` in isync 1.4).

    Host is ``localhost``, not 127.0.0.1: mbsync 1.4 matches the certificate's DNS
    names and CN only, never its IP SAN. Here localhost resolves to 127.0.0.1 only
    (``load_server`` checks), so nothing else is contacted.
    """
    near = workdir / name
    near.mkdir()
    fsync_line = "" if fsync is None else f"FSync {'yes' if fsync else 'no'}\n"
    text = (
        f"{fsync_line}"
        "IMAPAccount bench\n"
        "Host localhost\n"
        f"Port {server.imaps_port}\n"
        f"User {server.user}\n"
        f"PassCmd \"printenv {PASSWORD_ENV}\"\n"
        "SSLType IMAPS\n"
        f"CertificateFile {server.ca_file}\n\n"
        "IMAPStore far\nAccount bench\n\n"
        f"MaildirStore near\nPath {near}/\nInbox {near}/INBOX\nSubFolders Verbatim\n\n"
        "Channel bench\nFar :far:\nNear :near:\nPatterns *\nCreate Near\nSync Pull\n"
        "SyncState *\n"
    )
    path = workdir / f"{name}.mbsyncrc"
    path.write_text(text)
    return path


def bare_command(server: Dovecot, status: bool) -> list[str]:
    """The bare imapclient fetch (or STATUS-only) child."""
    return [sys.executable, str(BENCH_DIR / "imap_bare_fetch.py"), "--host", server.host,
            "--port", str(server.imaps_port), "--ca-file", str(server.ca_file),
            "--user", server.user, *(["--status"] if status else [])]


def no_change_in_process(config: Path) -> dict[str, float]:
    """``bench/imap_no_change.py`` on the config syncd just synced: the daemon's cost."""
    done = subprocess.run([sys.executable, str(BENCH_DIR / "imap_no_change.py"), str(config)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"in-process no-change run failed:\n{done.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    print(f"syncd no-change in-process: median {figures['median_ms']} ms, "
          f"min {figures['min_ms']} ms over {figures['runs']:.0f} runs on the kept "
          f"connection; signing in each run: median {figures['signing_in_median_ms']} ms, "
          f"min {figures['signing_in_min_ms']} ms")
    return figures


def run_all(server: Dovecot, workdir: Path) -> dict[str, Run]:
    """Every client, warm-up first; see the module docstring for the order's reason."""
    mbsync = shutil.which("mbsync")
    if mbsync is None:
        raise SystemExit("mbsync is missing: apt-get install -y isync")
    syncd = rb.syncd_command(syncd_config(workdir, server), None)
    default_rc = mbsync_config(workdir, server, "mbsync-default", None)
    nofsync_rc = mbsync_config(workdir, server, "mbsync-nofsync", False)
    plan = [
        ("warm-up", bare_command(server, False)),
        ("syncd", syncd),
        ("syncd no-change", [a for a in syncd if a != "--full"]),
        ("mbsync", [mbsync, "-q", "-c", str(default_rc), "-a"]),
        ("mbsync no-change", [mbsync, "-q", "-c", str(default_rc), "-a"]),
        ("mbsync FSync no", [mbsync, "-q", "-c", str(nofsync_rc), "-a"]),
        ("bare fetch", bare_command(server, False)),
        ("syncd reader only", [sys.executable, str(BENCH_DIR / "imap_reader.py"),
                               str(syncd_config(workdir, server))]),
        ("bare no-change", bare_command(server, True)),
    ]
    return {label: run_client(label, argv, server, workdir) for label, argv in plan}


# --------------------------------------------------------------------------- report


def print_table(runs: dict[str, Run], messages: int) -> None:
    """One row per run; messages/s only for runs that read the whole mailbox."""
    print(f"\n== IMAP: {messages:,} messages ==")
    print(f"{'client':<18}{'seconds':>9}{'msg/s':>9}{'MB sent':>10}{'sessions':>10}"
          f"{'peak RSS MB':>13}")
    for label, run in runs.items():
        rate = "" if "no-change" in label else f"{messages / run.seconds:,.0f}"
        print(f"{label:<18}{run.seconds:>9.2f}{rate:>9}{run.bytes_out / MB:>10.3f}"
              f"{run.sessions:>10}{run.measurement.peak_rss / MB:>13.1f}")


def print_bare_summary(runs: dict[str, Run]) -> None:
    """How much of the fetch is text parts: the rest is headers and BODYSTRUCTURE."""
    bare = runs["bare fetch"]
    lines = bare.measurement.output_tail.splitlines()
    summary = json.loads(lines[-1]) if lines else {}
    if "text_bytes" in summary and bare.bytes_out:
        text = int(summary["text_bytes"])
        print(f"\nbare fetch: {summary['messages']:,} messages answered; text parts "
              f"{text / MB:.1f} MB of {bare.bytes_out / MB:.1f} MB sent "
              f"({100 * text / bare.bytes_out:.0f}%), the rest headers, BODYSTRUCTURE "
              "and protocol")


def print_ratios(runs: dict[str, Run], in_process: dict[str, float]) -> None:
    """The figures the targets are stated in, each with its target."""
    syncd, mbsync, bare = runs["syncd"], runs["mbsync"], runs["bare fetch"]
    speed = mbsync.seconds / syncd.seconds  # msg/s ratio: same message count
    checks = [
        ("syncd msg/s / mbsync msg/s (default FSync)", f"{speed:.2f}", ">= 2", speed >= 2),
        ("syncd msg/s / mbsync msg/s (FSync no)",
         f"{runs['mbsync FSync no'].seconds / syncd.seconds:.2f}", "(info)", None),
        ("syncd time / bare-fetch time", f"{syncd.seconds / bare.seconds:.2f}", "<= 1.5",
         syncd.seconds / bare.seconds <= 1.5),
        ("syncd reader only time / bare-fetch time",
         f"{runs['syncd reader only'].seconds / bare.seconds:.2f}", "(info)", None),
        ("syncd bytes / mbsync bytes", f"{100 * syncd.bytes_out / mbsync.bytes_out:.2f}%",
         "<= 5%", syncd.bytes_out <= 0.05 * mbsync.bytes_out),
        ("syncd no-change time (CLI, with start-up)",
         f"{runs['syncd no-change'].seconds:.2f} s", "(info)", None),
        ("syncd no-change time in-process (median)", f"{in_process['median_ms']:.0f} ms",
         "< 50 ms", in_process["median_ms"] < 50),
        ("  the same, signing in each run (median)",
         f"{in_process['signing_in_median_ms']:.0f} ms", "< 50 ms",
         in_process["signing_in_median_ms"] < 50),
        ("syncd peak RSS", f"{syncd.measurement.peak_rss / MB:.1f} MB", "< 200 MB",
         syncd.measurement.peak_rss < 200 * MB),
    ]
    print("\n== ratios ==")
    for name, value, target, ok in checks:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<44}{value:>12}  target {target:<9}{verdict}")


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Options as documented at the top of this file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp dir (server, logs, mbsync maildirs, database)")
    args = parser.parse_args(argv)
    if args.messages < 1:
        parser.error("--messages must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Load the server, run every client, print the figures, clean up."""
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="syncd-imap-bench-"))
    print(f"workdir: {workdir}")
    password = secrets.token_urlsafe(18)
    os.environ[PASSWORD_ENV] = password  # children inherit it; it is never on a command line
    server: BenchDovecot | None = None
    try:
        maildir, cached = rb.prepare_maildir(args.messages, args.seed, workdir)
        if not cached:
            rb.store_in_cache(maildir, args.messages, args.seed)
            maildir = rb.CACHE_DIR / maildir.name
        messages, size = mailbox_stats(maildir)
        print(f"mailbox: {messages:,} messages, {size / MB:.0f} MB")
        server = load_server(maildir, workdir / "dovecot", password)
        rb.settle_disk()
        runs = run_all(server, workdir)
        in_process = no_change_in_process(syncd_config(workdir, server))
        print_table(runs, messages)
        print_bare_summary(runs)
        print_ratios(runs, in_process)
    finally:
        if server is not None:
            server.close()
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
