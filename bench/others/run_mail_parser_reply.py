"""mail-parser-reply (PyPI 1.36, ``mailparser_reply``) on the evaluation cases.

See adapter.py for the protocol. ``EmailReplyParser(languages=...).read(text)``
splits the body into replies at the headers it knows; the first reply is the
author's: its ``content`` is the new text, ``body`` the text without signature and
disclaimers, ``signatures`` what its sign-off/signature regex matched (which
starts at the closing phrase, e.g. "Best regards,"). Every corpus language the
package supports is enabled (it has no Portuguese).
"""

from __future__ import annotations

from adapter import Answer, serve
from mailparser_reply import EmailReplyParser

COLUMN = "mail-parser-reply"
LANGUAGES = ["en", "de", "fr", "es", "nl", "it", "ja", "zh"]
PARSER = EmailReplyParser(languages=LANGUAGES)


def analyse(text: str, sender: str) -> Answer:
    del sender  # not used by the package
    message = PARSER.read(text)
    if not message.replies:
        return {COLUMN: {"new_text": "", "reply": "", "signature": None}}
    first = message.replies[0]
    return {COLUMN: {"new_text": first.full_body, "reply": first.body,
                     "signature": first.signatures or None}}


if __name__ == "__main__":
    serve("mail-parser-reply", {COLUMN: ["new_text", "reply", "signature"]}, analyse,
          [f"languages {','.join(LANGUAGES)}"])
