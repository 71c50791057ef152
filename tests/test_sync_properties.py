"""Random mailbox histories: whatever happens to the files and however often syncs
run, the CRM holds every message ever delivered exactly once (a hypothesis state
machine against a real Maildir and a real SQLite database)."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
from sqlalchemy import func, select

from syncd.app import App
from syncd.config import config_model
from syncd.db.models import ContactEmail, Interaction, InteractionSource, Quarantine
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.mailfactory import BASE, mail, put_maildir

ALICE = "alice@acme-robotics.com"
PEOPLE = [f"p{i}@customer{i % 3}.example" for i in range(6)]


class MailboxHistory(RuleBasedStateMachine):
    """The model: which files exist now, and what every sync so far must have kept."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="syncd-prop-"))
        self.root = self.dir / "mail"
        (self.root / "cur").mkdir(parents=True)
        config = config_model().model_validate({
            "database": {"url": f"sqlite:///{self.dir / 'crm.db'}"},
            "team": {"internal_domains": ["acme-robotics.com"]},
            "sources": [{"name": "m", "kind": "maildir", "path": str(self.root),
                         "owner": ALICE}]})
        self.app = App(config)
        self.app.upgrade()
        self.files: list[tuple[Path, int | None]] = []  # path, message number (None: junk)
        self.captured: set[int] = set()
        self.quarantined: set[str] = set()

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.dir)

    @rule(number=st.integers(0, 30), folder=st.sampled_from(["", "Sent", "Archive"]),
          new=st.booleans())
    def deliver(self, number: int, folder: str, new: bool) -> None:
        """A message arrives; the same number again is a byte-identical copy of it,
        in another folder or the same one (a duplicate delivery)."""
        person = PEOPLE[number % len(PEOPLE)]
        sender, to = (ALICE, [person]) if number % 2 else (person, [ALICE])
        data = mail(sender, to, message_id=f"<msg{number}@customer.example>",
                    subject=f"m{number}", date=BASE + timedelta(hours=number))
        self.files.append((put_maildir(self.root, data, folder=folder, new=new), number))

    @rule()
    def junk_file(self) -> None:
        self.files.append((put_maildir(self.root, b"\x00not mail\x00" * 8), None))

    @precondition(lambda self: self.files)
    @rule(index=st.integers(0, 1000), flags=st.sampled_from(["S", "RS", "FS"]))
    def change_flags(self, index: int, flags: str) -> None:
        """A mail client reads or flags a message: a rename, often out of new/."""
        path, number = self.files[index % len(self.files)]
        if path.exists():
            target = path.parent.parent / "cur" / (path.name.split(":2,")[0] + ":2," + flags)
            path.rename(target)
            self.files[index % len(self.files)] = (target, number)

    @precondition(lambda self: self.files)
    @rule(index=st.integers(0, 1000))
    def delete(self, index: int) -> None:
        """A message is deleted in the mailbox; what was captured must stay."""
        self.files[index % len(self.files)][0].unlink(missing_ok=True)

    @rule(full=st.booleans())
    def sync(self, full: bool) -> None:
        result = run_source(self.app, self.app.config.source("m"), full=full)
        assert result.status == "ok", result.error
        present = [(path, number) for path, number in self.files if path.exists()]
        self.captured |= {number for _, number in present if number is not None}
        self.quarantined |= {_external_id(self.root, path) for path, number in present
                             if number is None}
        self.check()

    def check(self) -> None:
        with session_scope(self.app.sessions) as session:
            keys = set(session.execute(select(Interaction.key)).scalars())
            links = session.execute(select(func.count()).select_from(InteractionSource)).scalar()
            junk = set(session.execute(select(Quarantine.external_id)).scalars())
            emails = set(session.execute(select(ContactEmail.email)).scalars())
        assert keys == {f"msg{n}@customer.example" for n in self.captured}
        assert links == len(keys)  # one link per message in one mailbox, never more
        assert junk == self.quarantined
        people = {PEOPLE[n % len(PEOPLE)] for n in self.captured}
        assert emails == (people | {ALICE} if self.captured else set())


def _external_id(root: Path, path: Path) -> str:
    folder = path.parent.parent.name.lstrip(".") if path.parent.parent != root else "INBOX"
    return f"{folder}/{path.name.split(':2,')[0]}"


MailboxHistory.TestCase.settings = settings(max_examples=30, stateful_step_count=15,
                                            deadline=None)
TestMailboxHistory = MailboxHistory.TestCase
