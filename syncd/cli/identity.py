"""Identity by hand: ``merge``, ``unmerge``, ``merges``, ``explain``, ``resolve``, and
setting a contact's or account's field (which then wins over every extracted value)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from syncd.cli.app import app, console, state
from syncd.cli.data import accounts_app, contacts_app, in_session
from syncd.cli.render import day, table, to_json
from syncd.db.models import Merge
from syncd.db.session import session_scope
from syncd.store import explain as facts
from syncd.store.identity import ACCOUNT, CONTACT, Pair, merge_by_hand, reject, unmerge

merges_app = typer.Typer(help="Merges of contacts and accounts, and suggestions.",
                         no_args_is_help=True)
app.add_typer(merges_app, name="merges")
Accounts = Annotated[bool, typer.Option("--accounts", help="accounts, not contacts")]


def _subject(accounts: bool) -> str:
    return ACCOUNT if accounts else CONTACT


def _with_rules(fn: Any) -> Any:
    """Open the app, run ``fn(session, rules)`` in one transaction, close."""
    app_ = state.open()
    try:
        app_.upgrade()
        with session_scope(app_.sessions) as session:
            return fn(session, app_.identity)
    finally:
        app_.close()


@app.command()
def merge(keep: int, fold: int, accounts: Accounts = False) -> None:
    """Merge record FOLD into record KEEP (contacts; --accounts for accounts)."""
    pair = Pair(_subject(accounts), keep, fold)
    merge_id = _with_rules(lambda s, rules: merge_by_hand(s, rules, pair, _now()))
    console.print(f"merged {pair.subject} #{fold} into #{keep} (merge #{merge_id}; "
                  f"`syncd unmerge {merge_id}` undoes it)")


@app.command(name="unmerge")
def unmerge_command(merge_id: int) -> None:
    """Undo a merge: both records and what each held come back as they were; the
    rules will not merge the two again."""
    row = _with_rules(lambda s, rules: facts.merge_row(unmerge(s, rules, merge_id, _now())))
    console.print(f"unmerged {row['subject']} #{row['folded']} from #{row['kept']}")


@merges_app.command("pending")
def merges_pending(accounts: Accounts = False,
                   limit: Annotated[int, typer.Option(help="how many at most")] = 50) -> None:
    """Suggestions waiting for a person, strongest first."""
    rows = in_session(lambda s: facts.merges(s, _subject(accounts), "pending", limit))
    _merge_table(rows, "pending merges (`syncd merges accept ID` / `reject ID`)")


@merges_app.command("list")
def merges_list(accounts: Accounts = False,
                status: Annotated[str, typer.Option(
                    help="applied, pending, rejected, undone or withdrawn")] = "applied",
                limit: Annotated[int, typer.Option(help="how many at most")] = 50) -> None:
    """Merges in one state."""
    rows = in_session(lambda s: facts.merges(s, _subject(accounts), status, limit))
    _merge_table(rows, f"{status} merges")


@merges_app.command("accept")
def merges_accept(merge_id: int) -> None:
    """Apply a suggestion."""
    def accept(session: Session, rules: Any) -> int:
        row = session.get(Merge, merge_id)
        if row is None or row.status != "pending":
            raise LookupError(f"no pending suggestion #{merge_id}")
        return merge_by_hand(session, rules, Pair(row.subject_type, row.winner_id,
                                                  row.loser_id), _now())
    console.print(f"merged (merge #{_with_rules(accept)})")


@merges_app.command("reject")
def merges_reject(merge_id: int) -> None:
    """Reject a suggestion: the rules will not suggest that pair again."""
    in_session(lambda s: reject(s, merge_id))
    console.print(f"rejected suggestion #{merge_id}")


def _merge_table(rows: list[dict[str, Any]], title: str) -> None:
    listing = table("id", "kind", "keep", "fold", "score", "by", "date", "evidence", title=title)
    for r in rows:
        said = "; ".join(f"{e['kind']} {e['detail']}".strip() for e in r["evidence"])
        if r["held_back"]:
            said += f" (held back: {r['held_back']})"
        listing.add_row(str(r["id"]), r["subject"], f"#{r['kept']}", f"#{r['folded']}",
                        f"{r['score']:.2f}", r["by"], day(r["created_at"]), escape(said))
    console.print(listing)


@app.command()
def explain(kind: Annotated[str, typer.Argument(help="contact or account")], record_id: int,
            json: Annotated[bool, typer.Option("--json", help="as JSON")] = False) -> None:
    """Every field of a contact or account with the evidence for each value, and every
    merge with its reasons."""
    if kind not in (CONTACT, ACCOUNT):
        raise typer.BadParameter("contact or account")
    found = in_session(lambda s: facts.explain(s, kind, record_id))
    if found is None:
        raise LookupError(f"no {kind} #{record_id}")
    if json:
        console.out(to_json(found), highlight=False)
        return
    _print_explained(found)


def _print_explained(found: dict[str, Any]) -> None:
    title = f"{found['subject']} #{found['id']}"
    if found["merged_into"]:
        title += f" (merged into #{found['merged_into']})"
    console.print(f"[bold]{title}[/]")
    for key in ("emails", "phones", "domains"):
        if found.get(key):
            console.print(f"  {key}: {', '.join(found[key])}", highlight=False)
    for field, rows in found["evidence"].items():
        current = found["fields"].get(field)
        console.print(f"  [bold]{field}[/]" + (f": {escape(str(current))}" if current else ""),
                      highlight=False)
        for r in rows:
            mark = "*" if current is not None and r["value"] == current else " "
            console.print(f"   {mark} {escape(r['value'])}  ({r['method']}, "
                          f"{r['confidence']:.2f}, {r['source'] or 'no source'}, "
                          f"last seen {day(r['last_seen_at'])})", highlight=False)
    if found["merges"]:
        _merge_table(found["merges"], "merges")


@app.command()
def resolve(every: Annotated[bool, typer.Option(
        "--all", help="every contact and account (after the identity rules changed)")] = False
            ) -> None:
    """Match and merge again: every record, with the rules as they are now."""
    if not every:
        raise typer.BadParameter("say --all: resolution otherwise runs with every sync")
    app_ = state.open()
    try:
        app_.upgrade()
        merged, pending = facts.resolve_all(app_.sessions, app_.identity, _now())
    finally:
        app_.close()
    console.print(f"{merged} merge(s) made, {pending} new suggestion(s) waiting "
                  "(`syncd merges pending`)")


def _set(subject: str, record_id: int, field: str, value: str) -> None:
    in_session(lambda s: facts.set_field(s, subject, record_id, field=field, value=value,
                                                  now=_now()))
    console.print(f"{subject} #{record_id}: {field} " +
                  (f"set to {value!r} by hand" if value else "back to what the evidence says"))


@contacts_app.command("set")
def contacts_set(contact_id: int, field: str, value: str) -> None:
    """Set a field by hand (full_name, job_title, department); it wins over every
    extracted value. An empty VALUE gives the field back to the evidence."""
    _set(CONTACT, contact_id, field, value)


@accounts_app.command("set")
def accounts_set(account_id: int, field: str, value: str) -> None:
    """Set a field by hand (name); it wins over every extracted value."""
    _set(ACCOUNT, account_id, field, value)


def _now() -> datetime:
    return datetime.now(UTC)
