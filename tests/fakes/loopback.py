"""A test server on 127.0.0.1 served from a thread for the length of a with-block."""

from __future__ import annotations

import random
import socket
import socketserver
import threading
from contextlib import suppress
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Self


class Loopback:
    """Serve ``handler`` on 127.0.0.1, a free port; each handler reaches the owning
    fake as ``self.server.fake``. Subclasses add what their protocol needs."""

    def __init__(self, server_class: type[socketserver.TCPServer], handler: Any) -> None:
        self._server = server_class(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


class ReplyHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as httplib2's and requests' pools expect: each request
    goes to ``self.server.fake.serve(method, target, headers, body)``, whose reply
    (``status``, ``content_type``, ``headers``, ``body``) is sent with its length, and
    whose None drops the connection unanswered."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.fake.serve(  # type: ignore[attr-defined]
            self.command, self.path, headers, body)
        if reply is None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on the fake's call log instead."""


class RandomFaults:
    """The fakes' ``fail_at_random``: each call fails with probability ``rate``,
    answering a status drawn from ``statuses`` (None drops the connection), from an RNG
    seeded with ``seed``; :attr:`count` tallies the failures. Rate 0 turns it off."""

    def __init__(self) -> None:
        self.count = 0
        self._draw: tuple[random.Random, float, tuple[int | None, ...]] | None = None

    def start(self, rate: float, seed: int, statuses: tuple[int | None, ...]) -> None:
        self._draw = (random.Random(seed), rate, statuses) if rate else None

    def next(self) -> tuple[int | None] | None:
        """None: this call succeeds; else the one status it fails with."""
        if self._draw is None:
            return None
        rng, rate, statuses = self._draw
        if rng.random() >= rate:
            return None
        self.count += 1
        return (rng.choice(statuses),)
