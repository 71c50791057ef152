"""Microsoft Graph over ``requests``: answers translated into :mod:`syncd.errors`, the
shared retry policy (:mod:`connectors.retry`), and JSON batching.

What each answer means (https://learn.microsoft.com/graph/throttling,
https://learn.microsoft.com/graph/delta-query-overview):

- 429, 503 and other 5xx, a dropped connection or a timeout: retried, waiting the
  ``Retry-After`` Graph sent (it may be fractional) or else backing off with jitter.
- 401: the access token is asked for again once (a refresh); a second 401 is
  :class:`AuthRequired`, as is 403 (a permission the app or user lacks: signing in
  again or an admin's consent fixes it, retrying does not).
- 410, or an error code saying the sync state is gone (``syncStateNotFound``,
  ``resyncRequired``, ``syncStateInvalid``): :class:`CursorExpired`.
- Anything else, such as 404 for a folder or user that does not exist:
  :class:`SourceUnusable`.

Requests for one mailbox are sent one at a time, well inside Graph's limit of four
concurrent requests per app and mailbox. ``$batch`` puts up to :data:`BATCH_MAX`
requests in one HTTP request; Graph answers each part on its own (in any order,
each with its own status), so a throttled part is sent again by itself.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from connectors.auth.microsoft import MicrosoftToken
from connectors.retry import MAX_WAIT, Retryable, retry_after, with_retries
from syncd.errors import AuthRequired, CursorExpired, SourceUnusable, Transient

BATCH_MAX = 20
EXPIRED_CODES = frozenset({"syncStateNotFound", "resyncRequired", "syncStateInvalid"})


@dataclass(frozen=True)
class GraphRequest:
    """One GET: an absolute URL (a next or delta link) or a path under the base."""

    url: str
    params: Mapping[str, str] | None = None
    prefer: tuple[str, ...] = ()


class GraphClient:
    def __init__(self, http: requests.Session, token: MicrosoftToken, base: str, *,
                 timeout: float, source: str) -> None:
        self.http, self.token, self.base = http, token, base.rstrip("/")
        self.timeout, self.source = timeout, source
        self.requests = 0

    def get(self, request: GraphRequest, what: str) -> dict[str, Any]:
        """One GET, retried per the policy; its JSON answer."""
        return with_retries(what, lambda: self._get_once(request, what))

    def batch(self, requests_: Sequence[GraphRequest], what: str
              ) -> list[dict[str, Any]]:
        """Several GETs in one ``$batch`` (at most :data:`BATCH_MAX`); the answers in
        the order asked. Throttled or failed parts go again, alone, per the policy."""
        if len(requests_) == 1:
            return [self.get(requests_[0], what)]
        answers: dict[int, dict[str, Any]] = {}
        renewed: list[bool] = []
        with_retries(f"{what} ($batch)",
                     lambda: self._batch_once(requests_, answers, what, renewed))
        return [answers[index] for index in range(len(requests_))]

    def _get_once(self, request: GraphRequest, what: str) -> dict[str, Any]:
        url = request.url if "://" in request.url else self.base + request.url
        for fresh in (False, True):
            headers = self._headers(request.prefer, fresh=fresh)
            response = self._send("GET", url, what, params=request.params, headers=headers)
            if response.status_code != 401:
                break
        return _answer(response.status_code, response.headers, _json(response), what)

    def _batch_once(self, requests_: Sequence[GraphRequest],
                    answers: dict[int, dict[str, Any]], what: str,
                    renewed: list[bool]) -> None:
        """The parts not yet answered, in one ``$batch``; parts worth retrying raise
        :class:`Retryable` together, so only they are sent again. Parts refused with
        401 are sent again once with a renewed token (``renewed`` remembers it)."""
        pending = [i for i in range(len(requests_)) if i not in answers]
        body = {"requests": [{"id": str(i), "method": "GET",
                              "url": self._relative(requests_[i]),
                              "headers": {"Prefer": ", ".join(requests_[i].prefer)}
                              if requests_[i].prefer else {}} for i in pending]}
        for fresh in (False, True):
            response = self._send("POST", self.base + "/$batch", what, json=body,
                                  headers=self._headers((), fresh=fresh))
            if response.status_code != 401:
                break
        outer = _answer(response.status_code, response.headers, _json(response), what)
        retry: list[Retryable] = []
        unauthorized = False
        for part in outer.get("responses", []):
            index = int(part["id"])
            try:
                answers[index] = _answer(int(part["status"]), part.get("headers") or {},
                                         part.get("body") or {}, what)
            except Retryable as exc:
                retry.append(exc)
            except AuthRequired:
                if int(part["status"]) != 401 or renewed:
                    raise
                retry.append(Retryable(f"{what}: 401 in a batch part", 0.0))
                unauthorized = True
        if unauthorized:
            self.token.access_token(fresh=True)
            renewed.append(True)
        if retry:
            waits = [r.retry_after for r in retry if r.retry_after is not None]
            raise Retryable(f"{len(retry)} of {len(pending)} parts: {retry[0]}",
                            max(waits) if waits else None)

    def _relative(self, request: GraphRequest) -> str:
        """A batch part's URL: relative to the version root, query included."""
        url = request.url
        if url.startswith(self.base):
            url = url[len(self.base):]
        if request.params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(request.params)
        return url

    def _headers(self, prefer: Sequence[str], *, fresh: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token.access_token(fresh=fresh)}",
                   "Accept": "application/json"}
        if prefer:
            headers["Prefer"] = ", ".join(prefer)
        return headers

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        self.requests += 1
        try:
            return self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise SourceUnusable(f"{what}: TLS: {exc} (ca_file adds a trusted CA)") from exc
        except requests.RequestException as exc:
            raise Retryable(f"{what}: {type(exc).__name__}: {exc}") from exc


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _answer(status: int, headers: Mapping[str, str], body: dict[str, Any],
            what: str) -> dict[str, Any]:
    """The body of a good answer; the error an error answer stands for, raised."""
    if status < 300:
        return body
    found = body.get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    code, message = str(error.get("code", "")), str(error.get("message", ""))
    text = f"{what}: HTTP {status} {code} {message}".strip()
    if status == 410 or code in EXPIRED_CODES:
        raise CursorExpired(text)
    if status == 429 or status >= 500:
        wait = retry_after(_lower(headers))
        if wait is not None and wait > MAX_WAIT:
            raise Transient(text, wait)
        raise Retryable(text, wait)
    if status in {401, 403}:
        raise AuthRequired(text)
    raise SourceUnusable(text)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}
