"""Every secret the test suite hands out, in one place, and the check that none is printed.

The fakes make their secrets recognisable: each token, refresh token and client secret
they issue carries :data:`MARK` (``new``), and those whose format they cannot choose
(signed JWTs, the Dovecot password a test picked) are remembered exactly
(``remember``). :class:`Watch` collects what a test shows the world (every log record
created, with its traceback; every ``CliRunner`` result; every subprocess's output,
whether read through ``communicate`` or written to a file) and :func:`leaks` says
which secrets it holds. ``tests/conftest.py`` runs it around every test.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import subprocess
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import click.testing
import pytest

MARK = "TSEKRIT"
"""In every token the fakes issue: ``ya29.fake-TSEKRIT...``. Only 8 characters of one
after the mark are needed to recognise a leaked token, or a piece of one."""
_MARKED = re.compile(MARK + r"[A-Za-z0-9_\-~.]{8}")
_PATTERNS = {
    "a token the fakes issued": _MARKED,
    "a private key": re.compile(r"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----"),
}
FERNET_KEY = re.compile(r"^[A-Za-z0-9_\-]{43}=$")

_remembered: set[str] = set()


def new(prefix: str = "", nbytes: int = 32) -> str:
    """A fresh secret a fake issues: ``prefix``, the mark, then random characters."""
    return f"{prefix}{MARK}{secrets.token_urlsafe(nbytes)}"


def remember(secret: str) -> str:
    """A secret whose format is not ours to choose; it is searched for exactly."""
    if len(secret) >= 8:
        _remembered.add(secret)
    return secret


def leaks(text: str, extra: Iterable[str] = ()) -> list[str]:
    """What secrets ``text`` holds, described without the secret itself."""
    found = [what for what, pattern in _PATTERNS.items() if pattern.search(text)]
    exact = {s for s in (*_remembered, *extra) if len(s) >= 8}
    found += [f"a known secret ({s[:3]}...)" for s in sorted(exact) if s in text]
    return found


class Watch:
    """What one test showed: log records, CLI results, subprocess output."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self.outputs: list[tuple[str, str]] = []
        self.files: set[str] = set()
        self.extra: set[str] = set()

    @contextlib.contextmanager
    def installed(self, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
        factory = logging.getLogRecordFactory()

        def collecting(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = factory(*args, **kwargs)
            self.records.append(record)
            return record

        logging.setLogRecordFactory(collecting)
        monkeypatch.setattr(click.testing.CliRunner, "invoke",
                            self._cli(click.testing.CliRunner.invoke))
        monkeypatch.setattr(subprocess.Popen, "communicate",
                            self._communicate(subprocess.Popen.communicate))
        monkeypatch.setattr(subprocess.Popen, "__init__",
                            self._popen(subprocess.Popen.__init__))
        try:
            yield
        finally:
            logging.setLogRecordFactory(factory)

    def _cli(self, invoke: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(runner: Any, cli: Any, args: Any = None, *more: Any, **kw: Any) -> Any:
            result = invoke(runner, cli, args, *more, **kw)
            self.outputs.append((f"syncd {args}", _result_text(result)))
            return result
        return wrapped

    def _communicate(self, communicate: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(process: subprocess.Popen[Any], *args: Any, **kw: Any) -> Any:
            out, err = communicate(process, *args, **kw)
            self.outputs.append((f"process {process.args}", _text(out) + _text(err)))
            return out, err
        return wrapped

    def _popen(self, init: Callable[..., None]) -> Callable[..., None]:
        def wrapped(process: subprocess.Popen[Any], *args: Any, **kw: Any) -> None:
            for stream in (kw.get("stdout"), kw.get("stderr")):
                name = getattr(stream, "name", None)
                if isinstance(name, str):
                    self.files.add(name)
            init(process, *args, **kw)
        return wrapped

    def texts(self) -> Iterator[tuple[str, str]]:
        formatter = logging.Formatter()
        for record in self.records:
            try:
                line = formatter.format(record)
            except Exception:  # a record whose arguments do not fit its message
                line = f"{record.msg!r} {record.args!r}"
            yield f"log record {record.name}:{record.lineno}", line
        yield from self.outputs
        for name in sorted(self.files):
            path = Path(name)
            if path.is_file():
                yield f"output file {name}", path.read_text("utf-8", "replace")

    def found(self, tmp_path: Path | None = None) -> list[str]:
        """Each place a secret showed, with what it was."""
        extra = self.extra | _key_files(tmp_path)
        problems = []
        for where, text in self.texts():
            problems += [f"{what} in {where}" for what in leaks(text, extra)]
        return problems


def _result_text(result: Any) -> str:
    parts = [result.output]
    with contextlib.suppress(ValueError):  # stderr mixed into output (older click)
        parts.append(result.stderr)
    if result.exc_info is not None:
        parts.append("".join(traceback.format_exception(*result.exc_info)))
    return "\n".join(parts)


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _key_files(tmp_path: Path | None) -> set[str]:
    """The Fernet keys of the key files a test's syncd created."""
    if tmp_path is None or not tmp_path.is_dir():
        return set()
    keys = set()
    for path in tmp_path.rglob("*.key"):
        try:
            lines = path.read_text("ascii").split()
        except (OSError, UnicodeDecodeError):
            continue
        keys.update(line for line in lines if FERNET_KEY.match(line))
    return keys
