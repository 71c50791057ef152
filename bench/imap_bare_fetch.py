#!/usr/bin/env python3
"""The floor for a Python IMAP client: fetch exactly what syncd's connector fetches.

Usage (run by ``imap_bench.py`` as a child, so its peak RSS is measured the same way
as syncd's; the password comes from ``$BENCH_IMAP_PASSWORD``)::

    python bench/imap_bare_fetch.py --host H --port P --ca-file CA --user U [--status]

Full mode: per folder (INBOX and the ``\\Sent`` folder) ``UID SEARCH ALL``, then per
500 UIDs one FETCH of ``BODYSTRUCTURE`` and ``connectors.imap_parts.HEADER_ITEM``,
then one FETCH of ``BODY.PEEK[<section>]<0.262144>`` per set of sections
(``connectors.imap_parts.fetch_plan``), the parts chosen by
``connectors.imap_parts.text_parts``. That is the request stream of
``connectors/imap.py`` with nothing after it and imapclient's own response parser:
no message parsing, no database. syncd reads FETCH answers with its own parser
(``connectors/imap_wire.py``), so it can beat this floor.

``--status`` is the no-change floor: one STATUS per folder, as syncd's incremental
run issues when nothing is new. A JSON summary goes to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import imapclient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# not bench/ itself, whose google.py would shadow Google's package
sys.path.remove(str(Path(__file__).resolve().parent))

from connectors.imap_parts import HEADER_ITEM, TextPart, fetch_plan, text_parts

BATCH = 500
TEXT_CAP = 256 * 1024
SENT = b"\\Sent"
PASSWORD_ENV = "BENCH_IMAP_PASSWORD"


def connect(args: argparse.Namespace) -> imapclient.IMAPClient:
    """IMAPS with certificate verification against the given CA, as syncd's ``tls``."""
    context = ssl.create_default_context(cafile=args.ca_file)
    client = imapclient.IMAPClient(args.host, port=args.port, ssl=True,
                                   ssl_context=context, timeout=60)
    client.login(args.user, os.environ[PASSWORD_ENV])
    return client


def folders(client: imapclient.IMAPClient) -> list[str]:
    """INBOX and the sent folder, found the way syncd finds it (LIST, special-use)."""
    sent = client.find_special_folder(SENT)
    return ["INBOX", *([sent] if sent else [])]


def wire_shape(value: Any) -> Any:
    """imapclient's BODYSTRUCTURE in the connector's shape: a multipart's children
    first, as on the wire, rather than gathered in one list."""
    if isinstance(value, list):
        return tuple(wire_shape(child) for child in value)
    if isinstance(value, tuple):
        if value and isinstance(value[0], list):
            return (*wire_shape(value[0]), *(wire_shape(v) for v in value[1:]))
        return tuple(wire_shape(v) for v in value)
    return value


def shape_of(data: dict[bytes, Any]) -> tuple[TextPart, ...]:
    """The text parts to fetch; a structure that cannot be read means none."""
    try:
        return text_parts(wire_shape(data.get(b"BODYSTRUCTURE")))
    except (IndexError, TypeError, ValueError):
        return ()


def fetch_batch(client: imapclient.IMAPClient, uids: list[int]) -> tuple[int, int]:
    """One batch as syncd fetches it; (messages answered, text bytes received)."""
    heads = client.fetch(uids, ["BODYSTRUCTURE", HEADER_ITEM])
    parts = {uid: shape_of(data) for uid, data in heads.items()}
    text_bytes = 0
    for items, members in fetch_plan(parts, TEXT_CAP).items():
        fetched = client.fetch(members, list(items))
        text_bytes += sum(len(value) for data in fetched.values()
                          for key, value in data.items()
                          if key.startswith(b"BODY[") and isinstance(value, bytes))
    return len(heads), text_bytes


def full_fetch(client: imapclient.IMAPClient) -> dict[str, int]:
    """Every folder, every message: the request stream of a full resync."""
    messages = text_bytes = 0
    for folder in folders(client):
        client.select_folder(folder, readonly=True)
        uids = sorted(client.search("ALL"))
        for begin in range(0, len(uids), BATCH):
            answered, received = fetch_batch(client, uids[begin:begin + BATCH])
            messages += answered
            text_bytes += received
    return {"messages": messages, "text_bytes": text_bytes}


def status_only(client: imapclient.IMAPClient) -> dict[str, int]:
    """What an unchanged folder costs syncd: one STATUS each."""
    total = 0
    for folder in folders(client):
        status = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT"])
        total += int(status[b"UIDNEXT"]) - 1
    return {"uidnext_sum": total}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Connection options; the password only ever comes from the environment."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--status", action="store_true", help="the no-change floor only")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one session and print a JSON summary with its own wall time."""
    args = parse_args(argv)
    started = time.perf_counter()
    client = connect(args)
    try:
        summary = status_only(client) if args.status else full_fetch(client)
    finally:
        client.logout()
    summary["seconds_in_session"] = round(time.perf_counter() - started, 3)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
