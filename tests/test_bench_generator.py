"""The benchmark mailbox generator (bench/gen_mailbox.py) makes valid, reproducible mail.

The resync benchmark is only comparable across runs and machines if the same seed
gives the same bytes, and only meaningful if what syncd reads is valid RFC 5322 /
MIME with real threads: these tests pin both on a small mailbox.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "gen_mailbox.py"
MESSAGES = 300
SEED = 7
OWNER_DOMAIN = "acme-robotics.com"
FREE_MAIL = {
    "gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "protonmail.com",
    "gmx.de", "web.de", "t-online.de", "hotmail.co.uk", "btinternet.com", "yahoo.co.uk",
    "orange.fr", "free.fr", "laposte.net", "yahoo.co.jp", "outlook.jp", "bigpond.com",
    "outlook.com.au",
}
HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
"""A header field's name and colon: what a malformed file does not start with."""


def generate(out: Path) -> dict[str, bytes]:
    """Run the generator as its users do and read back every file by relative path."""
    subprocess.run(
        [sys.executable, str(GENERATOR), str(out), "--messages", str(MESSAGES),
         "--seed", str(SEED)],
        check=True, capture_output=True, timeout=120,
    )
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def mailboxes(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes],
                                                                  dict[str, bytes]]:
    """The same mailbox generated twice into different directories."""
    base = tmp_path_factory.mktemp("mailboxes")
    return generate(base / "a"), generate(base / "b")


@pytest.fixture(scope="module")
def parsed(mailboxes: tuple[dict[str, bytes], dict[str, bytes]]) -> dict[str, EmailMessage]:
    """Every well-formed message, parsed with the strict modern policy."""
    files = mailboxes[0]
    return {
        name: email.message_from_bytes(raw, policy=email.policy.default)
        for name, raw in files.items()
        if is_message_file(name) and HEADER_LINE.match(raw)
    }


def is_message_file(name: str) -> bool:
    """Files a maildir reader delivers: cur/ and new/ of the inbox and of .Sent."""
    return name.split("/")[-2] in {"cur", "new"}


def test_same_seed_gives_byte_identical_files(
        mailboxes: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    first, second = mailboxes
    assert list(first) == list(second)
    assert first == second


def test_layout_and_message_count(mailboxes: tuple[dict[str, bytes], dict[str, bytes]]) -> None:
    files = mailboxes[0]
    messages = [n for n in files if is_message_file(n)]
    assert len(messages) == MESSAGES
    assert {n.rsplit("/", 1)[0] for n in messages} <= {"cur", "new", ".Sent/cur"}
    assert any(n.startswith(".Sent/cur/") for n in messages)
    assert ".Sent/maildirfolder" in files
    for name in messages:
        leaf = name.rsplit("/", 1)[1]
        assert re.fullmatch(r"\d{10}\.\d+_\d+\.bench(:2,[A-Z]+)?", leaf), leaf
        assert (":2," in leaf) == (not name.startswith("new/")), leaf


def test_malformed_files_are_rare_but_present(
        mailboxes: tuple[dict[str, bytes], dict[str, bytes]],
        parsed: dict[str, EmailMessage]) -> None:
    messages = [n for n in mailboxes[0] if is_message_file(n)]
    assert len(messages) - len(parsed) == round(MESSAGES * 0.002)


def test_messages_parse_with_from_and_message_id(parsed: dict[str, EmailMessage]) -> None:
    for name, message in parsed.items():
        assert message["From"] and message["From"].addresses, name
        assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(message["Message-ID"])), name
        assert message["Date"].datetime is not None, name
        for part in message.walk():
            assert not part.defects, (name, part.defects)
            if part.get_content_maintype() == "text":
                assert part.get_content().strip(), name


def test_wire_format_is_crlf_with_76_column_base64(
        mailboxes: tuple[dict[str, bytes], dict[str, bytes]],
        parsed: dict[str, EmailMessage]) -> None:
    for name in parsed:
        raw = mailboxes[0][name]
        assert b"\n" not in raw.replace(b"\r\n", b""), name
        assert all(len(line) <= 998 for line in raw.split(b"\r\n")), name
    for name, message in parsed.items():
        for part in message.walk():
            if part.get("Content-Transfer-Encoding", "").lower() == "base64":
                payload = part.get_payload(decode=False)
                assert isinstance(payload, str)
                assert all(len(line) <= 76 for line in payload.splitlines()), name


def test_replies_point_at_messages_in_the_mailbox(parsed: dict[str, EmailMessage]) -> None:
    ids = {str(m["Message-ID"]) for m in parsed.values()}
    replies = [m for m in parsed.values() if m["In-Reply-To"]]
    assert len(replies) > MESSAGES // 5
    for message in replies:
        assert str(message["In-Reply-To"]) in ids
        references = str(message["References"]).split()
        assert references[-1] == str(message["In-Reply-To"])
        assert re.match(r"(Re|RE|AW|Automatic reply|Abwesenheitsnotiz): ",
                        str(message["Subject"])), message["Subject"]


def test_attachment_share_follows_the_option(parsed: dict[str, EmailMessage]) -> None:
    with_attachment = sum(
        any(part.get_content_disposition() == "attachment" for part in m.walk())
        for m in parsed.values())
    assert 0.08 * MESSAGES <= with_attachment <= 0.12 * MESSAGES
    sizes = [len(part.get_content()) for m in parsed.values() for part in m.walk()
             if part.get_content_disposition() == "attachment"]
    assert min(sizes) >= 50 * 1024
    assert max(sizes) <= 3 * 1024 * 1024


def test_many_people_at_many_companies(parsed: dict[str, EmailMessage]) -> None:
    people: set[str] = set()
    for message in parsed.values():
        if message["List-Unsubscribe"] or message["Feedback-ID"]:
            continue  # newsletters and notifications: no people there
        for field in ("From", "To", "Cc"):
            if message[field]:
                people |= {a.addr_spec.lower() for a in message[field].addresses
                           if a.domain.lower() != OWNER_DOMAIN}
    domains = {p.split("@")[1] for p in people}
    companies = domains - FREE_MAIL
    assert len(people) >= MESSAGES // 8
    assert len(companies) >= 5
    assert domains & FREE_MAIL


def test_bulk_internal_and_owner_mail_are_all_there(parsed: dict[str, EmailMessage]) -> None:
    def domains(message: EmailMessage) -> set[str]:
        return {a.domain.lower() for f in ("From", "To", "Cc") if message[f]
                for a in message[f].addresses}

    bulk = [m for m in parsed.values() if m["List-Unsubscribe"] or m["Feedback-ID"]]
    internal = [m for m in parsed.values() if domains(m) == {OWNER_DOMAIN}]
    sent = [n for n in parsed if n.startswith(".Sent/")]
    assert 0.08 * MESSAGES <= len(bulk) <= 0.25 * MESSAGES
    assert internal
    assert all(parsed[n]["From"].addresses[0].domain == OWNER_DOMAIN for n in sent)
