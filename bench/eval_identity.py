#!/usr/bin/env python3
"""Score syncd's identity resolution on a generated, labelled mailbox.

Usage::

    python bench/eval_identity.py [--people 3000] [--companies 300] [--messages 20000]
        [--seed 1] [--mailbox DIR] [--db URL] [--keep] [--json]

Steps: generate the mailbox with bench/gen_identity.py (or take ``--mailbox DIR``
holding ``maildir/`` and ``truth.json``); import it through the real pipeline with
``syncd resync --full`` on a new SQLite database (or score the existing database
``--db URL`` as it is, without importing); read the result back and score it against
the truth (definitions in bench/identity_score.py):

- contacts: pairwise precision / recall / F1 over the addresses that are truly
  external persons; an address belongs to the contact its ``contact_emails`` row
  names, followed along ``contacts.merged_into_id``; recall by kind of perturbation;
  wrong pairs by cause; contacts holding more than one true person;
- accounts: the same over the companies' registrable domains, through
  ``account_domains`` and ``accounts.merged_into_id``;
- review: the contact merges left pending for a person, how many of them join one
  person, and the contact scores if a person accepted every one (read from
  ``merges``);
- junk: contacts holding a role, shared or automated mailbox (a contact syncd lists
  apart as a team mailbox, ``contacts.is_shared``, is not junk); accounts made from
  free-mail or the team's domains.

Only the tables contacts, contact_emails, accounts, account_domains and merges are read, so
the scores stay comparable while the resolver changes. An address the store keeps
only in a normal form (Gmail without dots or ``+tag``, ``googlemail.com`` as
``gmail.com``) is looked up by that form when its own spelling is absent.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# appended, not first: bench/google.py must not shadow the google package
sys.path.append(str(Path(__file__).resolve().parent))

import gen_identity
import identity_score as score

SOURCE = "identity"


# ------------------------------------------------------------------ import


def write_config(workdir: Path, url: str, maildir: Path, owner: str, team: list[str]) -> Path:
    """A syncd config with one maildir source; JSON strings are valid YAML scalars."""
    text = (f"database:\n  url: {json.dumps(url)}\n"
            f"team:\n  internal_domains: {json.dumps(team)}\n"
            f"sources:\n  - name: {SOURCE}\n    kind: maildir\n"
            f"    path: {json.dumps(str(maildir))}\n    owner: {json.dumps(owner)}\n")
    path = workdir / "syncd-identity.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run_import(config: Path) -> float:
    """``syncd resync --full`` of the source; seconds taken. Fails loudly.

    Run as ``python -m syncd`` from this checkout's root, so the code scored is the
    code beside this script (a ``syncd`` on the PATH may be another checkout's)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), "resync",
                           SOURCE, "--full", "--quiet"], capture_output=True, text=True,
                          check=False, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise SystemExit(f"syncd resync failed ({done.returncode}):\n{done.stdout}\n"
                         f"{done.stderr}")
    return time.perf_counter() - started


# ------------------------------------------------------------------ reading


