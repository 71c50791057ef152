"""Company websites on 127.0.0.1, reached as a client reaches the web through an egress
proxy: the client sends ``CONNECT acme.com:443`` to this server, which answers 200
and then speaks TLS in the tunnel with a certificate for the site, signed by a CA of
its own (``ca_file``). So the provider's real https path runs (requests, urllib3,
certificate checks, SNI, ``Host``) while the only TCP connection ever made is to
127.0.0.1: no name is resolved and nothing leaves the machine.

Each (host, path) serves a list of :class:`Page` in turn (the last one repeats); an
unknown path is 404. The fake logs every request with its headers and counts the
requests in flight, from their arrival to the start of their answer (the highest count
is :attr:`FakeWeb.most_in_flight`).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes.loopback import Loopback
from tests.fakes.ms_tls import make_tls_files, server_context

_GONE = (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError)


@dataclass(frozen=True)
class Page:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    """Seconds before the answer starts."""
    size: int | None = None
    """Send this many bytes (the body, then filler) instead of the body alone."""


def redirect(location: str, status: int = 301) -> Page:
    return Page(status, b"", "text/plain", (("Location", location),))


class FakeWeb(Loopback):
    def __init__(self, directory: Path, hosts: Iterable[str], latency: float = 0.0) -> None:
        ca_file, cert, key = make_tls_files(directory, sorted(set(hosts)))
        self.ca_file = ca_file
        self.tls = server_context(cert, key)
        self.latency = latency
        self.pages: dict[tuple[str, str], list[Page]] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        super().__init__(ThreadingHTTPServer, _Proxy)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, host: str, path: str, *pages: Page) -> None:
        self.pages[(host, path)] = list(pages)

    def paths(self, host: str) -> list[str]:
        return [path for seen, path, _ in self.log if seen == host]

    def answer(self, host: str, path: str, headers: dict[str, str]) -> Page:
        with self._lock:
            self.log.append((host, path, headers))
            queue = self.pages.get((host, path))
            if not queue:
                return Page(404, b"no such page", "text/plain")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    @contextlib.contextmanager
    def flight(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1


class _Proxy(BaseHTTPRequestHandler):
    """``CONNECT host:443``, then the site's pages over TLS in the tunnel."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """No Nagle delay, as web servers do: the fake's headers and body go in two
        writes, which would otherwise wait 40 ms for the client's delayed ACK."""
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_CONNECT(self) -> None:
        fake: FakeWeb = self.server.fake  # type: ignore[attr-defined]
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            tunnel = fake.tls.wrap_socket(self.connection, server_side=True)
        except _GONE:
            return
        with contextlib.suppress(*_GONE):
            _Site(tunnel, self.client_address, self.server)
        with contextlib.suppress(*_GONE):
            tunnel.close()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the fake's log instead."""


class _Site(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self) -> None:
        fake: FakeWeb = self.server.fake  # type: ignore[attr-defined]
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        headers = {name.lower(): value for name, value in self.headers.items()}
        page = fake.answer(host, self.path, headers)
        with fake.flight():  # until the answer starts: the client holds its slot longer
            time.sleep(fake.latency + page.delay)
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        for name, value in page.headers:
            self.send_header(name, value)
        size = page.size if page.size is not None else len(page.body)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self._body(page.body, size)

    def _body(self, body: bytes, size: int) -> None:
        try:
            self.wfile.write(body[:size])
            filler = b"<p>" + b"x" * 65530 + b"</p>"
            sent = min(len(body), size)
            while sent < size:
                part = filler[: size - sent]
                self.wfile.write(part)
                sent += len(part)
        except _GONE:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""
