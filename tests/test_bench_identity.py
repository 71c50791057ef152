"""The identity benchmark (bench/gen_identity.py, bench/eval_identity.py) measures truly.

A score is only as good as its truth and its arithmetic: the generator must give
the same mailbox for a seed, label every address that appears in the mail, and
really plant the perturbations it claims; the scorer must count pairs right on
cases small enough to check by hand, and read merges out of the four tables it uses.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench(name: str) -> ModuleType:
    """A module of bench/ (which is not a package; its modules import each other)."""
    if str(BENCH) not in sys.path:
        sys.path.append(str(BENCH))  # last: bench/google.py must not shadow google
    return importlib.import_module(name)


eval_identity = bench("eval_identity")
gen_identity = bench("gen_identity")
score = bench("identity_score")
NICKNAMES = bench("identity_world").NICKNAMES

SIZE = {"people": 300, "companies": 50, "messages": 1200, "seed": 7}
ADDRESS_HEADERS = ("From", "To", "Cc", "Bcc", "Sender")


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("identity") / "a"
    gen_identity.generate(out, **SIZE)
    return out


@pytest.fixture(scope="module")
def truth(mailbox: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((mailbox / "truth.json").read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Mail:
    """What the tests look at in one message: the addresses and the plain text."""

    sender: str
    addresses: frozenset[str]
    text: str


@pytest.fixture(scope="module")
def messages(mailbox: Path) -> list[Mail]:
    """Every message of the Maildir, parsed once."""
    parsed = []
    for path in sorted((mailbox / "maildir").rglob("*")):
        if path.is_file() and path.parent.name in ("cur", "new"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            part = message.get_body(("plain",))
            parsed.append(Mail(
                sender=message["From"].addresses[0].addr_spec.lower(),
                addresses=frozenset(address.addr_spec.lower() for name in ADDRESS_HEADERS
                                    for header in message.get_all(name, [])
                                    for address in header.addresses),
                text=part.get_content() if part is not None else ""))
    return parsed


# ------------------------------------------------------------------ generator


def test_same_seed_same_bytes_other_seed_other_mail(mailbox: Path, tmp_path: Path) -> None:
    gen_identity.generate(tmp_path / "b", **SIZE)
    assert files(mailbox) == files(tmp_path / "b")
    gen_identity.generate(tmp_path / "c", **{**SIZE, "seed": 8})
    assert (tmp_path / "c" / "truth.json").read_bytes() != \
        (mailbox / "truth.json").read_bytes()


def test_the_message_count_is_exact(messages: list[Mail]) -> None:
    assert len(messages) == SIZE["messages"]


def test_every_address_in_the_mail_is_in_the_truth(messages: list[Mail],
                                                   truth: dict[str, Any]) -> None:
    seen = {address for m in messages for address in m.addresses}
    assert seen - truth["addresses"].keys() == set()
    assert len(seen) > SIZE["people"]


def test_the_truth_is_consistent(truth: dict[str, Any]) -> None:
    addresses, persons, companies = truth["addresses"], truth["persons"], truth["companies"]
    for address, info in addresses.items():
        assert info["kind"] in {"person", "role", "shared", "automated", "team"}
        if info["kind"] == "person":
            assert address in persons[info["person"]]["addresses"]
        else:
            assert info["person"] is None
        if info["company"] is not None:
            domain = address.rpartition("@")[2]
            assert any(domain == d or domain.endswith("." + d)
                       for d in companies[info["company"]]["domains"])
    for pid, person in persons.items():
        assert person["addresses"]
        assert all(addresses[a]["person"] == pid for a in person["addresses"])
        assert all(addresses[a]["company"] in (None, *person["companies"])
                   for a in person["addresses"])
    for domain, cid in truth["domains"].items():
        assert domain in companies[cid]["domains"]
    assert set(truth["free_mail_domains"]).isdisjoint(truth["domains"])
    assert truth["team_domains"] == ["acme-robotics.com"]


def test_a_gmail_mailbox_belongs_to_one_person(truth: dict[str, Any]) -> None:
    owners: dict[str, str] = {}
    for address, info in truth["addresses"].items():
        local, _, domain = address.rpartition("@")
        if info["person"] and domain in ("gmail.com", "googlemail.com"):
            mailbox = local.split("+", 1)[0].replace(".", "")
            assert owners.setdefault(mailbox, info["person"]) == info["person"]


def test_perturbations_are_planted(truth: dict[str, Any]) -> None:
    counts = truth["perturbations"]
    for kind in ("address:alias", "address:nickname", "address:personal",
                 "address:gmail_variant", "address:sister_domain", "address:job_change",
                 "address:assistant", "companies:several_domains", "companies:subsidiary",
                 "mailbox:role", "mailbox:shared", "persons:job_change",
                 "persons:same_name_other_company", "display:all_caps",
                 "display:last_first", "display:initial", "display:typo", "display:nickname"):
        assert counts.get(kind, 0) > 0, kind


def test_a_nickname_pair_is_one_person_with_two_names(truth: dict[str, Any]) -> None:
    pairs = []
    for address, info in truth["addresses"].items():
        if "nickname" in info["tags"]:
            person = truth["persons"][info["person"]]
            first = person["name"].split(" ")[0]
            assert person["nickname"] in NICKNAMES[first]
            if len(person["addresses"]) > 1:
                pairs.append(address)
    assert pairs


def test_a_job_change_moves_domain_and_signature(truth: dict[str, Any],
                                                 messages: list[Mail]) -> None:
    movers = {pid: p for pid, p in truth["persons"].items() if len(p["companies"]) > 1}
    new_addresses = {a: info for a, info in truth["addresses"].items()
                     if "job_change" in info["tags"]}
    assert movers and new_addresses
    signed = 0
    for message in messages:
        sender = message.sender
        if sender in new_addresses:
            person = truth["persons"][new_addresses[sender]["person"]]
            assert new_addresses[sender]["company"] == person["companies"][-1]
            company = truth["companies"][person["companies"][-1]]["name"]
            signed += company in message.text
    assert signed > 0


def test_a_multi_domain_company_is_one_company(truth: dict[str, Any]) -> None:
    multi = [c for c in truth["companies"].values() if len(c["domains"]) > 1]
    assert multi
    for company in multi:
        assert {truth["domains"][d] for d in company["domains"]} == \
            {next(k for k, v in truth["companies"].items() if v is company)}


def test_mailboxes_and_assistants_are_labelled(truth: dict[str, Any],
                                               messages: list[Mail]) -> None:
    shared = {a for a, i in truth["addresses"].items() if i["kind"] in ("role", "shared")}
    assert any(m.sender in shared for m in messages)
    assistants = {pid: p for pid, p in truth["persons"].items() if p["assistant_of"]}
    assert assistants
    for person in assistants.values():
        assert person["assistant_of"] in truth["persons"]
    assert any("on behalf of" in m.text for m in messages)


def test_signatures_carry_evidence(messages: list[Mail]) -> None:
    texts = [m.text for m in messages]
    assert any("linkedin.com/in/" in t for t in texts)
    assert any("Personal: " in t or "Alt: " in t for t in texts)
    assert sum("+44" in t or "+49" in t or "+1 " in t for t in texts) > 50


# ------------------------------------------------------------------ scorer


TRUTH = {"a": "p1", "b": "p1", "c": "p1", "d": "p2", "e": "p2"}


def test_perfect_prediction_scores_one() -> None:
    result = score.pair_score(TRUTH, TRUTH, TRUTH)
    assert (result.tp, result.predicted, result.true) == (4, 4, 4)
    assert result.precision == result.recall == result.f1 == 1.0


def test_fully_wrong_prediction_scores_zero() -> None:
    wrong = {"a": 1, "d": 1, "b": 2, "e": 2, "c": 3}
    result = score.pair_score(wrong, TRUTH, TRUTH)
    assert (result.tp, result.predicted, result.true) == (0, 2, 4)
    assert result.precision == result.recall == result.f1 == 0.0


def test_one_big_cluster_and_no_merges() -> None:
    lumped = score.pair_score(dict.fromkeys(TRUTH, 0), TRUTH, TRUTH)
    assert (lumped.tp, lumped.predicted, lumped.true) == (4, 10, 4)
    assert lumped.precision == pytest.approx(0.4)
    assert lumped.recall == 1.0
    assert lumped.f1 == pytest.approx(8 / 14)
    split = score.pair_score({k: k for k in TRUTH}, TRUTH, TRUTH)
    assert split.precision is None
    assert split.recall == split.f1 == 0.0
    missing = score.pair_score({}, TRUTH, TRUTH)
    assert (missing.precision, missing.recall) == (None, 0.0)


def test_partial_prediction_by_hand() -> None:
    # {a, b} right, {c, d} wrong, e alone: TP 1, predicted 2, true 4.
    result = score.pair_score({"a": 1, "b": 1, "c": 2, "d": 2, "e": 3}, TRUTH, TRUTH)
    assert (result.precision, result.recall) == (0.5, 0.25)
    assert result.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    only_p1 = score.pair_score({"a": 1, "b": 1, "c": 2, "d": 2}, TRUTH, ["a", "b", "c"])
    assert (only_p1.tp, only_p1.predicted, only_p1.true) == (1, 1, 3)


def test_recall_by_kind_and_false_pairs() -> None:
    tags = {"a": [], "b": ["nickname"], "c": ["personal", "gmail_variant"], "d": [],
            "e": ["personal"]}
    groups = {"p1": ["a", "b", "c"], "p2": ["d", "e"]}
    found = score.recall_by_kind({"a": 1, "b": 1, "c": 2, "d": 3, "e": 3}, groups, tags)
    assert found.as_dict() == {
        "nickname": {"found": 1, "true_pairs": 1, "recall": 1.0},
        "personal": {"found": 1, "true_pairs": 3, "recall": 1 / 3}}
    assert score.pair_kind(["personal"], ["personal", "gmail_variant"]) == "gmail_variant"
    assert score.pair_kind([], ["job_change", "alias"]) == "job_change"
    causes = score.false_pairs_by_cause({"a": 1, "b": 1, "d": 1, "e": 2}, TRUTH, TRUTH,
                                        lambda x, y: f"{x}-{y}")
    assert causes == {"p1-p2": 2}
    assert score.over_merged({"a": 1, "b": 1, "d": 1, "e": 2}, TRUTH, TRUTH) == (1, 2)


def test_merge_chains_are_followed() -> None:
    roots = score.resolve_roots({1: None, 2: 1, 3: 2, 4: None, 5: 5, 6: 99})
    assert roots == {1: 1, 2: 1, 3: 1, 4: 4, 5: 5, 6: 99}


def test_evaluate_reads_merges_from_the_four_tables(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE contacts (id INTEGER PRIMARY KEY, merged_into_id INTEGER,
                                   is_internal BOOLEAN);
            CREATE TABLE contact_emails (email TEXT PRIMARY KEY, contact_id INTEGER);
            CREATE TABLE accounts (id INTEGER PRIMARY KEY, merged_into_id INTEGER);
            CREATE TABLE account_domains (domain TEXT PRIMARY KEY, account_id INTEGER);
            INSERT INTO contacts VALUES (1, NULL, 0), (2, 1, 0), (3, NULL, 0), (4, NULL, 1),
                                        (5, NULL, 0);
            INSERT INTO contact_emails VALUES ('john.doe@acme.com', 1),
                ('johndoe@gmail.com', 2), ('sales@acme.com', 3), ('alice@acme-robotics.com', 4),
                ('jane@beta.de', 5);
            INSERT INTO accounts VALUES (10, NULL), (11, 10), (12, NULL), (13, NULL);
            INSERT INTO account_domains VALUES ('acme.com', 10), ('acme.co.uk', 11),
                ('beta.de', 12), ('gmail.com', 13);
        """)
    person = {"kind": "person", "tags": []}
    truth = {
        "addresses": {
            "john.doe@acme.com": {**person, "person": "p1", "company": "c1"},
            "john.doe+crm@gmail.com": {**person, "person": "p1", "company": None,
                                       "tags": ["personal", "gmail_variant"]},
            "jane@beta.de": {**person, "person": "p2", "company": "c2"},
            "sales@acme.com": {"kind": "shared", "person": None, "company": "c1", "tags": []},
            "alice@acme-robotics.com": {"kind": "team", "person": None, "company": None,
                                        "tags": []}},
        "persons": {"p1": {"name": "John Doe", "assistant_of": None,
                           "addresses": ["john.doe@acme.com", "john.doe+crm@gmail.com"]},
                    "p2": {"name": "Jane Roe", "assistant_of": None,
                           "addresses": ["jane@beta.de"]}},
        "companies": {"c1": {"name": "Acme", "parent": None,
                             "domains": ["acme.co.uk", "acme.com"]},
                      "c2": {"name": "Beta", "parent": None, "domains": ["beta.de"]}},
        "domains": {"acme.com": "c1", "acme.co.uk": "c1", "beta.de": "c2"},
        "free_mail_domains": ["gmail.com"], "team_domains": ["acme-robotics.com"]}
    result = eval_identity.evaluate(truth, f"sqlite:///{path}")
    contacts, accounts = result["contacts"], result["accounts"]
    assert contacts["pairwise"]["f1"] == 1.0
    assert contacts["recall_by_kind"]["personal"]["found"] == 1
    assert (contacts["junk_contacts"], contacts["junk_addresses_by_kind"]) == (1, {"shared": 1})
    assert contacts["external_contacts"] == 3
    assert accounts["pairwise"]["f1"] == 1.0
    assert accounts["accounts_from_free_mail"] == 1
    assert accounts["accounts_from_team_domains"] == 0


