"""A Gmail-shaped IMAP server on 127.0.0.1, for what Dovecot cannot show: the
X-GM-EXT-1 extension (X-GM-MSGID, X-GM-THRID) and labels as folders.

Gmail keeps one copy of a message and shows it in a folder per label, each with
its own UIDs; ``[Gmail]/All Mail`` (special-use ``\\All``) holds every message once
(https://developers.google.com/workspace/gmail/imap/imap-extensions). This server
speaks the subset of IMAP4rev1 (RFC 3501) a read-only client uses: CAPABILITY,
LOGIN, LIST, STATUS, EXAMINE/SELECT, CLOSE, UID SEARCH, UID FETCH (BODYSTRUCTURE,
header fields, partial body sections, INTERNALDATE, the X-GM items), NOOP and LOGOUT, over
plain TCP.
Every command line is recorded, so tests assert what a client asked for.
"""

from __future__ import annotations

import email
import email.utils
import imaplib
import re
import socketserver
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32

from tests.fakes.loopback import Loopback

ALL_MAIL = "[Gmail]/All Mail"
NEWLINE = b"\n"
SENT_MAIL = "[Gmail]/Sent Mail"
CAPABILITIES = "IMAP4rev1 UNSELECT IDLE NAMESPACE ID CHILDREN X-GM-EXT-1 UIDPLUS SPECIAL-USE"
_LIST = [("\\HasNoChildren", "INBOX"), ("\\HasChildren \\Noselect", "[Gmail]"),
         ("\\All \\HasNoChildren", ALL_MAIL), ("\\HasNoChildren \\Sent", SENT_MAIL)]
_LABEL_FOLDERS = {"\\Inbox": "INBOX", "\\Sent": SENT_MAIL}
_COMMAND = re.compile(r"^(\S+) (UID )?(\S+) ?(.*)$", re.IGNORECASE)
_SECTION = re.compile(r"BODY(?:\.PEEK)?\[([^\]]*)\](?:<(\d+)\.(\d+)>)?", re.IGNORECASE)
_WORD = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class GmailMessage:
    raw: bytes
    msgid: int
    thrid: int
    labels: set[str] = field(default_factory=set)


class FakeGmail(Loopback):
    """Messages by label; a folder is a label (All Mail holds them all)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self.messages: list[GmailMessage] = []
        self.commands: list[str] = []
        super().__init__(socketserver.ThreadingTCPServer, _Session)

    def add(self, raw: bytes, msgid: int, thrid: int, *labels: str) -> None:
        self.messages.append(GmailMessage(raw, msgid, thrid, set(labels)))

    def folders(self) -> list[str]:
        labels = {label for m in self.messages for label in m.labels}
        custom = sorted(label for label in labels if not label.startswith("\\"))
        return [name for _, name in _LIST if name != "[Gmail]"] + custom

    def folder(self, name: str) -> list[GmailMessage]:
        """A label's messages in arrival order: UID n is the n-th."""
        if name == ALL_MAIL:
            return list(self.messages)
        wanted = {label for label, folder in _LABEL_FOLDERS.items() if folder == name} | {name}
        return [m for m in self.messages if m.labels & wanted]



