"""A stored message as ``users.messages.get`` returns it, per ``format``.

From the discovery document's Message/MessagePart schemas (shared/REMOTE-APIS.md §1):

- ``minimal``: id, threadId, labelIds, snippet, sizeEstimate, historyId, internalDate.
- ``metadata``: the same plus ``payload`` with ``mimeType`` and ``headers`` only,
  restricted to ``metadataHeaders`` (case-insensitive) when given.
- ``full``: the parsed MIME tree; ``partId`` "" for the top, "0", "1", "0.1" below;
  ``headers`` in message order, repeated fields repeated, names in their original
  case, values as in the message: unfolded (the line breaks removed, the folding
  whitespace kept), RFC 2047 encoded words left encoded; 8-bit header bytes are
  read as UTF-8, else Latin-1, since JSON carries text; ``body.data`` is base64url
  (padded) of the transfer-decoded bytes;
  containers have ``body.size`` 0 and ``parts``; a part with a filename gets
  ``body.attachmentId`` instead of data.
- ``raw``: base64url of the RFC 822 bytes in ``raw``, no payload.

``historyId`` and ``internalDate`` are strings (uint64/int64 in JSON), ``snippet`` is
HTML-escaped text from the first text part, as Gmail sends it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from email.message import Message
from typing import Any

from tests.fakes.gmail_store import StoredMessage

SNIPPET_LENGTH = 200
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def message_resource(stored: StoredMessage, fmt: str,
                     metadata_headers: list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": stored.id, "threadId": stored.thread_id, "labelIds": list(stored.labels),
        "sizeEstimate": len(stored.raw), "historyId": str(stored.history_id),
        "internalDate": str(stored.internal_date)}
    if ("snippet",) not in stored.renderings:
        stored.renderings[("snippet",)] = {"snippet": snippet(stored.parsed)}
    resource.update(stored.renderings[("snippet",)])
    key = (fmt, *sorted(name.lower() for name in metadata_headers))
    if key not in stored.renderings:
        stored.renderings[key] = _rendering(stored, fmt, metadata_headers)
    resource.update(stored.renderings[key])
    return resource


def _rendering(stored: StoredMessage, fmt: str, metadata_headers: list[str]
               ) -> dict[str, Any]:
    """The format's own members: ``raw``, or the ``payload`` tree."""
    if fmt == "raw":
        return {"raw": b64url(stored.raw)}
    if fmt == "metadata":
        wanted = {name.lower() for name in metadata_headers}
        return {"payload": {
            "mimeType": stored.parsed.get_content_type(),
            "headers": [h for h in headers(stored.parsed)
                        if not wanted or h["name"].lower() in wanted]}}
    if fmt == "full":
        return {"payload": part_resource(stored.parsed, "", stored.id)}
    return {}


def part_resource(part: Message, part_id: str, message_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"partId": part_id, "mimeType": part.get_content_type(),
                                "filename": part.get_filename() or "",
                                "headers": headers(part)}
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        resource["body"] = {"size": 0}
        resource["parts"] = [part_resource(child, f"{prefix}{n}", message_id)
                             for n, child in enumerate(children)]
        return resource
    data = part.get_payload(decode=True)
    content = data if isinstance(data, bytes) else b""
    if resource["filename"]:
        digest = hashlib.sha1(f"{message_id}/{part_id}".encode()).hexdigest()
        resource["body"] = {"attachmentId": f"ANGjdJ{digest}", "size": len(content)}
    else:
        resource["body"] = {"size": len(content), "data": b64url(content)}
    return resource


def headers(part: Message) -> list[dict[str, str]]:
    return [{"name": name, "value": _header_text(value)} for name, value in part.raw_items()]


def snippet(parsed: Message) -> str:
    for part in parsed.walk():
        if part.get_content_type() in {"text/plain", "text/html"} and not part.get_filename():
            data = part.get_payload(decode=True)
            if not isinstance(data, bytes):
                continue
            text = data.decode(part.get_content_charset() or "utf-8", "replace")
            if part.get_content_type() == "text/html":
                text = re.sub(r"<[^>]*>", " ", text)
            text = " ".join(text.split())[:SNIPPET_LENGTH]
            return "".join(_ESCAPES.get(char, char) for char in text)
    return ""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _header_text(value: str) -> str:
    """A raw value (8-bit bytes kept as surrogates by the parser) as Gmail sends it."""
    data = re.sub(r"\r?\n(?=[ \t])", "", value).encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
