"""Configuration: typed at load, every problem named by its YAML path and line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.cli.setup import schema
from syncd.configfile import find_config, load_config
from syncd.configtypes import parse_duration
from syncd.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "syncd.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env or {})


def problems(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return caught.value.problems


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("365d", 365 * 86400),
    ("2w", 14 * 86400), (" 1h 5m ", 3900)])
def test_durations(text: object, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["5 minutes", "m5", "", "1.5h", -3, True, "5x"])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_a_full_file_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    config = load(tmp_path, """
database: {url: "sqlite:///data/crm.db"}
team: {internal_domains: ["@Acme-Robotics.com"]}
capture: {visibility: metadata, deny: ["*@lawyer.example"]}
sources:
  - {name: a, kind: maildir, path: mail, owner: Alice@Acme-Robotics.com, every: 10m}
  - {name: b, kind: mbox, path: /abs/x.mbox, capture: {visibility: full, deny: [x.example]}}
""")
    assert config.database.url == f"sqlite:///{tmp_path / 'data' / 'crm.db'}"
    assert config.team.internal_domains == ("acme-robotics.com",)
    first, second = config.sources
    assert first.path == tmp_path / "mail"  # type: ignore[attr-defined]
    assert first.owner == ("alice@acme-robotics.com",)
    assert first.every == timedelta(minutes=10)
    assert config.capture_for(first).visibility == "metadata"
    policy = config.capture_for(second)
    assert policy.visibility == "full"
    assert policy.deny == ("*@lawyer.example", "x.example")


def test_env_interpolation_and_escape(tmp_path: Path) -> None:
    config = load(tmp_path, """
database: {url: 'postgresql://${DB_USER}@127.0.0.1/crm'}
sources:
  - {name: a, kind: eml, path: '$${NOT_A_VAR}/x'}
""", {"DB_USER": "crm"})
    assert config.database.url == "postgresql+psycopg://crm@127.0.0.1/crm"
    assert str(config.sources[0].path).endswith("${NOT_A_VAR}/x")  # type: ignore[attr-defined]


def test_missing_variable_names_its_path(tmp_path: Path) -> None:
    found = problems(tmp_path, "sources:\n  - name: a\n    kind: maildir\n"
                     "    path: ${MAILDIR_ROOT}/x\n")
    assert any("sources[0].path: environment variable MAILDIR_ROOT is not set" in p
               for p in found)


def test_unknown_key_wrong_type_and_unknown_kind_all_reported_with_lines(
        tmp_path: Path) -> None:
    found = problems(tmp_path, """\
capture:
  visibility: everything
sources:
  - {name: a, kind: maildir, path: m}
  - {name: b, kind: maildir, path: m, every: soon}
  - name: c
    kind: maildir
    path: m
    folderz: [INBOX]
  - {name: d, kind: pop3}
""")
    text = "\n".join(found)
    assert "syncd.yaml:2: capture.visibility:" in text
    assert "syncd.yaml:5: sources[1].every: Value error, not a duration" in text
    assert "syncd.yaml:9: sources[2].folderz: unknown key" in text
    assert "sources[3]" in text and "unknown kind 'pop3'" in text
    assert len(found) == 4


def test_duplicate_source_names(tmp_path: Path) -> None:
    found = problems(tmp_path, "sources:\n  - {name: a, kind: eml, path: x}\n"
                     "  - {name: a, kind: eml, path: y}\n")
    assert found == [f"{tmp_path / 'syncd.yaml'}: sources[1].name: 'a' is used twice"]


def test_bad_yaml_and_bad_database_url(tmp_path: Path) -> None:
    assert "not valid YAML" in problems(tmp_path, "sources: [\n")[0]
    assert "database.url" in problems(tmp_path, "database: {url: 'mysql://x/y'}\n")[0]


CLEAR_SECRETS = """\
database: {url: 'postgresql://crm:hunter2@127.0.0.1/crm'}
sources:
  - name: mail
    kind: imap
    host: 127.0.0.1
    username: alice
    password: hunter2
  - {name: calendar, kind: outlook_calendar, mailbox: a@acme.example,
     auth: {type: client_credentials, tenant: t, client_id: c, client_secret: '${SECRET}'}}
"""


def test_clear_text_secrets_in_a_file_others_can_read_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, CLEAR_SECRETS, {"SECRET": "s"})
    assert [p.split(": a secret")[0] for p in found] == [
        f"{tmp_path / 'syncd.yaml'}:1: database.url",
        f"{tmp_path / 'syncd.yaml'}:7: sources[0].password"]
    assert all("(mode 0644); `chmod 600" in p and "hunter2" not in p for p in found)
    (tmp_path / "syncd.yaml").chmod(0o600)
    assert load_config(tmp_path / "syncd.yaml", {"SECRET": "s"}).sources[0].name == "mail"


def test_secrets_from_the_environment_need_no_private_file(tmp_path: Path) -> None:
    text = CLEAR_SECRETS.replace("crm:hunter2@", "crm:${DB_PASSWORD}@").replace(
        "password: hunter2", "password: ${IMAP_PASSWORD}")
    config = load(tmp_path, text, {"SECRET": "s", "DB_PASSWORD": "p", "IMAP_PASSWORD": "i"})
    assert (tmp_path / "syncd.yaml").stat().st_mode & 0o077
    assert config.sources[0].password.get_secret_value() == "i"  # type: ignore[attr-defined]


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, from_env, local = (tmp_path / n for n in ("a.yaml", "b.yaml", "syncd.yaml"))
    for path in (explicit, from_env, local):
        path.write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert find_config(explicit, {"SYNCD_CONFIG": str(from_env)}) == explicit
    assert find_config(None, {"SYNCD_CONFIG": str(from_env)}) == from_env
    assert find_config(None, {}) == Path("syncd.yaml")
    local.unlink()
    with pytest.raises(ConfigError, match="syncd init"):
        find_config(None, {})


def test_committed_schema_is_current() -> None:
    committed = json.loads((REPO / "docs" / "config.schema.json").read_text())
    assert committed == json.loads(json.dumps(schema())), (
        "run: syncd config schema > docs/config.schema.json")


def test_init_writes_a_private_file_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "conf" / "syncd.yaml"
    done = subprocess.run([sys.executable, "-m", "syncd", "init", str(target)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    config = load_config(target, {})
    assert config.sources[0].kind == "maildir"
    again = subprocess.run([sys.executable, "-m", "syncd", "init", str(target)],
                           capture_output=True, text=True, check=False)
    assert again.returncode == 1 and "exists" in again.stdout


def test_config_check_exit_code_and_message(tmp_path: Path) -> None:
    path = tmp_path / "syncd.yaml"
    path.write_text("sources:\n  - {name: a, kind: maildir}\n")
    done = subprocess.run([sys.executable, "-m", "syncd", "--config", str(path), "config",
                           "check"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "sources[0].path: Field required" in done.stderr
