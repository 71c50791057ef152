"""IMAP mailboxes (any server; Gmail through its extensions), with imapclient.

Cursor: per folder, the folder's UIDVALIDITY and the next UID to read. New mail
always gets a new UID and flag changes mean nothing to a CRM, so UIDNEXT alone
tells whether a folder changed (CONDSTORE's MODSEQ would add nothing): an
unchanged folder costs one STATUS command. New mail is ``UID SEARCH UID next:*``. A changed
UIDVALIDITY makes the stored UIDs meaningless (RFC 3501 section 2.3.1.1): that
folder is read again from the start, and natural keys keep that free of
duplicates. Messages deleted on the server are not reported: history does not
un-happen.

A connection that drops mid-run (BYE, reset, a server restart) is opened again, up
to three times with backoff, and reading resumes after the last batch delivered.

The connection stays open after a pull, signed in with no folder selected, until
:meth:`ImapConnector.close`; the runner parks it for the source's next run
(:mod:`syncd.kept`), where an unchanged folder then costs its STATUS and nothing
else: no TCP and TLS handshake, no LOGIN, no new server process. A parked connection
the server dropped in between fails its first command; that is opened again at once,
without a wait or a spent attempt, since it says nothing about the server's health.
TCP keepalive probes it while it waits, so a peer that vanished (or a NAT that
forgot it) fails that command at once instead of after ``timeout``.

Per batch of UIDs: one FETCH of BODYSTRUCTURE and the header fields the pipeline
reads, then one FETCH per set of text sections (``BODY.PEEK[1]<0.cap>`` ...) for the
first text/plain and text/html parts; most batches need two or three. Attachments
are never transferred, and no body at all when the capture policy keeps no text
(``visibility`` metadata or subject). Answers are read by ``connectors.imap_wire``, not by
imapclient's byte-at-a-time parser, which cost more than the network.

On Gmail (capability ``X-GM-EXT-1``) only All Mail is read, since every label is a
folder holding another copy; X-GM-THRID becomes the thread and X-GM-MSGID names
the message (``gmail:<hex>``, the Gmail API's id), so label folders configured by
hand still yield one item per message.

Holdings (``syncd verify``): per folder pull reads, the same ``UID SEARCH SINCE``
pull's window makes, then one FETCH of ``INTERNALDATE`` (and X-GM-MSGID on Gmail)
per :data:`HOLD_BATCH` UIDs, sent as UID ranges: no header or body crosses the
wire. The arrival date (what SEARCH SINCE and ``resync --since`` go by) dates
each item and ends the window.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import imapclient
from imapclient.datetime_util import parse_to_datetime
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from connectors import retry as retries
from connectors.base import BadItem, Batch, Connector, Cursor, Held, Item
from connectors.imap_parts import HEADER_ITEM, TextPart, fetch_plan, message_from, text_parts
from connectors.imap_wire import WireError, fetch
from connectors.net import is_loopback
from syncd.configtypes import ConfigPath
from syncd.errors import AuthRequired, BadItemError, SourceUnusable, Transient

log = logging.getLogger(__name__)
BATCH = 500
HOLD_BATCH = 5000
"""UIDs a holdings FETCH asks about: about 60 bytes of answer each."""
RECONNECTS = 3
KEEPALIVE = (60, 20, 3)
"""TCP keepalive: first probe after 60 s idle, then every 20 s, given up after 3."""
TEXT_CAP = 256 * 1024
SENT = b"\\Sent"
ALL = b"\\All"
GMAIL_ITEMS = ("X-GM-MSGID", "X-GM-THRID")


class ImapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(description="the IMAP server")
    port: int | None = Field(None, description="default 993 (tls) or 143 (starttls, plain)")
    security: Literal["tls", "starttls", "plain"] = Field("tls", description=(
        "tls: IMAPS; starttls: upgrade on the plain port; plain: loopback hosts only"))
    ca_file: ConfigPath | None = Field(None, description="a CA bundle to trust besides the "
                                       "system's (certificates are always verified)")
    username: str
    password: SecretStr | None = Field(None, description="use ${VAR}: never in clear text")
    auth: Literal["password", "xoauth2"] = "password"
    access_token: SecretStr | None = Field(None, description="for auth: xoauth2")
    folders: tuple[str, ...] = Field((), description="default: INBOX and the sent folder")
    timeout: float = Field(60.0, gt=0, description="seconds to wait for the server")

    @model_validator(mode="after")
    def _consistent(self) -> ImapSettings:
        if self.security == "plain" and not is_loopback(self.host):
            raise ValueError("security: plain is allowed only for a loopback host")
        if self.auth == "password" and self.password is None:
            raise ValueError("password is required for auth: password")
        if self.auth == "xoauth2" and self.access_token is None:
            raise ValueError("access_token is required for auth: xoauth2")
        return self


_TRANSIENT = (IMAPClientAbortError, ConnectionError, TimeoutError, socket.timeout,
              socket.gaierror, ssl.SSLEOFError)


class ImapConnector(Connector):
    kind = "imap"
    Settings = ImapSettings
    settings: ImapSettings
    shares_nothing = True  # its connection lives in this object, never in the database

    def __init__(self, name: str, settings: BaseModel, token: str | None = None, *,
                 bodies: bool = True) -> None:
        super().__init__(name, settings, token, bodies=bodies)
        self._client: imapclient.IMAPClient | None = None
        with contextlib.suppress(SourceUnusable):
            self._context()  # made here, a forked reader inherits it; else pull says why

    def forkable(self, *, backfill: bool) -> bool:
        """A first or full sync only: there a second core pays for the fork and a
        session of the child's own. An increment is a few messages, read on the
        connection this process keeps from the run before (forking costs more than
        a no-change run does)."""
        return backfill

    def prepare(self) -> None:
        """A kept connection is logged out before a pull runs in a child: TLS state
        cannot be shared by two processes, so the child opens its own."""
        self.close()

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        """The new mail, on the kept connection if there is one; the connection
        stays open afterwards (closed if the pull fails or is abandoned)."""
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        done: list[str] = []
        attempt = 1
        while True:
            kept = self._client is not None
            try:
                yield from self._session(state, since, done)
                return
            except Transient as exc:
                self._drop()
                if kept:
                    log.info("%s: the connection kept from the last run is gone (%s); "
                             "opening another", self.name, exc)
                    continue
                if attempt == RECONNECTS:
                    raise
                attempt += 1
                log.warning("%s: %s; reconnecting (attempt %d of %d)", self.name, exc,
                            attempt, RECONNECTS)
                _pause(min(2 ** (attempt - 1), 30) * random.uniform(0.5, 1.0))
            except BaseException:
                self.close()
                raise

    def holds_connection(self) -> bool:
        return self._client is not None

    def check(self) -> str:
        try:
            client = self._connect()
            folders = self._folders(client)
        except _TRANSIENT as exc:
            raise Transient(f"{self.settings.host}: {exc}") from exc
        except (IMAPClientError, WireError) as exc:
            raise SourceUnusable(f"{self.settings.host}: {_reason(exc)}") from exc
        finally:
            self.close()
        return (f"signed in to {self.settings.host} as {self.settings.username}; "
                f"reads {', '.join(folders)}")

    def _session(self, state: dict[str, Any], since: datetime | None,
                 done: list[str]) -> Iterator[Batch]:
        """One connection's work; after a reconnect it resumes where the last batch it
        yielded ended, since ``state`` moves with every batch."""
        client = self._client or self._connect()
        with self._reading("the folder list"):  # a kept connection's first command
            folders = self._folders(client)
        for folder in folders:
            if folder not in done:
                yield from self._folder(client, folder, state, since)
                done.append(folder)

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(IMAPClientError, OSError):
                self._client.logout()
            self._client = None

    def _drop(self) -> None:
        """Close a broken connection without LOGOUT, which could only wait for its
        timeout."""
        if self._client is not None:
            with contextlib.suppress(IMAPClientError, OSError):
                self._client.shutdown()
            self._client = None

    def _context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        try:
            return _tls_context(ca_file, ca_file.stat().st_mtime_ns if ca_file else 0)
        except (OSError, ssl.SSLError) as exc:
            raise SourceUnusable(f"ca_file {ca_file} cannot be used: {exc}") from exc

    def _connect(self) -> imapclient.IMAPClient:
        context = self._context()
        try:
            self._client = _open(self.settings, context)
        except LoginError as exc:
            raise AuthRequired(f"{self.settings.host} refused the login of "
                               f"{self.settings.username}: {_reason(exc)}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise SourceUnusable(f"{self.settings.host}: the server certificate is not "
                                 f"trusted ({exc.verify_message}); set ca_file") from exc
        except _TRANSIENT as exc:
            raise Transient(f"{self.settings.host}: {exc}") from exc
        return self._client

    def _folders(self, client: imapclient.IMAPClient) -> list[str]:
        if self.settings.folders:
            return list(self.settings.folders)
        if client.has_capability("X-GM-EXT-1"):
            all_mail = client.find_special_folder(ALL)
            if all_mail:
                return [all_mail]
        sent = client.find_special_folder(SENT)
        return ["INBOX", *([sent] if sent else [])]

    def _folder(self, client: imapclient.IMAPClient, folder: str, state: dict[str, Any],
                since: datetime | None) -> Iterator[Batch]:
        with self._reading(folder):
            yield from _read_folder(client, folder, state, since, self.settings,
                                    bodies=self.bodies)

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """Ids and arrival days of the folders pull reads, without their content."""
        try:
            client = self._connect()
            with self._reading("the folder list"):
                folders = self._folders(client)
            for folder in folders:
                with self._reading(folder):
                    yield from _held_in(client, folder, since, until)
        finally:
            self.close()

    @contextlib.contextmanager
    def _reading(self, folder: str) -> Iterator[None]:
        """imapclient's and the wire reader's failures as :mod:`syncd.errors`."""
        try:
            yield
        except _TRANSIENT as exc:
            raise Transient(f"{self.settings.host}: connection lost in {folder}: "
                            f"{exc}") from exc
        except (IMAPClientError, WireError) as exc:
            raise SourceUnusable(f"{self.settings.host}: {folder}: {_reason(exc)}") from exc


@functools.lru_cache(maxsize=32)
def _tls_context(ca_file: Path | None, version: int) -> ssl.SSLContext:
    """Verifying contexts, one per CA file and version (its mtime, so a replaced file
    is read again), made once per process: loading the system's trust store costs
    about 20 ms, more than a no-change sync of a folder. Built where the connector
    is made, so a forked reader inherits it."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if ca_file:
        context.load_default_certs()
    return context


