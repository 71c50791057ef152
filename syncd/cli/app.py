"""The ``syncd`` command: one verb a job, and one funnel from errors to exit codes.

Exit codes: 0 done; 1 a source failed; 2 the configuration is unusable; 3 the
database is unusable; 4 what was asked for does not exist.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from syncd.app import App
from syncd.configfile import find_config, load_config
from syncd.errors import ConfigError, StoreError
from syncd.logs import configure as configure_logging

console = Console()
errors = Console(stderr=True)

app = typer.Typer(no_args_is_help=True, add_completion=False, help=(
    "Capture the team's customer interactions from mail into one CRM database."))


class State:
    """What the root options chose; commands open the app through it."""

    config_path: Path | None = None
    verbose: bool = False

    def open(self, *, daemon: bool = False) -> App:
        config = load_config(find_config(self.config_path))
        configure_logging(config.logging, verbose=self.verbose, daemon=daemon)
        return App(config)


state = State()


@app.callback()
def root(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="the YAML file (else $SYNCD_CONFIG, ./syncd.yaml, "
        "~/.config/syncd/config.yaml)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log details")] = False,
) -> None:
    state.config_path = config
    state.verbose = verbose


def tune_garbage_collector() -> None:
    """A sync allocates millions of short-lived objects that reference counting frees
    anyway; the cycle collector scanning them every 700 allocations, and rescanning the
    long-lived imported modules, cost a fifth of a resync (bench/resync_bench.py)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def main() -> None:
    """Console-script entry point: turn the error tree into messages and exit codes."""
    from syncd.cli import data, enrich, identity, parse, setup, signin, sync  # noqa: F401

    tune_garbage_collector()

    try:
        code = app(standalone_mode=False)
    except ConfigError as exc:
        errors.print("[bold red]configuration error[/]")
        for problem in exc.problems:
            errors.print(f"  {problem}", highlight=False, markup=False)
        sys.exit(2)
    except StoreError as exc:
        errors.print(f"[bold red]database error:[/] {exc}", highlight=False)
        sys.exit(3)
    except LookupError as exc:
        errors.print(f"[red]{exc.args[0] if exc.args else exc}[/]", highlight=False)
        sys.exit(4)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        errors.print("aborted")
        sys.exit(130)
    except Exception as exc:  # click's usage errors carry their own exit codes
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)
