"""Text pieces of bench/gen_identity.py: names as others write them, bodies, signatures,
and the truth file.

Signatures reuse ``gen_mailbox.signature_body`` with a generator seeded per person,
so a person's mobile number and layout stay the same across jobs (the evidence a
resolver may use) while company, title, office phone and address change with the job.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import gen_mailbox as gm
import mailbox_data as data
from identity_world import Address, Human, Job, Org, World

BOOK_STYLES = ("own", "none", "canonical", "nickname", "initial", "last_first", "all_caps",
               "typo", "lowercase")
BOOK_WEIGHTS = (40, 18, 12, 8, 5, 6, 4, 4, 3)
"""How a sender's address book writes a recipient's name, and how often."""


# ------------------------------------------------------------------ names


def book_name(rng: random.Random, human: Human, address: Address) -> tuple[str, str]:
    """(style, display name) for ``human`` in a To or Cc header."""
    style = BOOK_STYLES[gm.weighted(rng, BOOK_WEIGHTS)]
    first, last = human.first, human.last
    if style == "nickname" and not human.nick:
        style = "canonical"
    name = {
        "own": address.display, "none": "", "canonical": f"{first} {last}",
        "nickname": f"{human.nick} {last}", "initial": f"{first[0]}. {last}",
        "last_first": f"{last}, {first}", "all_caps": f"{first} {last}".upper(),
        "typo": f"{typo(rng, first)} {last}" if rng.random() < 0.5
        else f"{first} {typo(rng, last)}",
        "lowercase": f"{first} {last}".lower(),
    }[style]
    return style, name


def typo(rng: random.Random, word: str) -> str:
    """One slip of the keyboard: two letters swapped, one dropped or one doubled."""
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def spelled(rng: random.Random, email: str) -> str:
    """The address as typed: now and then with capitals (``John.Doe@Acme.com``)."""
    if rng.random() >= 0.03:
        return email
    local, _, domain = email.partition("@")
    return ".".join(p.capitalize() for p in local.split(".")) + "@" + domain.capitalize()


# ------------------------------------------------------------------ text


def context(rng: random.Random, company: gm.Company | None, owner: gm.Person) -> dict[str, str]:
    """Slot values for the sentence pools of mailbox_data."""
    i = rng.randrange(len(data.PRODUCTS))
    return {"product": data.PRODUCTS[i], "code": data.PRODUCT_CODES[i % len(data.PRODUCT_CODES)],
            "qty": str(rng.choice((2, 4, 5, 10, 20))), "ref": f"PO-{rng.randint(10000, 99999)}",
            "city": company.city if company else "Boston",
            "company": company.short if company else "your company",
            "amount": f"${rng.randint(8, 400) * 500:,}",
            "us": owner.company.short if owner.company else "us",
            "weekday": rng.choice(data.WEEKDAYS), "time": f"{rng.randint(8, 17)}:00",
            "date": f"{rng.randint(1, 28)} {rng.choice(gm.MONTH_LONG)}", "first": "", "last": ""}


def subject(rng: random.Random, lang: str, slots: dict[str, str]) -> str:
    bank = {"de": data.DE_SUBJECTS, "fr": data.FR_SUBJECTS}.get(lang, data.EN_SUBJECTS)
    return rng.choice(bank).format_map(slots)


def body(rng: random.Random, lang: str, sender_first: str, recipient_first: str,
         slots: dict[str, str]) -> list[str]:
    """Greeting, one to three sentences, closing with the sender's first name."""
    greetings, sentences = {
        "de": (data.DE_GREETINGS, data.DE_SENTENCES), "fr": (data.FR_GREETINGS, data.FR_SENTENCES),
    }.get(lang, (data.EN_GREETINGS, data.EN_SENTENCES))
    filled = {**slots, "first": recipient_first, "last": ""}
    greeting = rng.choice(greetings).format_map(filled) if recipient_first else "Hello,"
    lines = [greeting, ""]
    for sentence in rng.sample(sentences, rng.randint(1, 3)):
        text = sentence.format_map(filled)
        lines.append(text[0].upper() + text[1:])
    closing = "Viele Grüße" if lang == "de" else rng.choice(data.EN_CLOSINGS)
    return [*lines, "", closing, sender_first]


