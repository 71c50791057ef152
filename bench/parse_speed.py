"""How fast does ``parse_message`` turn raw mail into RawMessage, against the stdlib?

Builds 2,000 seeded messages in memory with the stdlib ``email`` package, of
the shapes a team mailbox holds: 200-20,000 characters of text (log-uniform)
as plain text, multipart/alternative or HTML-only with an inline logo, in
quoted-printable, base64 or 8bit; 20 % of the rest with a small PDF, and 10 %
with a 1-3 MB base64 attachment. Then it times ``connectors.rfc822.parse_message`` (best of three
passes) and the stdlib full parse plus ``get_body`` for comparison.

Run: ``python bench/parse_speed.py [--count N] [--seed S]``
"""

from __future__ import annotations

import argparse
import email
import email.policy
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors import rfc822
from connectors.rfc822 import parse_message

WORDS = ("the", "quarter", "invoice", "meeting", "contract", "renewal", "schedule", "pricing",
         "Müller", "déjà", "naïve", "straße", "café", "numbers", "deadline", "report", "team",
         "customer", "shipping", "follow-up", "proposal", "東京", "München", "señor")
NAMES = ("Leah Vickers", "Jürgen Groß", "Ana Ruiz", "Tom O'Neil", "佐藤 健", "Émilie Durand")


def paragraph(rng: random.Random, size: int) -> str:
    """Plain text of roughly ``size`` characters in lines of mail width."""
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word + ("\n" if rng.random() < 0.08 else ""))
        length += len(word) + 1
    return " ".join(words)


def base_message(rng: random.Random, index: int) -> EmailMessage:
    msg = EmailMessage()
    for hop in range(rng.randint(3, 6)):
        msg["Received"] = (f"from mx{hop}.example.net (mx{hop}.example.net [203.0.113.{hop}]) "
                           f"by mail.example.com with ESMTPS id {rng.getrandbits(64):x}; "
                           "Mon, 09 Feb 2026 08:34:46 -0500")
    msg["DKIM-Signature"] = "v=1; a=rsa-sha256; d=example.com; s=s1; b=" + "A" * 344
    msg["From"] = f"{rng.choice(NAMES)} <sender{index}@Example.COM>"
    msg["To"] = ", ".join(f"{rng.choice(NAMES)} <to{n}@example.org>"
                          for n in range(rng.randint(1, 3)))
    if rng.random() < 0.5:
        msg["Cc"] = f"{rng.choice(NAMES)} <cc@example.org>"
    msg["Subject"] = "Re: " + paragraph(rng, 40).replace("\n", "")
    msg["Date"] = format_datetime(email.utils.localtime())
    msg["Message-ID"] = make_msgid(domain="example.com")
    if rng.random() < 0.6:
        msg["In-Reply-To"] = make_msgid(domain="example.org")
        msg["References"] = " ".join(make_msgid(domain="example.org") for _ in range(3))
    if rng.random() < 0.1:
        msg["List-Unsubscribe"] = "<mailto:unsubscribe@example.com>"
    return msg


STYLE = ("<style><!--\n@font-face {font-family:Calibri;}\n"
         + "p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; "
           "font-family:\"Calibri\",sans-serif;}\n" * 12 + "--></style>")
SIGNATURE = ('<table cellpadding="0" cellspacing="0" style="font-family:Arial;font-size:9pt">'
             '<tr><td style="padding:0 12px 0 0"><img src="cid:logo@example.com" width="64"></td>'
             '<td style="border-left:2px solid #c8102e;padding:0 0 0 12px"><b>Leah Vickers</b><br>'
             "VP Sales<br>Phone: +1-212-555-0159</td></tr></table>")


def html_of(text: str) -> str:
    """Outlook-like markup: a style block and a styled paragraph per line."""
    lines = "".join(f'<p class="MsoNormal" style="margin:0;line-height:115%"><span lang="EN-US">'
                    f"{line}</span></p>\n" for line in text.split("\n"))
    body = f"<div class=WordSection1>{lines}{SIGNATURE}</div>"
    return f"<html><head>{STYLE}</head><body>{body}</body></html>"


def set_bodies(msg: EmailMessage, rng: random.Random) -> None:
    """Text of 200-20,000 characters (log-uniform), as plain, alternative or HTML-only."""
    text = paragraph(rng, int(math.exp(rng.uniform(math.log(200), math.log(20_000)))))
    cte = rng.choices(("quoted-printable", "base64", "8bit"), weights=(2, 1, 1))[0]
    shape = rng.random()
    if shape < 0.3:
        msg.set_content(text, cte=cte)
    elif shape < 0.8:
        msg.set_content(text, cte=cte)
        msg.add_alternative(html_of(text), subtype="html", cte=cte)
    else:
        msg.set_content(html_of(text), subtype="html", cte=cte)
        msg.add_related(rng.randbytes(rng.randint(3_000, 30_000)), "image", "png",
                        cid="<logo@example.com>")


def build(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for index in range(count):
        msg = base_message(rng, index)
        set_bodies(msg, rng)
        if index % 10 == 0:
            msg.add_attachment(rng.randbytes(rng.randint(1_000_000, 3_000_000)), "application",
                               "pdf", filename="big.pdf")
        elif rng.random() < 0.2:
            msg.add_attachment(rng.randbytes(rng.randint(10_000, 60_000)), "application",
                               "pdf", filename="small.pdf")
        out.append(msg.as_bytes(policy=email.policy.SMTP))
    return out


def stdlib_parse(data: bytes) -> None:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    for kind in ("plain", "html"):
        body = msg.get_body((kind,))
        if body is not None:
            body.get_content()


def fast_parse(data: bytes) -> None:
    parse_message(data, external_id="bench")


def rate(messages: list[bytes], parse: Callable[[bytes], None], passes: int) -> float:
    """Best wall time of ``passes`` runs over all messages, in seconds; each run starts
    with no address field remembered, so it never reuses the last one's work."""
    best = float("inf")
    for _ in range(passes):
        rfc822._known_addresses.cache_clear()
        started = time.perf_counter()
        for data in messages:
            parse(data)
        best = min(best, time.perf_counter() - started)
    return best


def report(label: str, seconds: float, messages: list[bytes]) -> None:
    megabytes = sum(map(len, messages)) / 1e6
    print(f"{label:<42} {len(messages) / seconds:>9,.0f} msg/s {megabytes / seconds:>9,.0f} MB/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.perf_counter()
    messages = build(args.count, args.seed)
    small = [data for data in messages if len(data) < 500_000]
    print(f"built {len(messages)} messages, {sum(map(len, messages)) / 1e6:,.0f} MB, "
          f"{len(messages) - len(small)} with a 1-3 MB attachment, the others "
          f"{statistics.median(map(len, small)) / 1e3:,.0f} KB median, "
          f"in {time.perf_counter() - started:.1f} s")
    report("parse_message, all", rate(messages, fast_parse, 3), messages)
    report("parse_message, without the big ones", rate(small, fast_parse, 3), small)
    report("stdlib message_from_bytes + get_body, all", rate(messages, stdlib_parse, 1), messages)
    report("stdlib, without the big ones", rate(small, stdlib_parse, 1), small)


if __name__ == "__main__":
    main()
