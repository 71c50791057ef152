"""Google's batch wire format, written and read here.

googleapiclient's ``BatchHttpRequest`` builds the request with the ``email``
package's generator and reads the answer with its feed parser; for 50 message
reads that costs more CPU than syncd spends on the 50 messages themselves
(``bench/google.py --profile``). The format is small
(https://developers.google.com/workspace/gmail/api/guides/batch):

- request: ``POST`` to the batch path, ``multipart/mixed``; each part is
  ``application/http`` with a ``Content-ID`` and holds one request line with a path
  only. The outer headers (the access token) apply to every part.
- answer: ``multipart/mixed``; each part ``application/http`` with ``Content-ID:
  <response-ID>``, holding an ``HTTP/1.1`` status line, headers, a blank line and
  the JSON body. Parts may come in any order.

Authorization, refresh on 401 and the transport stay the library's
(``google_auth_httplib2.AuthorizedHttp``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from googleapiclient.errors import HttpError

_BOUNDARY = re.compile(rb'boundary="?([^";\s]+)"?', re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Answer:
    """One part's answer: status, lower-cased headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes


class BatchFormatError(ValueError):
    """The answer is not the multipart/mixed a batch endpoint sends."""


def send(http: Any, batch_uri: str, targets: Mapping[str, str]) -> dict[str, Answer]:
    """GET each ``targets`` path (by part id) in one batch request; answers by id.
    An error answer to the whole batch raises :class:`HttpError`."""
    boundary = f"batch_{secrets.token_hex(12)}"
    body = "".join(f"--{boundary}\r\nContent-Type: application/http\r\n"
                   f"Content-ID: <{part_id}>\r\n\r\nGET {target} HTTP/1.1\r\n\r\n"
                   for part_id, target in targets.items()) + f"--{boundary}--\r\n"
    response, content = http.request(
        batch_uri, method="POST", body=body,
        headers={"content-type": f'multipart/mixed; boundary="{boundary}"'})
    if response.status >= 300:
        raise HttpError(response, content, uri=batch_uri)
    return parse(str(response.get("content-type", "")), content)


def parse(content_type: str, content: bytes) -> dict[str, Answer]:
    found = _BOUNDARY.search(content_type.encode("latin-1"))
    if not content_type.lower().startswith("multipart/") or found is None:
        raise BatchFormatError(f"a batch answer of type {content_type!r}")
    delimiter = b"--" + found.group(1)
    answers: dict[str, Answer] = {}
    for chunk in content.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        part_id, answer = _part(chunk)
        answers[part_id] = answer
    return answers


def _part(chunk: bytes) -> tuple[str, Answer]:
    outer, inner = _split(chunk.lstrip(b"\r\n"))
    content_id = _headers(outer).get("content-id", "").strip().strip("<>")
    head, body = _split(inner)
    status_line, _, header_lines = head.partition(b"\n")
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError) as exc:
        raise BatchFormatError(f"a batch part without a status: {status_line[:80]!r}") \
            from exc
    if body.endswith(b"\r\n"):
        body = body[:-2]
    elif body.endswith(b"\n"):
        body = body[:-1]
    return content_id.removeprefix("response-"), Answer(status, _headers(header_lines), body)


def _split(data: bytes) -> tuple[bytes, bytes]:
    found = _BLANK_LINE.search(data)
    if found is None:
        return data, b""
    return data[:found.start()], data[found.end():]


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers
