"""Looking at the CRM: list/show per record kind, ``why`` and ``export``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.orm import Session

from syncd.cli.app import app, console, state
from syncd.cli.render import day, table, when, write_rows
from syncd.db.session import session_scope
from syncd.store import read

contacts_app = typer.Typer(help="People the team talks to.", no_args_is_help=True)
accounts_app = typer.Typer(help="Companies, one per registrable domain.", no_args_is_help=True)
interactions_app = typer.Typer(help="Emails captured.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")
app.add_typer(accounts_app, name="accounts")
app.add_typer(interactions_app, name="interactions")

Limit = Annotated[int, typer.Option(help="how many rows at most")]
Query = Annotated[str | None, typer.Option("--search", "-s", help="text in name or address")]
T = TypeVar("T")


class Format(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


class Kind(StrEnum):
    contacts = "contacts"
    accounts = "accounts"
    interactions = "interactions"


def in_session(fn: Callable[[Session], T]) -> T:
    """Open the app, run ``fn`` in one transaction, close everything."""
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            return fn(session)
    finally:
        app_.close()


def _found(value: T | None, what: str) -> T:
    if value is None:
        raise LookupError(f"no {what}")
    return value


@contacts_app.command("list")
def contacts_list(limit: Limit = 50, search: Query = None,
                  internal: Annotated[bool, typer.Option(
                      help="list colleagues instead of customers")] = False,
                  shared: Annotated[bool, typer.Option(
                      help="list team mailboxes (signed by several people) instead of "
                           "people")] = False) -> None:
    """Contacts, with their account and activity."""
    rows = in_session(lambda s: list(read.contacts(s, internal=internal, query=search,
                                                   limit=limit, shared=shared)))
    title = "colleagues" if internal else "contacts"
    listing = table("id", "name", "email", "title", "account", "mails", "last",
                    title=f"team mailboxes ({title})" if shared else title)
    for r in rows:
        listing.add_row(str(r["id"]), r["full_name"] or "", ", ".join(r["emails"]),
                        r["job_title"] or "", (r["account"] or {}).get("name", ""),
                        str(r["interaction_count"]), day(r["last_interaction_at"]))
    console.print(listing)


@contacts_app.command("show")
def contacts_show(contact_id: int, limit: Limit = 50) -> None:
    """One contact and its timeline, newest first."""
    def load(session: Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        found = _found(read.contact(session, contact_id), f"contact #{contact_id}")
        return found, list(read.interactions(session, contact_id=contact_id, limit=limit,
                                             newest_first=True))

    contact, timeline = in_session(load)
    console.print(f"[bold]{contact['full_name'] or contact['emails'][0]}[/]  #{contact['id']}")
    account = contact["account"]
    details = {"emails": ", ".join(contact["emails"]), "phones": ", ".join(contact["phones"]),
               "title": contact["job_title"], "seniority": contact["seniority"],
               "department": contact["department"],
               "account": account["name"] if account else None,
               "colleague": "yes" if contact["is_internal"] else None,
               "team mailbox": "yes: signed by several people" if contact["is_shared"]
               else None,
               "first seen": when(contact["first_seen_at"]),
               "interactions": contact["interaction_count"],
               "next meeting": when(contact["next_meeting_at"])
               if contact["next_meeting_at"] else None}
    for key, value in details.items():
        if value:
            console.print(f"  {key}: {value}", highlight=False)
    _timeline(timeline)


def _timeline(rows: list[dict[str, Any]]) -> None:
    listing = table("id", "date", "kind", "direction", "subject", "with", title="timeline")
    for r in rows:
        others = ", ".join(p["email"] for p in r["participants"][:3])
        kind = r["kind"] + (" (cancelled)" if r["status"] == "cancelled" else "")
        listing.add_row(str(r["id"]), day(r["occurred_at"]), kind,
                        r["direction"] + (" (automated)" if r["automated"] else ""),
                        r["subject"] or "", others)
    console.print(listing)


@accounts_app.command("list")
def accounts_list(limit: Limit = 50, search: Query = None) -> None:
    """Accounts, with their domains and number of contacts."""
    rows = in_session(lambda s: list(read.accounts(s, query=search, limit=limit)))
    listing = table("id", "name", "domains", "contacts", "last", title="accounts")
    for r in rows:
        listing.add_row(str(r["id"]), r["name"], ", ".join(r["domains"]),
                        str(r["contact_count"]), day(r["last_interaction_at"]))
    console.print(listing)


@accounts_app.command("show")
def accounts_show(account_id: int, limit: Limit = 50) -> None:
    """One account, its people and its timeline."""
    def load(session: Session) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        found = _found(read.account(session, account_id), f"account #{account_id}")
        return found, list(read.interactions(session, account_id=account_id, limit=limit,
                                             newest_first=True))

    account, timeline = in_session(load)
    console.print(f"[bold]{account['name']}[/]  #{account['id']}  "
                  f"{', '.join(account['domains'])}  {account['contact_count']} contact(s)")
    _timeline(timeline)


@interactions_app.command("list")
def interactions_list(limit: Limit = 50) -> None:
    """The newest interactions."""
    _timeline(in_session(lambda s: list(read.interactions(s, limit=limit, newest_first=True))))


@interactions_app.command("show")
def interactions_show(interaction_id: int) -> None:
    """One interaction with everything stored about it."""
    row = in_session(lambda s: _found(read.interaction(s, interaction_id),
                                      f"interaction #{interaction_id}"))
    row["participants"] = ", ".join(f"{p['email']} ({p['role']})" for p in row["participants"])
    for key, value in row.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)


@app.command()
def why(address: str) -> None:
    """Why an address is a contact, or why it is not one."""
    email = address.strip()  # as written first: a case-sensitive domain keeps it
    answer = in_session(lambda s: _found(read.why(s, email) or read.why(s, email.lower()),
                                         f"record of {email}: it was never seen"))
    email = answer.get("email", email)
    outcome = answer["outcome"]
    verdict = {"contact": f"is contact #{answer['contact_id']}",
               "internal": f"is a colleague (contact #{answer['contact_id']})"}.get(
        outcome, f"is not a contact ({outcome})")
    console.print(f"[bold]{email}[/] {verdict}", highlight=False)
    console.print(f"  rule: {answer['rule']}: {answer['detail']}", highlight=False)
    message = answer["interaction"]
    if message:
        console.print(f"  decided on: interaction #{message['id']} "
                      f"{message['subject'] or ''!r} <{message['key']}> "
                      f"({when(message['occurred_at'])}) from source {answer['source']}",
                      highlight=False)


@app.command()
def export(
    kind: Annotated[Kind, typer.Argument(help="what to export")],
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.jsonl,
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="a file (default: stdout)")] = None,
) -> None:
    """Export records as CSV, JSON or JSONL (the stable format in the README)."""
    def dump(session: Session) -> int:
        rows = {"contacts": lambda: read.contacts(session, internal=None, shared=None),
                "accounts": lambda: read.accounts(session),
                "interactions": lambda: read.interactions(session)}[kind.value]()
        if output is None:
            return write_rows(rows, format.value)
        with output.open("w", encoding="utf-8", newline="") as handle:
            return write_rows(rows, format.value, handle)

    count = in_session(dump)
    if output is not None:
        console.print(f"wrote {count} {kind.value} to {output}")


@app.command()
def forget(
    target: Annotated[str, typer.Argument(help="an address (a person) or a domain (a company)")],
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
) -> None:
    """Erase a person or a company from the CRM, and never capture them again.

    Their contact (all its addresses), observations, participations and every
    interaction left with no other external participant are deleted; a suppression
    (a digest, not the address) keeps every later sync and resync from bringing
    them back."""
    from datetime import UTC, datetime

    from syncd.store.forget import forget as erase

    if not yes:
        if not sys.stdin.isatty():
            console.print("forget erases for good: with no one to confirm, add --yes")
            raise typer.Exit(1)
        if not typer.confirm(f"Erase {target} from the CRM for good?"):
            raise typer.Exit(1)
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            erased = erase(session, target, app_.config.team.internal_domains,
                           datetime.now(UTC))
    finally:
        app_.close()
    console.print(f"forgot {target}: {erased.addresses} address(es), {erased.contacts} "
                  f"contact(s), {erased.accounts} account(s), {erased.interactions} "
                  "interaction(s) erased; later syncs will not capture them again",
                  highlight=False)
