#!/usr/bin/env python3
"""Generate a labelled mailbox for identity resolution: a Maildir plus its truth file.

Usage::

    python bench/gen_identity.py OUT_DIR [--people 3000] [--companies 300]
        [--messages 20000] [--seed 1] [--owner alice@acme-robotics.com]

writes ``OUT_DIR/maildir`` (read by syncd's ``maildir`` source kind) and
``OUT_DIR/truth.json``:

- ``addresses``: every address in the mail (lower-cased) -> ``kind`` (``person``,
  ``role``, ``shared``, ``automated`` or ``team``), ``person`` id, ``company`` id (of
  that address; none for free mail) and the perturbation ``tags`` it was planted with;
- ``persons``: id -> name, current ``company``, every company worked at, the
  executive an assistant works for, the addresses;
- ``companies``: id -> name, registrable domains seen in the mail, parent company of a
  subsidiary (a separate company); ``domains``: registrable domain -> company id;
- ``free_mail_domains``, ``team_domains`` and ``perturbations`` (counts by kind).

The world (bench/identity_world.py) is built first; then every planted address gets
one conversation inside the time it is in use, in shuffled order, and the rest of the
message budget goes to further conversations with people picked by a Zipf law.
Display names vary the way address books and clients vary them (nicknames,
initials, "Doe, John", ALL CAPS, typos, none); external senders sign with their
company of the moment, phones and sometimes LinkedIn or a second address; assistants
write for executives; shared and role mailboxes write too, some signed by a person.
Names, companies, signatures, MIME rendering and the Maildir writer come from
bench/gen_mailbox.py. The same seed gives byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# appended, not first: bench/google.py must not shadow the google package
sys.path.append(str(Path(__file__).resolve().parent))

import gen_mailbox as gm
import identity_mail as mail
import mailbox_data as data
from identity_world import DAY, END, START, Address, Human, Org, World

OWNER = "alice@acme-robotics.com"
THREAD_LENGTHS = (30, 25, 17, 11, 7, 5, 3, 2)
MAILBOX_THREAD_SHARE = 0.05


@dataclass(slots=True)
class Conversation:
    """The people on each side of one thread, and the address each of them uses."""

    them: list[tuple[Human, Address]]
    us: list[gm.Person]
    epoch: int
    subject: str
    context: dict[str, str]
    mailbox: tuple[Org, str, str] | None = None
    ids: list[str] = field(default_factory=list)
    last_lines: list[str] = field(default_factory=list)
    last_from: gm.Addr = ("", "")
    last_epoch: int = 0


class IdentityMailbox:
    """Writes the conversations and remembers every address that went into a header."""

    def __init__(self, out: Path, world: World, messages: int, seed: int, owner: str) -> None:
        self.rng = random.Random(f"{seed}/identity-mail")
        self.world = world
        self.n = messages
        team_rng = random.Random(f"{seed}/team")
        self.owner = gm.make_owner(owner, team_rng)
        self.colleagues = gm.make_colleagues(self.owner, team_rng)[:8]
        self.writer = gm.MaildirWriter(out)
        self.pool = gm.AttachmentPool(random.Random(0))
        self.seen: dict[str, str] = {}
        """Address -> owner id (person, company or "team") of every address written."""
        self.displays: Counter[str] = Counter()
        self.by_company: dict[str, list[Human]] = {}
        for human in world.humans:
            for job in human.jobs:
                self.by_company.setdefault(job.cid, []).append(human)
        self.popular = list(world.humans)
        self.rng.shuffle(self.popular)
        self.zipf = gm.Zipf(0.9)

    # -- the plan

    def run(self) -> None:
        """Every planted address and mailbox once, then Zipf-picked people."""
        rng = self.rng
        first: list[tuple[Human, Address] | Org] = [
            (h, a) for h in self.world.humans for a in h.addresses]
        first += [o for o in self.world.orgs if o.mailboxes]
        rng.shuffle(first)
        for item in first:
            if not self.room():
                return
            if isinstance(item, Org):
                self.mailbox_thread(item)
            else:
                self.person_thread(*item)
        while self.room():
            if rng.random() < MAILBOX_THREAD_SHARE:
                self.mailbox_thread(rng.choice([o for o in self.world.orgs if o.mailboxes]))
                continue
            human = self.popular[self.zipf.pick(rng, len(self.popular))]
            self.person_thread(human, rng.choice(human.addresses))

    def room(self) -> bool:
        return self.writer.seq < self.n

    def when(self, address: Address) -> int:
        """A moment in office hours while ``address`` is in use, leaving room for replies."""
        low, high = max(address.start, START), min(address.end, END) - 12 * DAY
        day = low + self.rng.randrange(max(DAY, high - low)) // DAY * DAY
        return day + self.rng.randint(7 * 3600, 17 * 3600)

    def person_thread(self, human: Human, address: Address) -> None:
        rng = self.rng
        epoch = self.when(address)
        them = [(human, address)]
        job = human.job_at(epoch)
        if job is not None and address.cid is not None and rng.random() < 0.2:
            them += self.coworkers(human, job.cid, epoch)
        us = [self.owner] + ([rng.choice(self.colleagues)] if rng.random() < 0.25 else [])
        org = self.world.org(address.cid) if address.cid else None
        context = mail.context(rng, org.company if org else None, self.owner)
        convo = Conversation(them=them, us=us, epoch=epoch, context=context,
                             subject=mail.subject(rng, human.lang, context))
        if human.assistant_of is not None and rng.random() < 0.7:
            self.assistant_thread(convo, human)
            return
        length = gm.weighted(rng, THREAD_LENGTHS) + 1
        theirs_first = rng.random() < 0.55
        for i in range(length):
            if not self.room() or convo.epoch >= END:
                return
            if (i % 2 == 0) == theirs_first:
                sender, sent_by = them[0] if rng.random() < 0.8 else rng.choice(them), None
                self.write_external(convo, sender, i)
            else:
                sent_by = us[0] if rng.random() < 0.85 or len(us) == 1 else us[1]
                self.write_team(convo, sent_by, i)
            convo.epoch += rng.randint(600, 3 * DAY)

    def coworkers(self, human: Human, cid: str, epoch: int) -> list[tuple[Human, Address]]:
        found: list[tuple[Human, Address]] = []
        for other in self.rng.sample(self.by_company.get(cid, []),
                                     min(3, len(self.by_company.get(cid, [])))):
            usable = [a for a in other.usable(epoch) if a.cid == cid]
            if other is not human and usable and len(found) < self.rng.randint(1, 2):
                found.append((other, usable[0]))
        return found

    # -- writing

    def write_external(self, convo: Conversation, sender: tuple[Human, Address],
                       position: int) -> None:
        """A message from one of their people to the team, signed as of that day."""
        rng = self.rng
        human, address = sender
        to = [self.team_addr(p) for p in convo.us[:1]]
        cc = [self.book(h, a) for h, a in convo.them if a is not address]
        cc += [self.team_addr(p) for p in convo.us[1:]]
        job = human.job_at(convo.epoch)
        org = self.world.org(job.cid) if job and address.cid else None
        lines = mail.body(rng, human.lang, human.nick or human.first, self.owner.first,
                          convo.context)
        if rng.random() < 0.85:
            lines = self.signed(lines, human, mail.signature(self.world.seed, human, org, job,
                                                             address))
        self.note(address.email, human.pid)
        self.emit(convo, (address.display, mail.spelled(rng, address.email)), to=to, cc=cc,
                  lines=lines, position=position, client=address.client, sent=False)

    def signed(self, lines: list[str], human: Human, signature: list[str]) -> list[str]:
        """Body and signature; a signature that opens with a closing replaces the body's,
        and every address the signature lists counts as written."""
        if len(signature) > 1 and signature[1] in data.SIGNOFFS.get(human.lang, ()):
            lines = lines[:-2]
        text = "\n".join(signature)
        for other in human.addresses:
            if other.email in text:
                self.note(other.email, human.pid)
        return lines + signature

    def write_team(self, convo: Conversation, sender: gm.Person, position: int) -> None:
        """A message from the owner or a colleague to the other side."""
        rng = self.rng
        lead_human, lead_address = convo.them[0]
        if convo.mailbox:
            org, box, kind = convo.mailbox
            to = [mail.mailbox_display(rng, org, box, kind)]
            self.note(box, org.cid)
        else:
            to = [self.book(lead_human, lead_address)]
        cc = [self.book(h, a) for h, a in convo.them[1:]]
        cc += [self.team_addr(p) for p in convo.us if p is not sender]
        greeting_name = "" if convo.mailbox else lead_human.nick \
            if lead_human.nick and rng.random() < 0.5 else lead_human.first
        lines = mail.body(rng, "en", sender.first, greeting_name, convo.context)
        lines += ["", *sender.signature]
        self.emit(convo, sender.addr, to=to, cc=cc, lines=lines, position=position,
                  client=sender.client, sent=sender is self.owner)

    def emit(self, convo: Conversation, sender: gm.Addr, *, to: list[gm.Addr],
             cc: list[gm.Addr], lines: list[str], position: int, client: str, sent: bool,
             headers: Sequence[str] = ()) -> None:
        rng = self.rng
        if convo.ids and convo.last_lines and rng.random() < 0.5:
            lines = lines + mail.quoted(convo.last_lines, convo.last_from, convo.last_epoch)
        subject = ("Re: " if convo.ids else "") + convo.subject
        draft = gm.Draft(sender=sender, client=client, epoch=convo.epoch, offset=0,
                         subject=subject,
                         message_id=gm.message_id(rng, client, sender[1].rpartition("@")[2]),
                         to=to, cc=cc, references=list(convo.ids), lines=lines,
                         shape=rng.choice(("plain", "alt", "alt")), headers=list(headers))
        chunks = gm.render(rng, self.pool, draft)
        folder = ".Sent/cur" if sent else "cur"
        self.writer.write(folder, convo.epoch, position, "S", chunks)
        convo.ids.append(draft.message_id)
        convo.last_lines = lines[:60]
        convo.last_from, convo.last_epoch = sender, convo.epoch

    def team_addr(self, person: gm.Person) -> gm.Addr:
        self.note(person.email, "team")
        return person.addr

    def book(self, human: Human, address: Address) -> gm.Addr:
        """How the team's address book names someone: the perturbations live here."""
        style, name = mail.book_name(self.rng, human, address)
        self.displays[style] += 1
        self.note(address.email, human.pid)
        return (name, mail.spelled(self.rng, address.email))

    def note(self, email: str, owner: str) -> None:
        self.seen[email.lower()] = owner

    # -- assistants and mailboxes

    def assistant_thread(self, convo: Conversation, assistant: Human) -> None:
        """An assistant writes for an executive; the team answers both."""
        rng = self.rng
        boss = self.world.human(assistant.assistant_of or assistant.pid)
        boss_address = next((a for a in boss.usable(convo.epoch) if a.cid), None)
        _, address = convo.them[0]
        lines, sender, headers, cc_boss, signer = mail.on_behalf(
            rng, assistant, address, boss=boss, boss_address=boss_address,
            owner_first=self.owner.first, slots=convo.context)
        who, where = (boss, boss_address) if signer == "boss" else (assistant, address)
        if signer and where is not None:
            job = who.job_at(convo.epoch)
            org = self.world.org(where.cid) if where.cid else None
            lines = self.signed(lines, who, mail.signature(self.world.seed, who, org, job,
                                                           where))
        self.note(address.email, assistant.pid)
        cc = []
        if boss_address is not None:
            self.note(boss_address.email, boss.pid)
            convo.them.append((boss, boss_address))
            cc = [self.book(boss, boss_address)] if cc_boss else []
        self.emit(convo, sender, to=[self.team_addr(self.owner)], cc=cc, lines=lines,
                  position=0, client=address.client, sent=False, headers=headers)
        convo.epoch += rng.randint(3600, DAY)
        if self.room():
            self.write_team(convo, self.owner, 1)

    def mailbox_thread(self, org: Org) -> None:
        """A role, shared or automated mailbox writes to the team, or is written to."""
        rng = self.rng
        box, kind = rng.choice(org.mailboxes)
        staff = [h for h in self.by_company.get(org.cid, []) if h.jobs[-1].cid == org.cid]
        epoch = START + rng.randrange(END - START - 14 * DAY)
        context = mail.context(rng, org.company, self.owner)
        lead = (staff[0], staff[0].addresses[0]) if staff else None
        convo = Conversation(them=[lead] if lead else [], us=[self.owner], epoch=epoch,
                             subject=mail.subject(rng, "en", context), context=context,
                             mailbox=(org, box, kind))
        self.note(box, org.cid)
        signer = rng.choice(staff) if staff and kind != "automated" and rng.random() < 0.4 \
            else None
        lines = mail.mailbox_body(rng, org, kind, signer=signer, owner_first=self.owner.first,
                                  slots=context)
        headers = ["Auto-Submitted: auto-generated"] if kind == "automated" else []
        sender = mail.mailbox_display(rng, org, box, kind, signer)
        if kind != "automated" and rng.random() < 0.4 and convo.them:
            self.write_team(convo, self.owner, 0)
            convo.epoch += rng.randint(3600, 2 * DAY)
        if self.room():
            self.emit(convo, sender, to=[self.team_addr(self.owner)], cc=[], lines=lines,
                      position=1, client="webmail", sent=False, headers=headers)

    # -- truth

    def truth(self, seed: int) -> dict[str, Any]:
        return mail.truth(self.world, self.seen, self.displays, self.owner, seed)