class _Session(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        gmail: FakeGmail = self.server.fake  # type: ignore[attr-defined]
        self.selected: list[GmailMessage] = []
        self.send(f"* OK [CAPABILITY {CAPABILITIES}] Gimap ready")
        while line := self.rfile.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            gmail.commands.append(text if " LOGIN " not in text.upper() else "LOGIN ***")
            match = _COMMAND.match(text)
            if match is None:
                self.send("* BAD unreadable command")
                continue
            tag, uid, name, args = match.groups()
            if not self.dispatch(gmail, tag, bool(uid), name.upper(), args):
                return

    def dispatch(self, gmail: FakeGmail, tag: str, uid: bool, name: str, args: str) -> bool:
        words = [re.sub(r"\\(.)", r"\1", quoted) or word
                 for quoted, word in _WORD.findall(args)]
        if name == "LOGOUT":
            self.send("* BYE LOGOUT Requested")
            self.send(f"{tag} OK 73 good day (Success)")
            return False
        if name == "CAPABILITY":
            self.send(f"* CAPABILITY {CAPABILITIES}")
        elif name == "LOGIN":
            if words[:2] != [gmail.user, gmail.password]:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
                return True
        elif name == "LIST":
            for flags, folder in _LIST + [("\\HasNoChildren", f) for f in gmail.folders()
                                          if f not in {n for _, n in _LIST}]:
                self.send(f'* LIST ({flags}) "/" "{folder}"')
        elif name == "STATUS":
            messages = gmail.folder(words[0])
            self.send(f'* STATUS "{words[0]}" (UIDVALIDITY 7 UIDNEXT {len(messages) + 1})')
        elif name in {"SELECT", "EXAMINE"}:
            self.selected = gmail.folder(words[0])
            self.send(f"* {len(self.selected)} EXISTS")
            self.send("* OK [UIDVALIDITY 7] UIDs valid.")
            self.send(f"* OK [UIDNEXT {len(self.selected) + 1}] Predicted next UID.")
        elif name == "CLOSE":  # read-only: nothing to expunge
            self.selected = []
        elif name == "SEARCH" and uid:
            self.send("* SEARCH " + " ".join(str(u) for u in self.search(words)))
        elif name == "FETCH" and uid:
            self.fetch(words[0], args[len(words[0]):].strip())
        elif name not in {"NOOP", "ID", "ENABLE"}:
            self.send(f"{tag} BAD Unknown command {name}")
            return True
        self.send(f"{tag} OK Success")
        return True

    def search(self, words: list[str]) -> list[int]:
        """``UID a:*`` (the only criterion a syncing client needs); ``*`` is the last
        UID, so ``a:*`` past the end still names that one message, as RFC 3501 says."""
        if len(words) < 2 or words[0].upper() != "UID" or not self.selected:
            return list(range(1, len(self.selected) + 1))
        first = int(words[1].split(":")[0])
        last = len(self.selected)
        return list(range(min(first, last), last + 1))

    def fetch(self, message_set: str, items: str) -> None:
        for uid in _uids(message_set, len(self.selected)):
            message = self.selected[uid - 1]
            parsed = email.message_from_bytes(message.raw, policy=compat32)
            out = [f"UID {uid}".encode()]
            for item in _items(items):
                out.append(_answer(item, message, parsed))
            self.wfile.write(f"* {uid} FETCH (".encode() + b" ".join(out) + b")\r\n")

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")


def _uids(message_set: str, last: int) -> list[int]:
    found: list[int] = []
    for piece in message_set.split(","):
        low, _, high = piece.partition(":")
        end = last if high == "*" else int(high or low)
        found += [u for u in range(int(low), end + 1) if 1 <= u <= last]
    return found


def _items(text: str) -> list[str]:
    """``(A B BODY.PEEK[HEADER.FIELDS (X Y)] C)`` -> its items, brackets kept whole."""
    inner = text.strip()[1:-1] if text.strip().startswith("(") else text
    return re.findall(r"[^\s\[]+(?:\[[^\]]*\](?:<[\d.]+>)?)?", inner)


def _answer(item: str, message: GmailMessage, parsed: Message) -> bytes:
    name = item.upper()
    if name == "X-GM-MSGID":
        return f"X-GM-MSGID {message.msgid}".encode()
    if name == "X-GM-THRID":
        return f"X-GM-THRID {message.thrid}".encode()
    if name == "UID":
        return b""
    if name == "INTERNALDATE":  # Gmail dates imported mail by its Date header
        arrived = email.utils.parsedate_to_datetime(parsed["Date"])
        return f"INTERNALDATE {imaplib.Time2Internaldate(arrived)}".encode()
    if name == "BODYSTRUCTURE":
        return b"BODYSTRUCTURE " + _structure(parsed).encode()
    section = _SECTION.fullmatch(item)
    if section is None:
        raise ValueError(f"the fake does not serve {item}")
    spec, start, length = section.groups()
    data = _section(message.raw, parsed, spec)
    if start is not None:
        data = data[int(start):int(start) + int(length)]
    key = f"BODY[{spec}]" + (f"<{start}>" if start is not None else "")
    return f"{key} {{{len(data)}}}\r\n".encode() + data


def _section(raw: bytes, parsed: Message, spec: str) -> bytes:
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    if spec.upper().startswith("HEADER.FIELDS"):
        names = {n.lower() for n in re.findall(r"[\w-]+", spec.split("(", 1)[1])}
        kept, keep = [], False
        for line in head.split(b"\n"):
            if not line[:1].isspace():
                keep = line.split(b":", 1)[0].strip().decode().lower() in names
            if keep:
                kept.append(line)
        return b"".join(line + b"\r\n" for line in kept) + b"\r\n"
    part = parsed
    for number in spec.split("."):
        if part.is_multipart():
            part = part.get_payload()[int(number) - 1]
    if part is parsed and not parsed.is_multipart():
        return body.replace(b"\n", b"\r\n")
    payload = part.get_payload()
    return str(payload).encode("utf-8", "surrogateescape").replace(b"\n", b"\r\n")


def _structure(part: Message) -> str:
    if part.is_multipart():
        children = "".join(_structure(child) for child in part.get_payload())
        boundary = part.get_boundary() or ""
        return f'({children} "{part.get_content_subtype()}" ("boundary" "{boundary}") NIL NIL NIL)'
    params = " ".join(f'"{k}" "{v}"' for k, v in part.get_params()[1:]) if part.get_params() \
        else ""
    body = str(part.get_payload()).encode("utf-8", "surrogateescape")
    encoding = part.get("Content-Transfer-Encoding", "7bit")
    text = part.get_content_maintype() == "text"
    disposition = part.get_content_disposition()
    lines = f" {body.count(NEWLINE) + 1}" if text else ""
    params_text = f"({params})" if params else "NIL"
    disposition_text = f'("{disposition}" NIL)' if disposition else "NIL"
    return (f'("{part.get_content_maintype()}" "{part.get_content_subtype()}" '
            f'{params_text} NIL NIL "{encoding}" {len(body)}{lines} '
            f"NIL {disposition_text} NIL NIL)")
