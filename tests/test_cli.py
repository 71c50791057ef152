"""The command line as a user runs it: the real entry point in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tests.mailfactory import mail, put_maildir

ALICE = "alice@acme-robotics.com"
SIGNED = ("Hi Alice,\n\nplease send the quote.\n\nBest regards,\nMegan Whitfield\n"
          "Head of Operations\nHarborview Analytics\nTel. +1 415 555 0123\n")


def syncd(config: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), *args],
                          capture_output=True, text=True, check=False,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    names = {"megan@harborview-analytics.com": "Megan Whitfield", ALICE: "Alice Martin"}
    put_maildir(root / "mail", mail("megan@harborview-analytics.com", [ALICE], names=names,
                                    message_id="<q1@harborview>", subject="Quote",
                                    body=SIGNED))
    put_maildir(root / "mail", mail(ALICE, ["megan@harborview-analytics.com"], names=names,
                                    message_id="<q2@acme>", subject="Re: Quote"),
                folder="Sent")
    put_maildir(root / "mail", mail("deals@shop.example", [ALICE], message_id="<n@shop>",
                                    headers={"Precedence": "bulk"}))
    put_maildir(root / "mail", b"garbage without headers\n")
    config = root / "syncd.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": "sqlite:///crm.db"},
        "team": {"internal_domains": ["acme-robotics.com"]},
        "sources": [{"name": "alice", "kind": "maildir", "path": "mail", "owner": ALICE}]}))
    done = syncd(config, "resync")
    assert "The CRM now holds 1 contacts, 1 accounts, 3 interactions" in " ".join(
        done.stdout.split())
    return config


def test_status_shows_the_quarantined_message(synced: Path) -> None:
    out = syncd(synced, "status").stdout
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("alice"))
    assert row[:3] == ["alice", "maildir", "ok"]
    assert row[-1] == "1"  # quarantined: the last column when there is no error
    quarantine = syncd(synced, "quarantine", "list").stdout
    assert "not a message" in quarantine or "no header" in quarantine.lower()


def test_contacts_accounts_interactions(synced: Path) -> None:
    contacts = syncd(synced, "contacts", "list").stdout
    assert "Megan Whitfield" in contacts and "Head of Operations" in contacts
    assert "alice@" not in contacts  # a colleague, listed with --internal
    assert "Alice Martin" in syncd(synced, "contacts", "list", "--internal").stdout
    show = syncd(synced, "contacts", "show", "2").stdout + syncd(
        synced, "contacts", "show", "1").stdout
    assert "Re: Quote" in show and "+14155550123" in show
    assert "Harborview Analytics" in syncd(synced, "accounts", "list").stdout
    assert "Quote" in syncd(synced, "accounts", "show", "1").stdout
    listed = syncd(synced, "interactions", "list").stdout
    assert "automated" in listed
    assert "q1@harborview" in syncd(synced, "interactions", "show", "1").stdout
    missing = syncd(synced, "contacts", "show", "999", ok=False)
    assert missing.returncode == 4 and "no contact #999" in missing.stderr


def test_why(synced: Path) -> None:
    contact = syncd(synced, "why", "Megan@Harborview-Analytics.com").stdout
    assert "is contact #" in contact and "wrote_to_team" in contact and "q1@harborview" in contact
    automated = syncd(synced, "why", "deals@shop.example").stdout
    assert "is not a contact (automated)" in automated and "Precedence: bulk" in automated
    assert syncd(synced, "why", "nobody@nowhere.example", ok=False).returncode == 4


def test_export_jsonl_contract(synced: Path) -> None:
    contacts = [json.loads(line) for line in
                syncd(synced, "export", "contacts", "--format", "jsonl").stdout.splitlines()]
    megan = next(c for c in contacts if not c["is_internal"])
    assert set(megan) >= {"id", "full_name", "given_name", "family_name", "emails", "phones",
                          "job_title", "seniority", "department", "account", "is_internal",
                          "first_seen_at",
                          "last_interaction_at", "interaction_count"}
    assert megan["emails"] == ["megan@harborview-analytics.com"]
    assert megan["phones"] == ["+14155550123"]
    assert megan["account"]["domains"] == ["harborview-analytics.com"]
    assert megan["interaction_count"] == 2
    accounts = [json.loads(line) for line in
                syncd(synced, "export", "accounts").stdout.splitlines()]
    assert set(accounts[0]) >= {"id", "name", "domains", "contact_count", "last_interaction_at"}
    interactions = [json.loads(line) for line in
                    syncd(synced, "export", "interactions").stdout.splitlines()]
    assert set(interactions[0]) >= {"id", "kind", "key", "subject", "occurred_at", "direction",
                                    "automated", "participants", "sources"}
    assert interactions[0]["sources"] == ["alice"]
    assert {"email": ALICE, "role": "to"} in interactions[0]["participants"]


def test_export_csv_and_json_to_a_file(synced: Path, tmp_path: Path) -> None:
    target = tmp_path / "contacts.csv"
    syncd(synced, "export", "contacts", "--format", "csv", "--output", str(target))
    header, *rows = target.read_text().splitlines()
    assert header.startswith("id,full_name,given_name") and len(rows) == 2
    assert json.loads(syncd(synced, "export", "accounts", "--format", "json").stdout)[0]["name"]


def test_parse_prints_what_the_pipeline_makes(tmp_path: Path, synced: Path) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(mail("megan@harborview-analytics.com", [ALICE], body=SIGNED +
                         "\nOn Mon, 2 Mar 2026, Alice wrote:\n> earlier text\n",
                         names={"megan@harborview-analytics.com": "Megan Whitfield"}))
    report = json.loads(syncd(synced, "parse", str(eml), "--json").stdout)
    assert report["reply_text"].startswith("Hi Alice") and "earlier" not in report["reply_text"]
    assert "earlier text" in report["quoted_text"]
    assert report["signature"].startswith("Megan Whitfield")
    assert report["fields"]["job_title"] == "Head of Operations"
    assert (report["fields"]["given_name"], report["fields"]["family_name"]) == (
        "Megan", "Whitfield")
    assert report["fields"]["phones"] == [{"number_e164": "+14155550123", "kind": "work"}]
    assert (report["seniority"], report["department"]) == ("vp", "operations")
    assert report["role_address"] is False
    assert report["direction"] == "inbound" and report["automated"] is False
    decisions = {d["email"]: d["outcome"] for d in report["decisions"]}
    assert decisions == {"megan@harborview-analytics.com": "contact", ALICE: "internal"}


def test_parse_says_when_the_sender_is_a_role_address(tmp_path: Path, synced: Path) -> None:
    eml = tmp_path / "role.eml"
    eml.write_bytes(mail("sales@harborview-analytics.com", [ALICE], body="Hi.\n"))
    report = json.loads(syncd(synced, "parse", str(eml), "--json").stdout)
    assert report["role_address"] is True and report["automated"] is False


def test_db_upgrade_is_idempotent(synced: Path) -> None:
    assert "up to date" in syncd(synced, "db", "upgrade").stdout


def test_unknown_source_and_bad_config(synced: Path, tmp_path: Path) -> None:
    done = syncd(synced, "resync", "nope", ok=False)
    assert done.returncode == 4 and "no source named nope" in done.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {name: a, kind: maildir, path: m, folders: INBOX, x: 1}\n")
    done = syncd(bad, "resync", ok=False)
    assert done.returncode == 2
    assert "sources[0].x: unknown key" in done.stderr


def test_daemon_syncs_on_schedule_and_stops_on_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "mail"
    put_maildir(root, mail("megan@harborview-analytics.com", [ALICE], message_id="<d1@h>"))
    config = tmp_path / "syncd.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": "sqlite:///crm.db"}, "logging": {"format": "json"},
        "sources": [{"name": "m", "kind": "maildir", "path": "mail", "every": "1s"}]}))
    daemon = subprocess.Popen([sys.executable, "-m", "syncd", "--config", str(config), "run"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(60, daemon.kill)  # a hung daemon fails the test, not CI
    watchdog.start()
    try:
        runs = []
        assert daemon.stdout is not None
        for line in daemon.stdout:
            if line.startswith("{") and json.loads(line)["logger"] == "syncd.runner":
                runs.append(json.loads(line)["message"])
                if len(runs) == 1:  # new mail between two scheduled runs
                    put_maildir(root, mail("tom@harborview-analytics.com", [ALICE],
                                           message_id="<d2@h>"))
                if len(runs) == 3:
                    break
        daemon.send_signal(15)
        assert daemon.wait(timeout=10) == 0
    finally:
        watchdog.cancel()
        daemon.kill()
    assert runs[0].startswith("m: ok; 1 messages")
    assert any(r.startswith("m: ok; 1 messages") for r in runs[1:])
    export = syncd(config, "export", "interactions").stdout.splitlines()
    assert len(export) == 2
