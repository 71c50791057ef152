"""One error tree, classified by what the runner does about each error.

::

    SyncdError
     +-- ConfigError        refuse to start; the message names the YAML path
     +-- SourceError        raised by connectors, translated at their boundary
     |    +-- Transient     retry with backoff (honouring ``retry_after``), then fail
     |    |                 the run; the cursor stays, the next schedule tries again
     |    +-- AuthRequired  mark the source ``needs_auth``; other sources carry on
     |    +-- CursorExpired full resync of that source; natural keys prevent duplicates
     +-- BadItemError       the item goes to quarantine with the reason; the batch
     |                      carries on
     +-- StoreError         the database refused (schema too new, unreachable): fail
                            loudly

Library exceptions (``OSError``, ``imaplib``, ``googleapiclient`` ...) are
translated into these at the connector boundary and nowhere else, so the runner
never needs to know a library to decide what to do.
"""

from __future__ import annotations


class SyncdError(Exception):
    """Base of every error syncd raises on purpose."""


class ConfigError(SyncdError):
    """The configuration cannot be used; ``problems`` lists each one with its path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def __reduce__(self) -> tuple[type[ConfigError], tuple[list[str]]]:
        return type(self), (self.problems,)


class SourceError(SyncdError):
    """A source could not be read; subclasses say what the runner should do."""


class Transient(SourceError):
    """Worth retrying later: timeouts, resets, 429, 5xx, IMAP BYE."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[Transient], tuple[str, float | None]]:
        return type(self), (str(self), self.retry_after)


class AuthRequired(SourceError):
    """The credentials were refused; a person must run ``syncd auth SOURCE``."""


class CursorExpired(SourceError):
    """The stored cursor can no longer be honoured; resync the source in full."""


class SourceUnusable(SourceError):
    """The source is misconfigured or gone (a missing folder, a path that vanished).

    Retrying cannot help; the run fails with this message until someone acts.
    """


class BadItemError(SyncdError):
    """One item cannot be decoded; it is quarantined and the batch carries on."""


class StoreError(SyncdError):
    """The database cannot be used as it is."""