def _pause(seconds: float) -> None:
    """The shared policy's wait, which a stopping daemon ends at once."""
    retries.sleep(seconds)


@retry(retry=retry_if_exception_type(_TRANSIENT), stop=stop_after_attempt(3),
       wait=wait_exponential_jitter(initial=1, max=10), sleep=_pause, reraise=True)
def _open(settings: ImapSettings, context: ssl.SSLContext) -> imapclient.IMAPClient:
    tls = settings.security == "tls"
    port = settings.port or (993 if tls else 143)
    client = imapclient.IMAPClient(settings.host, port=port, ssl=tls,
                                   ssl_context=context if tls else None,
                                   timeout=settings.timeout)
    _keep_alive(client.socket())
    if settings.security == "starttls":
        client.starttls(context)
    try:
        if settings.auth == "xoauth2" and settings.access_token is not None:
            client.oauth2_login(settings.username, settings.access_token.get_secret_value())
        elif settings.password is not None:
            client.login(settings.username, settings.password.get_secret_value())
    except LoginError as exc:
        if isinstance(exc.__context__, _TRANSIENT):  # imapclient wraps a dropped connection
            raise exc.__context__ from exc  # in LoginError: retried, never needs_auth
        raise
    return client


def _keep_alive(sock: socket.socket) -> None:
    """TCP keepalive on a connection that may wait between runs (see the module
    docstring); where the system lacks the timing options, its defaults apply."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in zip(("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"), KEEPALIVE,
                             strict=True):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


def _read_folder(client: imapclient.IMAPClient, folder: str, state: dict[str, Any],
                 since: datetime | None, settings: ImapSettings, *,
                 bodies: bool) -> Iterator[Batch]:
    known = state.get(folder)
    status = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
    validity, uidnext = int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"])
    if known and int(known["uidvalidity"]) != validity:
        log.warning("%s: UIDVALIDITY of %s changed; reading the folder again", settings.host,
                    folder)
        known = None
    start = int(known["next"]) if known else 1
    if known and uidnext <= start:
        return  # nothing new: one STATUS was all it cost
    client.select_folder(folder, readonly=True)
    uids = _new_uids(client, start, since)
    gmail = client.has_capability("X-GM-EXT-1")
    for batch in _batches(uids):
        items = _fetch_batch(client, folder, batch, gmail=gmail, bodies=bodies)
        state[folder] = {"uidvalidity": validity, "next": max(batch) + 1}
        yield Batch(items, dict(state), total=len(uids))
    client.close_folder()  # nothing stays selected: a kept connection's next STATUS of
    # a selected folder might not count new mail (RFC 3501 6.3.10); after EXAMINE, CLOSE
    # expunges nothing (6.4.2)
    state[folder] = {"uidvalidity": validity,
                     "next": max(uidnext, start, max(uids, default=0) + 1)}
    yield Batch([], dict(state))


def _held_in(client: imapclient.IMAPClient, folder: str, since: datetime,
             until: datetime) -> Iterator[Held]:
    """The folder's messages pull's window holds that arrived before ``until``; the
    SINCE test is made again here, as RFC 3501 defines it (the internal date's own day,
    time and zone disregarded), for servers that answer SEARCH loosely."""
    client.select_folder(folder, readonly=True)
    uids = _new_uids(client, 1, since)
    wanted = ["INTERNALDATE", *(["X-GM-MSGID"] if client.has_capability("X-GM-EXT-1")
                                else [])]
    for begin in range(0, len(uids), HOLD_BATCH):
        answers = fetch(client, uids[begin:begin + HOLD_BATCH], wanted, ranges=True)
        for uid, data in sorted(answers.items()):
            arrived = _arrival(data.get(b"INTERNALDATE"))
            if arrived is None or (since.date() <= arrived.date() and arrived < until):
                yield Held(_external_id(folder, uid, data), folder,
                           arrived.astimezone(UTC).date() if arrived else None)


def _arrival(value: Any) -> datetime | None:
    """An INTERNALDATE (``"17-Jul-1996 02:44:25 -0700"``) as an aware datetime."""
    if not isinstance(value, bytes):
        return None
    try:
        arrived: datetime = parse_to_datetime(value, normalise=False)
    except ValueError:
        return None
    return arrived


def _new_uids(client: imapclient.IMAPClient, start: int, since: datetime | None) -> list[int]:
    criteria: list[Any] = ["UID", f"{start}:*"]
    if since is not None:
        criteria += ["SINCE", since.date()]
    return sorted(uid for uid in client.search(criteria) if uid >= start)


def _batches(uids: Sequence[int]) -> Iterator[list[int]]:
    for begin in range(0, len(uids), BATCH):
        yield list(uids[begin:begin + BATCH])


def _fetch_batch(client: imapclient.IMAPClient, folder: str, uids: list[int], *,
                 gmail: bool, bodies: bool) -> list[Item]:
    """Header fields, then the text parts, in a few FETCHes; without ``bodies`` (the
    capture policy keeps no text) the header fields only."""
    wanted = [HEADER_ITEM, *(["BODYSTRUCTURE"] if bodies else ()),
              *(GMAIL_ITEMS if gmail else ())]
    heads = fetch(client, uids, wanted)
    parts = {uid: _parts_of(data) if bodies else () for uid, data in heads.items()}
    texts: dict[int, dict[bytes, Any]] = {}
    for items, members in fetch_plan(parts, TEXT_CAP).items():
        texts.update(fetch(client, members, items))
    return [_item(folder, uid, heads[uid], parts[uid], texts.get(uid, {}))
            for uid in uids if uid in heads]


def _parts_of(data: dict[bytes, Any]) -> tuple[TextPart, ...]:
    try:
        return text_parts(data.get(b"BODYSTRUCTURE"))
    except (IndexError, TypeError, ValueError):
        return ()


def _item(folder: str, uid: int, head: dict[bytes, Any], parts: tuple[TextPart, ...],
          bodies: dict[bytes, Any]) -> Item:
    """On Gmail the message's id (X-GM-MSGID, the Gmail API's id in hex) names it, so
    it is one item whichever label folder it was read from."""
    external_id = _external_id(folder, uid, head)
    headers = next((v for k, v in head.items() if k.startswith(b"BODY[HEADER")), b"")
    headers = headers if isinstance(headers, bytes) else b""
    try:
        message = message_from(external_id, folder, headers, parts, bodies)
    except BadItemError as exc:
        return BadItem(external_id, f"{folder} UID {uid}: {exc}", headers[:65536])
    thread = head.get(b"X-GM-THRID")
    return replace(message, thread_hint=format(thread, "x")) if isinstance(thread, int) \
        else message


def _external_id(folder: str, uid: int, data: dict[bytes, Any]) -> str:
    gmail_id = data.get(b"X-GM-MSGID")
    return f"gmail:{gmail_id:x}" if isinstance(gmail_id, int) else f"{folder}/{uid}"


def _reason(exc: Exception) -> str:
    """The server's words; imapclient passes them as bytes inside the message."""
    text = str(exc.args[0]) if exc.args else str(exc)
    return text.removeprefix("b'").removesuffix("'") if text.startswith("b'") else text