def read_store(url: str) -> dict[str, Any]:
    """Address -> root contact, domain -> root account, and who is internal."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("contacts")}
            shared = "is_shared" if "is_shared" in columns else "0"
            contacts = {row[0]: (row[1], bool(row[2]), bool(row[3])) for row in conn.execute(
                text(f"SELECT id, merged_into_id, is_internal, {shared} FROM contacts"))}
            emails = pairs_of(conn, "SELECT email, contact_id FROM contact_emails")
            accounts = pairs_of(conn, "SELECT id, merged_into_id FROM accounts")
            domains = pairs_of(conn, "SELECT domain, account_id FROM account_domains")
            pending = [tuple(row) for row in conn.execute(text(
                "SELECT winner_id, loser_id FROM merges WHERE status = 'pending' "
                "AND subject_type = 'contact'"))] \
                if inspect(conn).has_table("merges") else []
    finally:
        engine.dispose()
    contact_root = score.resolve_roots({cid: parent for cid, (parent, _, _) in
                                        contacts.items()})
    account_root = score.resolve_roots(accounts)
    return {
        "email_contact": {e.lower(): contact_root.get(c, c) for e, c in emails.items()},
        "internal": {contact_root.get(c, c) for c, (_, internal, _) in contacts.items()
                     if internal},
        "shared": {contact_root.get(c, c) for c, (_, _, shared) in contacts.items() if shared},
        "contacts": {contact_root.get(c, c) for c in contacts},
        "pending": [(contact_root.get(w, w), contact_root.get(x, x)) for w, x in pending],
        "domain_account": {d.lower(): account_root.get(a, a) for d, a in domains.items()},
        "accounts": {account_root.get(a, a) for a in accounts},
    }


def pairs_of(conn: Any, query: str) -> dict[Any, Any]:
    from sqlalchemy import text

    return {row[0]: row[1] for row in conn.execute(text(query))}


def normal_forms(address: str) -> list[str]:
    """Spellings a store might keep instead of ``address`` itself."""
    local, _, domain = address.rpartition("@")
    base = local.split("+", 1)[0]
    forms = [f"{base}@{domain}"]
    if domain in ("gmail.com", "googlemail.com"):
        forms += [f"{base.replace('.', '')}@gmail.com", f"{base}@gmail.com"]
    return [f for f in forms if f != address]


def contact_of(address: str, email_contact: Mapping[str, int]) -> int | None:
    if address in email_contact:
        return email_contact[address]
    return next((email_contact[f] for f in normal_forms(address) if f in email_contact), None)


# ------------------------------------------------------------------ scoring


@dataclass(frozen=True)
class People:
    """The truth about person addresses, and the contact the store gave each address."""

    persons: set[str]
    entity: dict[str, str]
    """Person address -> the person it is."""
    groups: dict[str, list[str]]
    tags: dict[str, list[str]]
    predicted: dict[str, int]

    @classmethod
    def of(cls, truth: dict[str, Any], store: dict[str, Any]) -> People:
        addresses = truth["addresses"]
        persons = {a for a, info in addresses.items() if info["kind"] == "person"}
        return cls(
            persons, {a: addresses[a]["person"] for a in persons},
            {pid: [a for a in p["addresses"] if a in persons]
             for pid, p in truth["persons"].items()},
            {a: addresses[a]["tags"] for a in persons},
            {a: c for a in addresses if (c := contact_of(a, store["email_contact"])) is not None})


def score_contacts(truth: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    addresses = truth["addresses"]
    found = People.of(truth, store)
    persons, entity, groups, tags, predicted = (found.persons, found.entity, found.groups,
                                                found.tags, found.predicted)
    pairs = score.pair_score(predicted, entity, persons)
    people = truth["persons"]

    def cause(a: Any, b: Any) -> str:
        pa, pb = people[a], people[b]
        if pa["assistant_of"] == b or pb["assistant_of"] == a:
            return "assistant and executive"
        if pa["name"] == pb["name"]:
            return "same name, another person"
        return "other"

    over, clusters = score.over_merged(predicted, entity, persons)
    junk: Counter[str] = Counter()
    junk_contacts: set[int] = set()
    for address, info in addresses.items():
        contact = predicted.get(address)
        if info["kind"] in ("role", "shared", "automated") and contact is not None \
                and contact not in store["internal"] | store["shared"]:
            junk[info["kind"]] += 1
            junk_contacts.add(contact)
    external = store["contacts"] - store["internal"] - store["shared"]
    people_flagged = {c for a, c in predicted.items() if c in store["shared"]
                      and addresses[a]["kind"] == "person"}
    known = set(predicted.values())
    return {
        "pairwise": pairs.as_dict(),
        "recall_by_kind": score.recall_by_kind(predicted, groups, tags).as_dict(),
        "false_pairs_by_cause": dict(score.false_pairs_by_cause(predicted, entity, persons,
                                                                cause)),
        "over_merged_contacts": over, "contacts_with_person_addresses": clusters,
        "external_contacts": len(external), "internal_contacts": len(store["internal"]),
        "junk_contacts": len(junk_contacts), "junk_addresses_by_kind": dict(junk),
        "team_mailboxes": len(store["shared"]),
        "people_taken_for_team_mailboxes": len(people_flagged),
        "contacts_not_in_truth": len(external - known),
        "real_correspondent_share": (1 - len(junk_contacts) / len(external)) if external
        else None,
        "person_addresses": len(persons), "true_persons": len(groups),
        "person_addresses_without_contact": len(persons - predicted.keys()),
    }


def score_review(truth: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    """The suggestions left for a person (``syncd merges pending``): how many, how many
    join one person, and the contact scores if a person accepted every one."""
    found = People.of(truth, store)
    people_of: dict[int, set[str]] = {}
    for address, contact in found.predicted.items():
        if address in found.entity:
            people_of.setdefault(contact, set()).add(found.entity[address])
    right = sum(bool(people_of.get(w, set()) & people_of.get(x, set()))
                for w, x in store["pending"])
    parent: dict[int, int] = {}

    def find(c: int) -> int:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    for winner, loser in store["pending"]:
        parent[find(loser)] = find(winner)
    accepted = {a: find(c) for a, c in found.predicted.items()}
    return {"suggestions": len(store["pending"]), "joining_one_person": right,
            "pairwise_if_all_accepted": score.pair_score(accepted, found.entity,
                                                         found.persons).as_dict(),
            "recall_by_kind_if_all_accepted": score.recall_by_kind(accepted, found.groups,
                                                                   found.tags).as_dict()}


def score_accounts(truth: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    domains: dict[str, str] = truth["domains"]
    predicted = {d: a for d in domains if (a := store["domain_account"].get(d)) is not None}
    companies = truth["companies"]
    groups = {cid: c["domains"] for cid, c in companies.items()}
    tags = {d: ["company_domains"] for d in domains}

    def cause(a: Any, b: Any) -> str:
        ca, cb = companies[a], companies[b]
        related = ca["parent"] == b or cb["parent"] == a or (
            ca["parent"] is not None and ca["parent"] == cb["parent"])
        return "subsidiary and parent" if related else "other"

    stored = store["domain_account"]
    over, clusters = score.over_merged(predicted, domains, domains)
    return {
        "pairwise": score.pair_score(predicted, domains, domains).as_dict(),
        "recall_by_kind": score.recall_by_kind(predicted, groups, tags).as_dict(),
        "false_pairs_by_cause": dict(score.false_pairs_by_cause(predicted, domains, domains,
                                                                cause)),
        "over_merged_accounts": over, "accounts_with_company_domains": clusters,
        "accounts": len(store["accounts"]),
        "accounts_not_in_truth": len(store["accounts"] - {
            a for d, a in stored.items() if d in domains or d in truth["free_mail_domains"]
            or d in truth["team_domains"]}),
        "accounts_from_free_mail": len({a for d, a in stored.items()
                                        if d in truth["free_mail_domains"]}),
        "accounts_from_team_domains": len({a for d, a in stored.items()
                                           if d in truth["team_domains"]}),
        "company_domains": len(domains), "true_companies": len(companies),
        "company_domains_without_account": len(domains.keys() - predicted.keys()),
    }


def evaluate(truth: dict[str, Any], url: str) -> dict[str, Any]:
    """Both scores for the database at ``url`` against ``truth``."""
    store = read_store(url)
    return {"contacts": score_contacts(truth, store), "accounts": score_accounts(truth, store),
            "review": score_review(truth, store)}


# ------------------------------------------------------------------ output


def fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def print_report(result: dict[str, Any]) -> None:
    run = result["run"]
    print(f"== identity: {run['messages']:,} messages, {run['persons']:,} persons, "
          f"{run['companies']:,} companies (seed {run['seed']}) ==")
    if run["import_seconds"] is not None:
        print(f"import                 {run['import_seconds']:.1f} s  (syncd resync --full)")
    for name in ("contacts", "accounts"):
        block = result[name]
        pairs = block["pairwise"]
        print(f"{name:<22} precision {fmt(pairs['precision'])}  recall {fmt(pairs['recall'])}"
              f"  F1 {fmt(pairs['f1'])}   (pairs: true {pairs['true_pairs']:,}, predicted "
              f"{pairs['predicted_pairs']:,}, right {pairs['tp']:,})")
        for kind, row in block["recall_by_kind"].items():
            print(f"  recall {kind:<16} {row['recall']:.4f}  ({row['found']:,} of "
                  f"{row['true_pairs']:,} pairs)")
        for cause, count in sorted(block["false_pairs_by_cause"].items()):
            print(f"  wrong pairs: {cause:<27} {count:,}")
    c, a, r = result["contacts"], result["accounts"], result["review"]
    pairs = r["pairwise_if_all_accepted"]
    print(f"merges pending         {r['suggestions']:,} ({r['joining_one_person']:,} join one "
          f"person); all accepted: contacts precision {fmt(pairs['precision'])}  recall "
          f"{fmt(pairs['recall'])}  F1 {fmt(pairs['f1'])}")
    for kind, row in r["recall_by_kind_if_all_accepted"].items():
        print(f"  recall {kind:<16} {row['recall']:.4f} if all accepted")
    print(f"contacts               {c['external_contacts']:,} external "
          f"({c['contacts_not_in_truth']:,} of no known address), "
          f"{c['internal_contacts']:,} internal; {c['person_addresses']:,} person addresses "
          f"of {c['true_persons']:,} persons, {c['person_addresses_without_contact']:,} "
          "without a contact")
    print(f"over-merged contacts   {c['over_merged_contacts']:,} of "
          f"{c['contacts_with_person_addresses']:,}")
    print(f"team mailboxes         {c['team_mailboxes']:,} listed apart "
          f"({c['people_taken_for_team_mailboxes']:,} of them a person's)")
    print(f"junk contacts          {c['junk_contacts']:,} {c['junk_addresses_by_kind']}; "
          f"real correspondents {fmt(c['real_correspondent_share'])}")
    print(f"accounts               {a['accounts']:,} ({a['accounts_not_in_truth']:,} of no "
          f"known domain); {a['company_domains']:,} company domains of "
          f"{a['true_companies']:,} companies, {a['company_domains_without_account']:,} "
          "without an account")
    print(f"over-merged accounts   {a['over_merged_accounts']:,} of "
          f"{a['accounts_with_company_domains']:,}")
    print(f"junk accounts          free-mail {a['accounts_from_free_mail']}, "
          f"team domains {a['accounts_from_team_domains']}")


# ------------------------------------------------------------------ CLI


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--companies", type=int, default=300)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mailbox", type=Path, help="a gen_identity.py output directory")
    parser.add_argument("--db", help="score this database as it is; no import")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Generate (or take) the mailbox, import it unless ``--db``, score."""
    mailbox = args.mailbox or workdir / "mailbox"
    if args.mailbox is None:
        gen_identity.generate(mailbox, people=args.people, companies=args.companies,
                              messages=args.messages, seed=args.seed)
    truth = json.loads((mailbox / "truth.json").read_text(encoding="utf-8"))
    url, seconds = args.db, None
    if url is None:
        url = f"sqlite:///{workdir / 'identity.db'}"
        config = write_config(workdir, url, (mailbox / "maildir").resolve(), truth["owner"],
                              truth["team_domains"])
        seconds = run_import(config)
    result = evaluate(truth, url)
    messages = sum(1 for p in (mailbox / "maildir").rglob("*") if p.is_file()
                   and p.parent.name in ("cur", "new"))
    result["run"] = {"seed": truth["seed"], "messages": messages,
                     "persons": len(truth["persons"]), "companies": len(truth["companies"]),
                     "import_seconds": seconds, "database": url if args.keep or args.db else None}
    return result


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="syncd-identity-"))
    try:
        result = run(args, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
