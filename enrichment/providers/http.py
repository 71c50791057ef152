"""Outbound HTTP for the providers: what every request they send has in common.

- a descriptive ``User-Agent`` naming syncd and what it reads, so a site's operator
  can tell who asks and block it in robots.txt;
- one GET at a time per call, redirects not followed (the caller decides which to
  follow), the answer read up to ``max_bytes`` and for at most ``timeout`` seconds
  in all (a page that drips forever is a timeout, a huge one is cut, not refused);
- per provider, a rate limit (requests are spaced ``1/per_second`` apart) and a cap
  on requests in flight;
- 429, 5xx, timeouts and dropped connections retried through the shared policy
  (:mod:`connectors.retry`: ``Retry-After`` honoured, then exponential backoff),
  then :class:`~syncd.errors.Transient`; a certificate that does not verify is
  :class:`~syncd.errors.SourceUnusable` (retrying cannot fix it).

A proxy (``enrichment.proxy``) carries every request off the machine; a loopback
URL never goes through it. With a proxy or a CA file the environment's proxy and CA
settings are ignored, so what the file says is what happens.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import requests

from connectors.net import is_loopback
from connectors.retry import MAX_WAIT, Retryable, retry_after, with_retries
from syncd.errors import SourceUnusable, Transient

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Reply:
    """An HTTP answer as read: ``truncated`` when the body was cut at the size cap."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    truncated: bool = False

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def location(self) -> str | None:
        """The absolute redirect target of a 3xx answer, if it names one."""
        target = self.headers.get("location")
        if self.status not in (301, 302, 303, 307, 308) or not target:
            return None
        return urllib.parse.urljoin(self.url, target.strip())


class RateLimit:
    """Requests spaced evenly at ``per_second`` (None: no limit); thread-safe."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass(frozen=True)
class Limits:
    """How one provider may use the network."""

    timeout: float = 10.0
    max_bytes: int = 1 << 20
    per_second: float | None = None
    concurrency: int = 4


class HttpClient:
    """One provider's requests: its own session, rate limit and cap; counts what it
    sent and read (the benchmark and the tests read :attr:`requests`)."""

    def __init__(self, user_agent: str, limits: Limits, *, ca_file: Path | None = None,
                 proxy: str | None = None) -> None:
        self.limits = limits
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        if ca_file is not None or proxy is not None:
            self.session.trust_env = False
        if ca_file is not None:
            self.session.verify = str(ca_file)
        if proxy is not None:
            self.session.proxies = {"http": proxy, "https": proxy}
        self.rate = RateLimit(limits.per_second)
        self.slots = threading.BoundedSemaphore(limits.concurrency)
        self.requests = 0
        self.bytes_read = 0
        self._count = threading.Lock()

    def get(self, url: str, what: str, headers: Mapping[str, str] | None = None) -> Reply:
        """One GET, retried per the shared policy; any final status is returned."""
        return with_retries(what, lambda: self._once(url, what, headers or {}))

    def close(self) -> None:
        self.session.close()

    def _once(self, url: str, what: str, headers: Mapping[str, str]) -> Reply:
        self.rate.wait()
        with self.slots:
            answer = self._send(url, what, headers)
        if answer.status == 429 or answer.status >= 500:
            wait = retry_after(answer.headers)
            text = f"{what}: HTTP {answer.status}"
            if wait is not None and wait > MAX_WAIT:
                raise Transient(f"{text}, asked to wait {wait:.0f}s", wait)
            raise Retryable(text, wait)
        return answer

    def _send(self, url: str, what: str, headers: Mapping[str, str]) -> Reply:
        host = urllib.parse.urlsplit(url).hostname or ""
        direct = {"http": None, "https": None} if is_loopback(host) else None
        with self._count:
            self.requests += 1
        try:
            response = self.session.get(url, headers=dict(headers), allow_redirects=False,
                                        stream=True, timeout=self.limits.timeout,
                                        proxies=direct)  # type: ignore[arg-type]
            with response:
                body, cut = self._read(response, what, time.monotonic() + self.limits.timeout)
        except requests.exceptions.SSLError as exc:
            raise SourceUnusable(f"{what}: TLS: {exc}") from exc
        except requests.RequestException as exc:
            raise Retryable(f"{what}: {type(exc).__name__}") from exc
        lowered = {name.lower(): value for name, value in response.headers.items()}
        return Reply(url, response.status_code, lowered, body, cut)

    def _read(self, response: requests.Response, what: str,
              deadline: float) -> tuple[bytes, bool]:
        """The body up to the size cap, within the time left."""
        cap = self.limits.max_bytes
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_content(CHUNK):
            parts.append(chunk)
            size += len(chunk)
            if size >= cap:
                break
            if time.monotonic() > deadline:
                raise Retryable(f"{what}: the answer took longer than "
                                f"{self.limits.timeout:g}s")
        with self._count:
            self.bytes_read += min(size, cap)
        return b"".join(parts)[:cap], size >= cap


class HttpProvider:
    """What every provider that asks over HTTP shares: its client, whose limits pace it,
    and how long its answers and failures are cached."""

    network = True

    def __init__(self, http: HttpClient, *, ttl: timedelta, retry_failed: timedelta) -> None:
        self.http, self.ttl, self.retry_failed = http, ttl, retry_failed
        self.concurrency = http.limits.concurrency

    @property
    def requests(self) -> int:
        return self.http.requests

    def close(self) -> None:
        self.http.close()
