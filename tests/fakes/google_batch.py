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

import secrets
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus

from tests.fakes.google_wire import Reply, bad_request


@dataclass(frozen=True)
class Part:
    """One request inside a batch; header names are lower case."""

    content_id: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def parse_batch(content_type: str, body: bytes) -> list[Part]:
    if not content_type.lower().startswith("multipart/mixed"):
        raise bad_request("Batch requests must be multipart/mixed.")
    envelope = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not envelope.is_multipart():
        raise bad_request("Failed to parse batch request.")
    return [_part(sub) for sub in envelope.get_payload() if isinstance(sub, Message)]


def _part(sub: Message) -> Part:
    payload = sub.get_payload(decode=False)
    if not isinstance(payload, str) or sub.get_content_type() != "application/http":
        raise bad_request("Each batch part must be application/http.")
    head, _, body = payload.replace("\r\n", "\n").partition("\n\n")
    request_line, *header_lines = head.split("\n")
    try:
        method, target, _version = request_line.split(" ", 2)
    except ValueError as error:
        raise bad_request(f"Invalid request line in batch part: {request_line!r}") from error
    if not target.startswith("/"):
        raise bad_request("Batch parts must carry a path, not a full URL.")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Part(str(sub.get("Content-ID", "")), method.upper(), target, headers,
                body.encode("utf-8", "surrogateescape"))


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