def quoted(last_lines: list[str], last_from: gm.Addr, epoch: int) -> list[str]:
    """The previous message below a reply, ``>``-quoted under an attribution line."""
    who = f"{last_from[0]} <{last_from[1]}>" if last_from[0] else last_from[1]
    return ["", f"On {gm.rfc5322_date(epoch, 0)}, {who} wrote:",
            *(f"> {line}" for line in last_lines)]


def signature(seed: int, human: Human, org: Org | None, job: Job | None,
              address: Address) -> list[str]:
    """The signature ``human`` uses on ``address`` while holding ``job``."""
    rng = random.Random(f"{seed}/signature/{human.pid}")
    mobile = gm.phone_number(random.Random(f"{seed}/signature/{human.pid}"), human.locale,
                             mobile=True)  # what signature_body draws first from ``rng``
    nick = random.Random(f"{seed}/nick/{human.pid}").random() < 0.3  # leaves ``rng`` alone
    name = f"{human.nick if human.nick and nick else human.first} {human.last}"
    if org is None or job is None or address.cid is None:
        return ["", "-- ", name, mobile] if rng.random() < 0.5 else []
    office = gm.phone_number(random.Random(f"{seed}/office/{human.pid}/{org.cid}"),
                             org.company.locale)
    lines = ["", *gm.signature_body(rng, human.lang, name=name, title=job.title,
                                    company=org.company, phone=office, locale=human.locale,
                                    email=address.email)]
    if human.linkedin:
        lines.append(human.linkedin)
    others = [a for a in human.addresses if a is not address and a.start <= address.start]
    pick = random.Random(f"{seed}/second/{address.email}")
    if others and pick.random() < 0.2:
        other = pick.choice(others)
        lines.append(f"{'Personal' if other.cid is None else 'Alt'}: {other.email}")
    return lines


def on_behalf(rng: random.Random, assistant: Human, address: Address, *, boss: Human,
              boss_address: Address | None, owner_first: str,
              slots: dict[str, str]) -> tuple[list[str], gm.Addr, list[str], bool, str]:
    """Lines, From, extra headers, whether to Cc the boss, and whose signature to add.

    Three habits: the assistant writes from their own address and copies the
    executive; Outlook's "send on behalf" (From the executive, Sender the
    assistant); or the assistant's address with the executive's name and signature.
    """
    boss_name = f"{boss.first} {boss.last}"
    own = f"{assistant.first} {assistant.last}"
    text = [f"Hi {owner_first},", "", f"I'm writing on behalf of {boss_name}.",
            rng.choice(data.EN_SENTENCES).format_map({**slots, "first": owner_first})]
    habit = rng.randrange(3) if boss_address else 0
    if habit == 1 and boss_address is not None:
        sign = ["", "Kind regards,", own, f"Executive Assistant to {boss_name}"]
        header = f"Sender: {gm.format_addr((address.display, address.email))}"
        return [*text, *sign], (boss_address.display, boss_address.email), [header], False, ""
    if habit == 2:
        return ([*text, "", "Best regards,", boss.first], (f"{own} on behalf of {boss_name}",
                                                           address.email), [], False, "boss")
    return [*text, "", "Best regards,", assistant.first], (address.display, address.email), \
        [], True, "assistant"


def mailbox_display(rng: random.Random, org: Org, box: str, kind: str,
                    signer: Human | None = None) -> gm.Addr:
    """How a shared, role or automated mailbox is named in a header."""
    short = org.company.short
    local = box.split("@", 1)[0]
    if kind == "automated":
        return (f"{short} Notifications", box)
    names = [f"{short} {local.replace('-', ' ').title()}", org.company.name, ""]
    if signer is not None:
        names.append(f"{signer.first} {signer.last}")
    return (rng.choice(names), box)


