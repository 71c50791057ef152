"""A shared memory for the pure tests that signature reading asks of single lines.

The tests are regular-expression searches over big alternations (footer and legal
wording, title vocabulary, street words), each a few microseconds per line, and the
same line is asked the same question several times: finding the signature and then
parsing its fields both test its lines, and people sign every message the same way, so
the lines of a sender's signature come back message after message. The quote scan's
header-key test is the same kind: each line with a colon or a slash looks for a header
block in the lines below it, so a line is asked once per line above it in reach. Each
test decorated with :func:`per_line` answers a line it has seen from a bounded LRU
cache instead.

Only functions of one argument, the line, that return an immutable value may be
decorated. Lines longer than ``MAX_CHARS`` are answered afresh and never kept:
signature lines are short, and a cache must not hold on to the megabyte-long lines of
hostile mail. :func:`clear` forgets every answer (benchmarks call it between passes so
that a pass never reuses the previous one's work).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

MAX_LINES = 4096
"""Distinct arguments remembered per test: a few hundred senders' signatures."""
MAX_CHARS = 160
"""Longer lines are prose (``signature_lines.MAX_LINE`` is 120), not worth keeping."""

_F = TypeVar("_F", bound=Callable[..., Any])
_CACHES: list[Any] = []


def per_line(func: _F) -> _F:
    """``func`` with its answers for short lines remembered (see the module docstring)."""
    cached = lru_cache(maxsize=MAX_LINES)(func)
    _CACHES.append(cached)

    @wraps(func)
    def answer(line: str) -> Any:
        return cached(line) if len(line) <= MAX_CHARS else func(line)

    return answer  # type: ignore[return-value]  # same call signature: one line


def clear() -> None:
    """Forget every remembered answer."""
    for cached in _CACHES:
        cached.cache_clear()
