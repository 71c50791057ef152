"""``syncd parse FILE.eml``: what the pipeline makes of one message, nothing stored.

For debugging a surprising contact and for evaluating extraction on labelled mail.
It uses the configuration when one is found (team domains, lists, capture policy),
else the defaults, with ``visibility: full`` so that every step is shown.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from connectors.rfc822 import parse_message
from enrichment.addresses import local_part_of
from enrichment.people import split_name
from enrichment.signature import Fields
from enrichment.titles import department, seniority
from syncd.cli.app import app, console, state
from syncd.cli.render import to_json
from syncd.config import config_model
from syncd.configfile import find_config, load_config
from syncd.errors import BadItemError, ConfigError
from syncd.lists import load_lists
from syncd.pipeline import Context, InteractionPlan, Reading, plan_message, read_body


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="an .eml file")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    owner: Annotated[str | None, typer.Option(help="the mailbox owner's address")] = None,
) -> None:
    """Show what the pipeline extracts from one message: reply, signature, fields,
    classification and what each participant becomes."""
    try:
        message = parse_message(file.read_bytes(), external_id=file.name)
    except BadItemError as exc:
        console.print(f"[red]{file}: not a message: {exc}[/]", highlight=False)
        raise typer.Exit(1) from exc
    context = _context(owner)
    report = describe(plan_message(message, context), read_body(message), context)
    if as_json:
        print(to_json(report))
        return
    for key, value in report.items():
        console.print(f"[bold]{key}[/]: {to_json(value) if not isinstance(value, str) else value}",
                      highlight=False)


def _context(owner: str | None) -> Context:
    """The team's rules from the config file when there is one (a broken file is an
    error, as everywhere); mailbox owners are every source's plus ``--owner``."""
    try:
        path = find_config(state.config_path)
    except ConfigError:
        if state.config_path is not None:
            raise
        config = config_model()()
    else:
        config = load_config(path)
    owners = {a for source in config.sources for a in source.owner}
    return Context("parse", frozenset(owners | ({owner.lower()} if owner else set())),
                   frozenset(config.team.internal_domains),
                   config.capture.model_copy(update={"visibility": "full"}),
                   load_lists(config.lists),
                   case_sensitive=frozenset(config.identity.case_sensitive_domains))


def describe(plan: InteractionPlan, reading: Reading, context: Context) -> dict[str, Any]:
    """The report: what the message says of its sender, then what the pipeline does."""
    sender = plan.participants[0].email if plan.participants and \
        plan.participants[0].role == "from" else None
    fields = _fields(reading.fields)
    title = fields["job_title"] if fields else None
    return {
        "reply_text": reading.new_text, "signature": reading.signature, "fields": fields,
        "seniority": seniority(title),
        "department": (fields or {}).get("department") or department(title),
        "automated": plan.automated is not None, "automated_reason": plan.automated,
        "role_address": bool(sender) and context.lists.is_role(local_part_of(sender or "")),
        "key": plan.key, "thread_key": plan.thread_key, "occurred_at": plan.occurred_at,
        "subject": plan.subject, "direction": plan.direction,
        "skipped": asdict(plan.skipped) if plan.skipped else None,
        "quoted_text": reading.quoted,
        "participants": [{"email": p.email, "role": p.role, "name": p.name}
                         for p in plan.participants],
        "decisions": [asdict(d) for d in plan.decisions],
        "observations": [asdict(f) for f in plan.facts],
    }


def _fields(fields: Fields | None) -> dict[str, Any] | None:
    """The signature's fields with the name split and phones as ``number_e164``."""
    if fields is None:
        return None
    given, family = split_name(fields.full_name) if fields.full_name else (None, None)
    out = asdict(fields)
    out.update(given_name=given, family_name=family,
               phones=[{"number_e164": p.e164, "kind": p.kind} for p in fields.phones])
    return out
