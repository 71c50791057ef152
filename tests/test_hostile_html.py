"""A malicious body is data, bounded: scripts and styles never reach the stored text,
nesting costs no recursion, hostile markup renders in linear time, and a 50 MB body
stores no more than :data:`enrichment.mime.MAX_TEXT_CHARS`.

The renderer is checked directly (with hypothesis) and through a Maildir source, the
runner and the store on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from enrichment.mime import MAX_TEXT_CHARS, body_text, html_to_text
from syncd.db.models import Interaction, Quarantine
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.mailfactory import put_maildir

ALICE = "alice@acme-robotics.com"
MARK = "EVILMARK"
SCRIPTED = (f"<html><head><style>body {{ content: '{MARK}' }}</style>"
            f"<script>alert('{MARK}')</script></head><body><p>Hello Alice,</p>"
            f"<SCRIPT type='text/javascript'>document.write('{MARK}<p>')</SCRIPT >"
            f"<style media=\"x>y\">p {{ color: red }} /* {MARK} */</style>"
            f"<p>see you</p><script>{MARK}</script></body></html>")
HUGE = 50 * 1024 * 1024
HOSTILE = {  # markup that made a backtracking tag pattern quadratic (minutes for 256 KiB)
    "unclosed quotes": ('<a "', 65_536),
    "unclosed comments": ("<!--", 65_536),
    "names without ends": ("<a", 131_072),
    "quotes that chain": ('"<rS"/', 43_690),
    "unclosed declarations": ("<!", 131_072),
    "scripts": ("<script>x</script>", 14_563),
}
"""Each piece of markup and how many times it repeats in the largest body tried."""


def nested(depth: int) -> str:
    return "<table><tr><td>" * depth + "deep" + "</td></tr></table>" * depth


def cpu_seconds(markup: str) -> float:
    """CPU time of this process, which other jobs on the machine do not inflate."""
    started = time.process_time()
    html_to_text(markup)
    return time.process_time() - started


def grows_linearly(make: Callable[[int], str], size: int) -> bool:
    """Four times the input costs well under the sixteen times a quadratic renderer
    would take (best of two at the small size; slack for timer resolution)."""
    small = min(cpu_seconds(make(size // 4)) for _ in range(2))
    return cpu_seconds(make(size)) < 8 * small + 0.05


def test_scripts_and_styles_leave_no_text() -> None:
    text = html_to_text(SCRIPTED)
    assert MARK not in text
    assert text == "Hello Alice,\nsee you"


def test_a_hundred_thousand_nested_tables_render_without_recursion() -> None:
    assert html_to_text(nested(100_000)) == "deep"
    assert grows_linearly(nested, 100_000)


@pytest.mark.parametrize(("piece", "count"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markup_renders_in_linear_time(piece: str, count: int) -> None:
    assert grows_linearly(lambda n: piece * n, count)


def test_a_50_mb_body_is_read_up_to_the_cap() -> None:
    assert len(body_text("x" * HUGE, "")) == MAX_TEXT_CHARS
    html = "<p>" + "word " * (HUGE // 5)
    assert len(body_text("", html)) == MAX_TEXT_CHARS
    assert "tail" not in body_text("", "<b></b>" * (HUGE // 7) + "tail")  # the markup cap


_TEXT = st.text(st.characters(blacklist_characters="<>&"), max_size=20)
_ATTRS = st.lists(st.tuples(st.from_regex(r"[a-z]{1,6}", fullmatch=True),
                            st.text(st.characters(blacklist_characters="\"<"), max_size=10)),
                  max_size=3).map(lambda pairs: "".join(f' {k}="{v}"' for k, v in pairs))
_TAGS = st.sampled_from(["p", "div", "table", "tr", "td", "br", "span", "a", "b", "li"])
_RAW = st.text(max_size=20).filter(lambda t: "</" not in t)
_FRAGMENT = st.one_of(
    _TEXT,
    st.builds("<{}{}>".format, _TAGS, _ATTRS),
    st.builds("</{}>".format, _TAGS),
    st.builds("<!--{}-->".format, _TEXT.filter(lambda t: "--" not in t)),
    st.builds(lambda tag, attrs, raw, case: f"<{case(tag)}{attrs}>{raw}{MARK}{raw}"
              f"</{case(tag)}>", st.sampled_from(["script", "style"]), _ATTRS, _RAW,
              st.sampled_from([str.lower, str.upper, str.title])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENT, max_size=30))
def test_script_and_style_content_never_shows(fragments: list[str]) -> None:
    assert MARK not in html_to_text("".join(fragments))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-?\"'= \nascriptle&;#x")) | st.characters(),
               max_size=300))
def test_any_markup_renders_without_error_and_never_grows(markup: str) -> None:
    text = html_to_text(markup)
    assert len(text) <= len(markup)


def html_mail(n: int, html: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@attacker.example>"
    msg["To"] = ALICE
    msg["Subject"] = f"hostile {n}"
    msg["Date"] = f"Mon, 02 Mar 2026 09:0{n}:00 +0000"
    msg["Message-ID"] = f"<hostile-{n}@attacker.example>"
    msg.set_content(html, subtype="html", cte="8bit" if len(html) < 900_000 else "base64")
    return bytes(msg)


def test_hostile_bodies_through_the_pipeline(make_app: Any, tmp_path: Path) -> None:
    root = tmp_path / "mail"
    bodies = [SCRIPTED, "<p>Hi</p>" + nested(100_000), "<p>" + "spam " * (HUGE // 5),
              *(piece * count for piece, count in HOSTILE.values())]
    for n, html in enumerate(bodies):
        put_maildir(root, html_mail(n, html))
    app = make_app([{"name": "mail", "kind": "maildir", "path": str(root), "owner": [ALICE],
                     "capture": {"visibility": "full"}}])
    result = run_source(app, app.config.source("mail"))
    assert result.status == "ok", result.error
    with session_scope(app.sessions) as session:
        stored = {row.subject: row for row in session.execute(select(Interaction)).scalars()}
        quarantined = session.execute(select(Quarantine)).scalars().all()
        assert len(stored) + len(quarantined) == len(bodies)
        assert all(q.reason for q in quarantined)
        assert stored["hostile 0"].body == "Hello Alice,\nsee you"
        assert (stored["hostile 1"].body or "").split("\n")[0] == "Hi"  # 256 KiB read, no more
        for row in stored.values():
            assert MARK not in f"{row.body} {row.snippet} {row.subject}"
            assert len(row.body or "") <= MAX_TEXT_CHARS