@dataclass(frozen=True, slots=True)
class Summary:
    messages: int
    addresses: int
    persons: int
    companies: int
    seconds: float


def generate(out: Path, *, people: int = 3000, companies: int = 300, messages: int = 20000,
             seed: int = 1, owner: str = OWNER) -> Summary:
    """Write ``out/maildir`` and ``out/truth.json``; return what was made."""
    started = time.perf_counter()
    world = World(seed, people, companies)
    box = IdentityMailbox(out / "maildir", world, messages, seed, owner)
    box.run()
    truth = box.truth(seed)
    (out / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True,
                                               ensure_ascii=False), encoding="utf-8")
    return Summary(messages=box.writer.seq, addresses=len(truth["addresses"]),
                   persons=len(truth["persons"]), companies=len(truth["companies"]),
                   seconds=time.perf_counter() - started)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--companies", type=int, default=300)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--owner", default=OWNER)
    args = parser.parse_args(argv)
    if min(args.people, args.companies, args.messages) < 2 or "@" not in args.owner:
        parser.error("need --people, --companies, --messages >= 2 and an owner address")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    summary = generate(args.out_dir, people=args.people, companies=args.companies,
                       messages=args.messages, seed=args.seed, owner=args.owner)
    print(f"messages   {summary.messages}")
    print(f"addresses  {summary.addresses}")
    print(f"persons    {summary.persons}")
    print(f"companies  {summary.companies}")
    print(f"seconds    {summary.seconds:.1f}")
    print(f"wrote      {args.out_dir / 'maildir'} and {args.out_dir / 'truth.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