def mailbox_body(rng: random.Random, org: Org, kind: str, *, signer: Human | None,
                 owner_first: str, slots: dict[str, str]) -> list[str]:
    """A mailbox's message: automated text, or a reply signed by the team or a person."""
    if kind == "automated":
        return [f"Your order {slots['ref']} has been updated.", "",
                "This is an automated message, please do not reply."]
    lines = body(rng, "en", "", owner_first, slots)[:-1]
    if signer is None:
        return [*lines, f"The {org.company.short} team", org.company.website]
    return [*lines, f"{signer.first} {signer.last}", signer.jobs[-1].title, org.company.name]


# ------------------------------------------------------------------ truth


def _registrable(org: Org, domain: str) -> str:
    return next((d for d in org.domains if domain == d or domain.endswith("." + d)), domain)


def truth(world: World, seen: dict[str, str], displays: Counter[str], owner: gm.Person,
          seed: int) -> dict[str, Any]:
    """The truth file's content for the addresses that made it into the mail."""
    by_email = {a.email: (h, a) for h in world.humans for a in h.addresses}
    kinds = {box: kind for org in world.orgs for box, kind in org.mailboxes}
    addresses: dict[str, dict[str, Any]] = {}
    persons: dict[str, dict[str, Any]] = {}
    domains: dict[str, str] = {}
    free: set[str] = set()
    for email in sorted(seen):
        owner_id = seen[email]
        domain = email.rpartition("@")[2]
        if owner_id == "team":
            addresses[email] = {"kind": "team", "person": None, "company": None, "tags": []}
            continue
        if owner_id.startswith("c"):
            org = world.org(owner_id)
            domains[_registrable(org, domain)] = org.cid
            addresses[email] = {"kind": kinds[email], "person": None, "company": org.cid,
                                "tags": []}
            continue
        human, address = by_email[email]
        addresses[email] = {"kind": "person", "person": human.pid, "company": address.cid,
                            "tags": sorted(address.tags)}
        if address.cid:
            domains[_registrable(world.org(address.cid), domain)] = address.cid
        else:
            free.add(domain)
        persons.setdefault(human.pid, _person(human))["addresses"].append(email)
    companies = {}
    for cid in sorted(set(domains.values())):
        org = world.org(cid)
        companies[cid] = {"name": org.company.name, "parent": org.parent,
                          "domains": sorted(d for d, c in domains.items() if c == cid)}
    return {
        "version": 1, "seed": seed, "owner": owner.email,
        "team_domains": [owner.email.rpartition("@")[2]],
        "addresses": addresses, "persons": persons, "companies": companies,
        "domains": dict(sorted(domains.items())), "free_mail_domains": sorted(free),
        "perturbations": perturbations(addresses, persons, companies, displays),
    }


def _person(human: Human) -> dict[str, Any]:
    return {"name": f"{human.first} {human.last}", "nickname": human.nick,
            "company": human.jobs[-1].cid if human.jobs else None,
            "companies": [j.cid for j in human.jobs], "assistant_of": human.assistant_of,
            "addresses": []}


def perturbations(addresses: dict[str, dict[str, Any]], persons: dict[str, dict[str, Any]],
                  companies: dict[str, dict[str, Any]], displays: Counter[str]) -> dict[str, int]:
    """How often each planted perturbation made it into the mail."""
    counts: Counter[str] = Counter()
    for info in addresses.values():
        counts.update(f"address:{tag}" for tag in info["tags"])
        if info["kind"] != "person":
            counts[f"mailbox:{info['kind']}"] += 1
    names: dict[str, set[str | None]] = {}
    for person in persons.values():
        names.setdefault(person["name"], set()).add(person["company"])
    counts["persons:same_name_other_company"] = sum(len(c) for c in names.values() if len(c) > 1)
    counts["persons:job_change"] = sum(len(p["companies"]) > 1 for p in persons.values())
    counts["persons:assistant"] = sum(p["assistant_of"] is not None for p in persons.values())
    counts["persons:several_addresses"] = sum(len(p["addresses"]) > 1 for p in persons.values())
    counts["companies:several_domains"] = sum(len(c["domains"]) > 1 for c in companies.values())
    counts["companies:subsidiary"] = sum(c["parent"] is not None for c in companies.values())
    counts.update(f"display:{style}" for style in displays.elements())
    return dict(sorted(counts.items()))
