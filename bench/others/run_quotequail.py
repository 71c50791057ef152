"""quotequail (PyPI 0.5.4) on the evaluation cases; see adapter.py for the protocol.

quotequail splits quoted history only; it has no signature step, so its ``reply`` is
its new text, signature included. ``unwrap`` is tried first (it recognises reply
and forward headers and keeps text above and below the quoted message); where it
finds nothing, ``quote(text, quote_intro_line=True)`` gives the expanded part, with
the "On ... wrote:" line counted as quoted as the labels count it.
"""

from __future__ import annotations

import quotequail
from adapter import Answer, serve

COLUMN = "quotequail"


def analyse(text: str, sender: str) -> Answer:
    del sender  # quotequail does not use it
    unwrapped = quotequail.unwrap(text)
    if unwrapped is not None:
        pieces = [unwrapped.get("text_top", ""), unwrapped.get("text_bottom", "")]
        new_text = "\n".join(piece for piece in pieces if piece)
    else:
        chunks = quotequail.quote(text, quote_intro_line=True)
        new_text = "\n".join(chunk for expanded, chunk in chunks if expanded)
    return {COLUMN: {"new_text": new_text, "reply": new_text}}


if __name__ == "__main__":
    serve("quotequail", {COLUMN: ["new_text", "reply"]}, analyse,
          ["no signature step: its reply keeps the signature"])
