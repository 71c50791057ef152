"""The population behind bench/gen_identity.py: companies, people, their addresses.

Everything here is ground truth for identity resolution, made before any mail is
written: which addresses are one person, which domains are one company, which
addresses are not persons at all. The perturbations real address books show are
planted on purpose and each carries a *tag*, so a score can be broken down by kind:

- ``alias`` a second local part at the same domain (``j.doe@`` next to ``john.doe@``),
  sometimes an old one that goes out of use halfway (a mail system migration);
- ``nickname`` a local part with the person's nickname (``bob.smith@`` next to
  ``robert.smith@``);
- ``sister_domain`` the same person at another domain of a multi-domain company
  (``john.doe@acme.co.uk`` next to ``john.doe@acme.com``); ``subdomain`` at a
  country subdomain (``john.doe@uk.acme.com``);
- ``personal`` a free-mail address of someone who also writes from work;
  ``gmail_variant`` the same Gmail mailbox written another way (dots, ``+tag``,
  ``googlemail.com``);
- ``job_change`` the work address at the company the person moved to;
- ``assistant`` a person who writes on behalf of an executive (a person of their own).

Companies: some have several domains (one company), some are subsidiaries with a
similar name and a domain that may look like a country variant (another company).
Some people share a name with someone at another company. Shared and role
mailboxes (``sales@``, ``rfq@``) are not persons.

Determinism: one ``random.Random`` seeded from the run's seed builds the world in a
fixed order; nothing depends on the clock or on hash order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import gen_mailbox as gm
import identity_names as names
import mailbox_data as data

DAY = 86400
END = gm.REF_EPOCH
START = END - 730 * DAY
"""Mail spans two years, so job changes fall in the middle of it."""

MULTI_DOMAIN_SHARE = 0.12
SUBSIDIARY_SHARE = 0.06
FREEMAIL_ONLY_SHARE = 0.07
SAME_NAME_SHARE = 0.03
JOB_CHANGE_SHARE = 0.08
EXECUTIVE_SHARE = 0.025
ROLE_SHARE = 0.30
SHARED_SHARE = 0.10

ROLE_LOCALS = ("info", "support", "sales", "accounts", "orders", "hello", "office",
               "service", "einkauf", "vertrieb", "commercial")
"""Generic function mailboxes (what a role list is made of)."""
SHARED_LOCALS = ("emea-sales", "purchasing-team", "rfq", "projects", "quotes", "dispatch",
                 "sales-uk", "operations", "logistics-team", "tenders")
"""Team mailboxes with specific names: shared, yet on no generic role list."""
AUTOMATED_LOCALS = ("noreply", "no-reply", "notifications")
SISTER_TLDS = ("com", "co.uk", "de", "fr", "eu", "com.au")
SUBSIDIARY_WORDS = ("Services", "UK", "Deutschland", "International", "Holdings", "Digital",
                    "Solutions", "North America")

NICKNAMES: dict[str, tuple[str, ...]] = {
    "James": ("Jim", "Jamie"), "Robert": ("Bob", "Rob", "Bobby"), "Patricia": ("Pat", "Trish"),
    "John": ("Jack", "Johnny"), "Jennifer": ("Jen", "Jenny"), "Michael": ("Mike",),
    "David": ("Dave",), "Elizabeth": ("Liz", "Beth"), "William": ("Bill", "Will"),
    "Barbara": ("Barb",), "Richard": ("Rick", "Rich"), "Susan": ("Sue",), "Joseph": ("Joe",),
    "Jessica": ("Jess",), "Thomas": ("Tom",), "Christopher": ("Chris",),
    "Daniel": ("Dan", "Danny"), "Matthew": ("Matt",), "Anthony": ("Tony",),
    "Sandra": ("Sandy",), "Steven": ("Steve",), "Andrew": ("Andy", "Drew"),
    "Joshua": ("Josh",), "Amanda": ("Mandy",), "Rebecca": ("Becky",), "Jacob": ("Jake",),
    "Nicholas": ("Nick",), "Jonathan": ("Jon",), "Raj": ("Rajesh",),
    "Maximilian": ("Max",), "Andreas": ("Andi",), "Tobias": ("Tobi",), "Florian": ("Flo",),
    "Matthias": ("Matze",), "Katrin": ("Kati",), "Nicolas": ("Nico",), "Sébastien": ("Seb",),
}
"""Nickname (or formal form) a person of that first name may go by; bench data only."""


def gmail_mailbox(email: str) -> str:
    """The mailbox a Gmail address delivers to (dots and ``+tag`` ignored); for any
    other address, the address itself."""
    local, _, domain = email.rpartition("@")
    if domain not in ("gmail.com", "googlemail.com"):
        return email
    return local.split("+", 1)[0].replace(".", "") + "@gmail.com"


@dataclass(slots=True)
class Org:
    """A company: the truth behind accounts."""

    cid: str
    company: gm.Company
    domains: list[str]
    parent: str | None = None
    mailboxes: list[tuple[str, str]] = field(default_factory=list)
    """(address, kind) of its non-person mailboxes: role, shared or automated."""


@dataclass(frozen=True, slots=True)
class Job:
    """Where a person works between two instants."""

    cid: str
    start: int
    end: int
    title: str


@dataclass(slots=True)
class Address:
    """One address of one person, usable between two instants."""

    email: str
    pid: str
    cid: str | None
    tags: frozenset[str]
    start: int
    end: int
    display: str
    client: str


@dataclass(slots=True)
class Human:
    """A person: names, jobs over time, addresses and the stable signature facts."""

    pid: str
    first: str
    last: str
    first_ascii: str
    last_ascii: str
    locale: str
    lang: str
    nick: str | None
    jobs: list[Job]
    linkedin: str | None
    addresses: list[Address] = field(default_factory=list)
    assistant_of: str | None = None

    def job_at(self, epoch: int) -> Job | None:
        """The job held at ``epoch``; None for someone who only writes privately."""
        return next((j for j in self.jobs if j.start <= epoch < j.end), None)

    def usable(self, epoch: int) -> list[Address]:
        """Addresses in use at ``epoch``."""
        return [a for a in self.addresses if a.start <= epoch < a.end]


class World:
    """Builds companies, then people, then their addresses; keeps every address unique."""

    def __init__(self, seed: int, people: int, companies: int) -> None:
        self.rng = random.Random(f"{seed}/identity-world")
        self.seed = seed
        self.orgs: list[Org] = []
        self.humans: list[Human] = []
        self.owner_of: dict[str, str] = {}
        self.gmail_owner: dict[str, str] = {}
        self.used_domains: set[str] = set()
        self.used_names: dict[str, set[tuple[str, str]]] = {loc: set() for loc in data.LOCALES}
        for _ in range(max(2, companies)):
            self._company()
        self.weights = [self.rng.paretovariate(1.2) for _ in self.orgs]
        for _ in range(max(2, people)):
            self._person()
        self._executives()
        self._mailboxes()

    # -- companies

    def _company(self) -> None:
        rng = self.rng
        if len(self.orgs) > 10 and rng.random() < SUBSIDIARY_SHARE:
            self._subsidiary(rng.choice(self.orgs[: len(self.orgs) // 2]))
            return
        locale = list(data.LOCALES)[gm.weighted(rng, [w for _, w in data.LOCALES.values()])]
        stems, words = data.COMPANY_STEMS[locale], data.COMPANY_WORDS[locale]
        stem, word = rng.choice(stems), rng.choice(words)
        generation = 1
        while (stem, word) in self.used_names[locale] and generation < 50:
            stem, word = rng.choice(stems), rng.choice(words)
            generation += 1
        self.used_names[locale].add((stem, word))
        label = gm.slug(stem) + ("-" if rng.random() < 0.45 and word else "") + gm.slug(word)
        domain = self._free_domain(label, data.LOCALES[locale][0])
        short = f"{stem} {word}".strip()
        org = self._org(short, rng.choice(data.LEGAL_FORMS[locale]), domain, locale)
        if rng.random() < MULTI_DOMAIN_SHARE:
            tlds = [t for t in SISTER_TLDS if not domain.endswith("." + t)]
            for tld in rng.sample(tlds, rng.choice((1, 1, 2))):
                org.domains.append(self._free_domain(domain.split(".", 1)[0], tld))

    def _subsidiary(self, parent: Org) -> None:
        """A separate company named like its parent; half of them at a look-alike domain."""
        rng = self.rng
        word = rng.choice(SUBSIDIARY_WORDS)
        label = parent.domains[0].split(".", 1)[0]
        locale = rng.choice(("uk", "de", "us", "fr"))
        if rng.random() < 0.5:
            domain = self._free_domain(label, data.LOCALES[locale][0])
        else:
            domain = self._free_domain(f"{label}-{gm.slug(word)}", data.LOCALES[locale][0])
        org = self._org(f"{parent.company.short} {word}", rng.choice(data.LEGAL_FORMS[locale]),
                        domain, locale)
        org.parent = parent.cid

    def _org(self, short: str, legal: str, domain: str, locale: str) -> Org:
        rng = self.rng
        website = rng.choice((f"www.{domain}", f"https://www.{domain}", f"https://{domain}"))
        convention = rng.choice(("first.last", "first.last", "first.last", "first_last",
                                 "firstlast", "last.first", "first-last"))
        company = gm.Company(name=f"{short} {legal}".strip(), short=short, domain=domain,
                             locale=locale, city=rng.choice(data.CITIES[locale]),
                             website=website, convention=convention, perm=(1, 0))
        org = Org(cid=f"c{len(self.orgs) + 1:04d}", company=company, domains=[domain])
        self.orgs.append(org)
        return org

    def _free_domain(self, label: str, tld: str) -> str:
        domain, n = f"{label}.{tld}", 1
        while domain in self.used_domains:
            n += 1
            domain = f"{label}{n}.{tld}"
        self.used_domains.add(domain)
        return domain

    # -- people

    def _person(self, boss: Human | None = None) -> Human:
        """A new person at a company picked by size (or free-mail only); with ``boss``,
        that executive's assistant at the executive's current company."""
        rng = self.rng
        pid = f"p{len(self.humans) + 1:05d}"
        if boss is not None:
            org: Org | None = self.org(boss.jobs[-1].cid)
        else:
            org = None if rng.random() < FREEMAIL_ONLY_SHARE else \
                self.orgs[gm.weighted(rng, self.weights)]
        locale = org.company.locale if org else rng.choice(list(data.LOCALES))
        twin = self._twin(org) if boss is None else None
        first, last = (twin.first, twin.last) if twin else names.draw(rng, gm.NAME_GROUP[locale])
        lang = {"de": "de" if rng.random() < 0.55 else "en",
                "fr": "fr" if rng.random() < 0.5 else "en"}.get(gm.NAME_GROUP[locale], "en")
        nick = rng.choice(NICKNAMES[first]) if first in NICKNAMES and rng.random() < 0.6 else None
        linkedin = (f"https://www.linkedin.com/in/{gm.slug(first)}-{gm.slug(last)}-"
                    f"{rng.getrandbits(24):06x}") if rng.random() < 0.35 else None
        if boss is not None:
            job = boss.jobs[-1]
            jobs = [Job(job.cid, job.start, job.end, "Executive Assistant to the "
                        + ("CEO" if job.title == "CEO" else "Managing Director"))]
        else:
            jobs = self._jobs(org, lang)
        human = Human(pid=pid, first=first, last=last, first_ascii=gm.slug(first),
                      last_ascii=gm.slug(last), locale=locale, lang=lang, nick=nick,
                      jobs=jobs, linkedin=linkedin,
                      assistant_of=boss.pid if boss else None)
        self.humans.append(human)
        self._addresses(human)
        return human

    def _twin(self, org: Org | None) -> Human | None:
        """Someone at another company whose name this person will share, sometimes."""
        if not self.humans or self.rng.random() >= SAME_NAME_SHARE:
            return None
        other = self.rng.choice(self.humans)
        job = other.jobs[0] if other.jobs else None
        return other if job and org and job.cid != org.cid else None

    def _jobs(self, org: Org | None, lang: str) -> list[Job]:
        if org is None:
            return []
        rng = self.rng
        titles = data.TITLES["de" if lang == "de" else "fr" if lang == "fr" else "en"]
        if rng.random() >= JOB_CHANGE_SHARE:
            return [Job(org.cid, START, END + DAY, rng.choice(titles))]
        moved = self.orgs[gm.weighted(rng, self.weights)]
        while moved is org:
            moved = rng.choice(self.orgs)
        change = START + int((0.2 + 0.6 * rng.random()) * (END - START))
        return [Job(org.cid, START, change, rng.choice(titles)),
                Job(moved.cid, change, END + DAY, rng.choice(titles))]

    def org(self, cid: str) -> Org:
        return self.orgs[int(cid[1:]) - 1]

    def human(self, pid: str) -> Human:
        return self.humans[int(pid[1:]) - 1]

    def _claim(self, human: Human, email: str, *, cid: str | None, tags: set[str],
               span: tuple[int, int], display: str) -> Address | None:
        """Register an address for ``human`` unless it (or, at Gmail, the mailbox it
        spells) belongs to someone else already."""
        email = email.lower()
        mailbox = gmail_mailbox(email)
        if email in self.owner_of or self.gmail_owner.get(mailbox, human.pid) != human.pid:
            return None
        self.owner_of[email] = human.pid
        self.gmail_owner[mailbox] = human.pid
        company = self.org(cid).company if cid else None
        address = Address(email=email, pid=human.pid, cid=cid, tags=frozenset(tags),
                          start=span[0], end=span[1], display=display,
                          client=gm.pick_client(self.rng, email, company))
        human.addresses.append(address)
        return address

    def _unique_local(self, local: str, domain: str) -> str:
        candidate, n = local, 1
        while f"{candidate}@{domain}".lower() in self.owner_of:
            n += 1
            candidate = f"{local}{n}"
        return candidate

    def _addresses(self, human: Human) -> None:
        """Work addresses per job, then perhaps a personal one with its Gmail spellings."""
        for index, job in enumerate(human.jobs):
            self._work_addresses(human, job, first_job=index == 0)
        rng = self.rng
        if not human.jobs or (human.assistant_of is None and rng.random() < 0.25):
            self._personal(human)

    def _work_addresses(self, human: Human, job: Job, first_job: bool) -> None:
        rng = self.rng
        org = self.org(job.cid)
        domain = org.domains[0]
        first, last = human.first_ascii, human.last_ascii
        local = self._unique_local(gm.address_local(org.company.convention, first, last), domain)
        base = set() if first_job else {"job_change"}

        def claim(email: str, tag: str | None, display: str | None = None,
                  end: int = job.end) -> None:
            self._claim(human, email, cid=job.cid, tags=base | ({tag} if tag else set()),
                        span=(job.start, end), display=display or self.own_display(human))

        claim(f"{local}@{domain}", None)
        if rng.random() < 0.10:
            alt = rng.choice((f"{first[0]}.{last}", f"{first[0]}{last}", first,
                              f"{last}{first[0]}"))
            retired = job.start + (job.end - job.start) // 2 if rng.random() < 0.4 else job.end
            claim(f"{alt}@{domain}", "alias", end=retired)
        if human.nick and rng.random() < 0.4:
            nick_local = gm.address_local(org.company.convention, gm.slug(human.nick), last)
            claim(f"{nick_local}@{domain}", "nickname", f"{human.nick} {human.last}")
        if len(org.domains) > 1 and rng.random() < 0.4:
            claim(f"{local}@{rng.choice(org.domains[1:])}", "sister_domain")
        elif domain.endswith(".com") and rng.random() < 0.02:
            claim(f"{local}@{rng.choice(('uk', 'de', 'us', 'emea'))}.{domain}", "subdomain")

    def _personal(self, human: Human) -> None:
        rng = self.rng
        tags = {"personal"} if human.jobs else set()
        span = (START, END + DAY)
        email = gm.freemail_address(rng, human.locale, human.first_ascii, human.last_ascii, "")
        while email in self.owner_of or gmail_mailbox(email) in self.gmail_owner:
            email = gm.freemail_address(rng, human.locale, human.first_ascii, human.last_ascii,
                                        str(rng.randint(2, 999)))
        display = rng.choice((self.own_display(human), f"{human.first} {human.last}".lower(),
                              f"{human.nick or human.first} {human.last}"))
        base = self._claim(human, email, cid=None, tags=tags, span=span, display=display)
        if base is None or not email.endswith("@gmail.com") or rng.random() >= 0.5:
            return
        local = email.split("@", 1)[0]
        plain = local.replace(".", "")
        variants = [f"{plain}@gmail.com" if "." in local else f"{plain[:1]}.{plain[1:]}@gmail.com",
                    f"{local}+{rng.choice(('crm', 'work', 'news', 'acme'))}@gmail.com",
                    f"{local}@googlemail.com"]
        for variant in rng.sample(variants, rng.choice((1, 1, 2))):
            self._claim(human, variant, cid=None, tags=tags | {"gmail_variant"}, span=span,
                        display=display)

    def own_display(self, human: Human) -> str:
        """How the person's own mail client names them (fixed per address)."""
        first, last = human.first, human.last
        style = gm.weighted(self.rng, (70, 10, 6, 5, 5, 4))
        return (f"{first} {last}", f"{last}, {first}", "", f"{last.upper()} {first}",
                f"{first[0]}. {last}", f"{first.upper()} {last.upper()}")[style]

    # -- executives, assistants and mailboxes

    def _executives(self) -> None:
        """Some people are executives with an assistant who writes for them."""
        rng = self.rng
        for boss in [h for h in self.humans if h.jobs and rng.random() < EXECUTIVE_SHARE]:
            job = boss.jobs[-1]
            boss.jobs[-1] = Job(job.cid, job.start, job.end,
                                rng.choice(("CEO", "Managing Director")))
            assistant = self._person(boss)
            for address in assistant.addresses:
                address.tags = address.tags | {"assistant"}

    def _mailboxes(self) -> None:
        rng = self.rng
        for org in self.orgs:
            domain = org.domains[0]
            if rng.random() < ROLE_SHARE:
                org.mailboxes.append((f"{rng.choice(ROLE_LOCALS)}@{domain}", "role"))
            if rng.random() < SHARED_SHARE:
                org.mailboxes.append((f"{rng.choice(SHARED_LOCALS)}@{domain}", "shared"))
            if rng.random() < 0.03:
                org.mailboxes.append((f"{rng.choice(AUTOMATED_LOCALS)}@{domain}", "automated"))
            org.mailboxes = [(a, k) for a, k in org.mailboxes if a not in self.owner_of]
            for address, _ in org.mailboxes:
                self.owner_of[address] = org.cid
