"""A test server on 127.0.0.1 served from a thread for the length of a with-block."""

from __future__ import annotations

import socketserver
import threading
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
