#!/usr/bin/env python3
"""syncd's IMAP reader alone: the connector's batches, and nothing done with them.

Usage (run by ``imap_bench.py`` as a child, like the other clients)::

    python bench/imap_reader.py CONFIG

``connectors.imap.ImapConnector.pull`` of the config's first source, full, in this
process (no fork, no pipeline, no database): the same FETCH commands and parsing
as ``syncd resync``, up to the RawMessage items. Set beside the bare imapclient
fetch, it shows what syncd's own FETCH parser costs; set beside ``syncd resync``,
what the rest of the pipeline does. A JSON summary goes to stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# not bench/ itself, whose google.py would shadow Google's package
sys.path.remove(str(Path(__file__).resolve().parent))

from connectors.base import RawMessage
from connectors.registry import connector_class
from syncd.configfile import load_config


def main() -> int:
    """Pull every batch of the first source and count what arrived."""
    source = load_config(Path(sys.argv[1])).sources[0]
    started = time.perf_counter()
    connector = connector_class(source.kind)(source.name, source)
    messages = other = 0
    try:
        for batch in connector.pull({}, full=True):
            found = sum(isinstance(item, RawMessage) for item in batch.items)
            messages, other = messages + found, other + len(batch.items) - found
    finally:
        connector.close()
    print(json.dumps({"messages": messages, "other_items": other,
                      "seconds_in_session": round(time.perf_counter() - started, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
