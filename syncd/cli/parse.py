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
from syncd.cli.app import app, console, state
from syncd.cli.render import to_json
from syncd.config import config_model
from syncd.configfile import find_config, load_config
from syncd.errors import BadItemError, ConfigError
from syncd.lists import load_lists
from syncd.pipeline import Context, MessagePlan, Reading, plan_message, read_body


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
    report = describe(plan_message(message, _context(owner)), read_body(message))
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
                   load_lists(config.lists))


def describe(plan: MessagePlan, reading: Reading) -> dict[str, Any]:
    return {
        "key": plan.key, "thread_key": plan.thread_key, "occurred_at": plan.occurred_at,
        "subject": plan.subject, "direction": plan.direction,
        "automated": plan.automated is not None, "automated_reason": plan.automated,
        "skipped": asdict(plan.skipped) if plan.skipped else None,
        "reply_text": reading.new_text, "quoted_text": reading.quoted,
        "signature": reading.signature,
        "fields": asdict(reading.fields) if reading.fields else None,
        "participants": [{"email": p.email, "role": p.role, "name": p.name}
                         for p in plan.participants],
        "decisions": [asdict(d) for d in plan.decisions],
        "observations": [asdict(f) for f in plan.facts],
    }
