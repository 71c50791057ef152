"""email-reply-parser (zapier's port of GitHub's parser, PyPI 0.5.12) on the cases.

See adapter.py for the protocol. ``EmailReplyParser.parse_reply`` is its reply
(quoted fragments, header fragments and a trailing signature are hidden). Its
signature is the fragments it flags as ``signature`` (a block opened by "--", "__"
or "Sent from my ...") before the first quoted or header fragment; the new text is
the reply plus that signature.
"""

from __future__ import annotations

from adapter import Answer, serve
from email_reply_parser import EmailReplyParser

COLUMN = "email-reply-parser"


def analyse(text: str, sender: str) -> Answer:
    del sender  # not used by the package
    fragments = EmailReplyParser.read(text).fragments
    own, signature = [], []
    for fragment in fragments:
        if fragment.quoted or fragment.headers:
            break
        if fragment.signature:
            signature.append(fragment.content)
        if fragment.signature or not fragment.hidden:
            own.append(fragment.content)
    return {COLUMN: {"new_text": "\n".join(own), "reply": EmailReplyParser.parse_reply(text),
                     "signature": "\n".join(signature) or None}}


if __name__ == "__main__":
    serve("email-reply-parser", {COLUMN: ["new_text", "reply", "signature"]}, analyse, [])