# ------------------------------------------------------------------ end to end


def test_eval_imports_through_syncd_and_prints_json(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "eval_identity.py"), "--people", "40", "--companies",
         "10", "--messages", "150", "--seed", "3", "--json"],
        capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(done.stdout)
    assert result["run"]["messages"] == 150
    contacts = result["contacts"]
    assert contacts["person_addresses"] > 0
    assert contacts["person_addresses_without_contact"] < contacts["person_addresses"]
    for block in (contacts["pairwise"], result["accounts"]["pairwise"]):
        assert block["true_pairs"] >= block["tp"] >= 0
        assert block["recall"] is None or 0.0 <= block["recall"] <= 1.0


def test_the_scale_benchmark_prints_resolution_time_per_size(tmp_path: Path) -> None:
    """bench/identity_scale.py at toy sizes: both sizes synced and timed, the ratio
    printed (its figures are the README's, measured at 1,000 and 1,000,000)."""
    done = subprocess.run([sys.executable, str(BENCH / "identity_scale.py"), "--sizes",
                           "100,400", "--messages", "6"], capture_output=True, text=True,
                          timeout=240, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split() for line in done.stdout.splitlines()
            if line.strip().startswith(("100 ", "400 ")) and line.endswith("x")]
    assert [row[0] for row in rows] == ["100", "400"]
    assert rows[0][-1] == "1.00x" and float(rows[1][-1].rstrip("x")) > 0
    assert "400 contacts: filled in" in done.stdout
