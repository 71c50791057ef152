"""The batch wire format (https://developers.google.com/workspace/gmail/api/guides/batch).

Request: ``POST /batch/gmail/v1`` (or ``/batch``, where ``new_batch_http_request()``
posts) with ``Content-Type: multipart/mixed; boundary=...``; each part is
``Content-Type: application/http`` with a ``Content-ID`` and holds one HTTP request
(request line with a path only, headers, blank line, body). google-api-python-client
writes LF line endings and ``Content-ID: <uuid + n>`` (shared/REMOTE-APIS.md §1).

Response: ``multipart/mixed`` whose parts are ``application/http`` in request order,
each ``Content-ID: <response-{request's id}>`` holding ``HTTP/1.1 <status>``, headers,
CRLF CRLF and the JSON body. The client splits the id on ``" + "`` and the inner
payload on the first CRLF CRLF, so both are load-bearing here.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus

from tests.fakes.google_wire import Reply, bad_request

_BOUNDARY = re.compile(r'boundary="?([^";\s]+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Part:
    """One request inside a batch; header names are lower case."""

    content_id: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def parse_batch(content_type: str, body: bytes) -> list[Part]:
    """The parts of a ``multipart/mixed`` batch body (LF or CRLF line ends), split on
    the boundary by hand: the email package's parser cost more than the rest of the
    fake's work, which the benchmarks would then measure instead of syncd's."""
    found = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/mixed") or found is None:
        raise bad_request("Batch requests must be multipart/mixed.")
    chunks = body.split(b"--" + found.group(1).encode("latin-1"))
    if len(chunks) < 3:
        raise bad_request("Failed to parse batch request.")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        parts.append(_part(chunk.lstrip(b"\r\n")))
    return parts


def _part(chunk: bytes) -> Part:
    text = chunk.decode("utf-8", "surrogateescape").replace("\r\n", "\n")
    mime_head, _, payload = text.partition("\n\n")
    mime = _header_lines(mime_head.split("\n"))
    if mime.get("content-type", "").split(";")[0].strip().lower() != "application/http":
        raise bad_request("Each batch part must be application/http.")
    head, _, body = payload.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    try:
        method, target, _version = request_line.split(" ", 2)
    except ValueError as error:
        raise bad_request(f"Invalid request line in batch part: {request_line!r}") from error
    if not target.startswith("/"):
        raise bad_request("Batch parts must carry a path, not a full URL.")
    return Part(mime.get("content-id", ""), method.upper(), target,
                _header_lines(header_lines),
                body.rstrip("\n").encode("utf-8", "surrogateescape"))


def _header_lines(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers


def batch_reply(answers: list[tuple[str, Reply]]) -> Reply:
    """One multipart/mixed answer from (request Content-ID, reply) pairs."""
    boundary = f"batch_{secrets.token_urlsafe(12)}"
    chunks: list[bytes] = []
    for content_id, reply in answers:
        inner = [f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
                 f"Content-Type: {reply.content_type}", "Vary: Origin",
                 *(f"{name}: {value}" for name, value in reply.headers),
                 f"Content-Length: {len(reply.body)}"]
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: {_response_id(content_id)}\r\n\r\n".encode()
            + "\r\n".join(inner).encode() + b"\r\n\r\n" + reply.body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return Reply(200, b"".join(chunks), content_type=f"multipart/mixed; boundary={boundary}")


def _response_id(content_id: str) -> str:
    inner = content_id[1:-1] if content_id.startswith("<") and content_id.endswith(">") \
        else content_id
    return f"<response-{inner}>"
