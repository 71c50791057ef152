"""``syncd secrets rotate``: every stored sign-in re-encrypted with a new key, the key
file replaced (0600), neither key printed; a key file caught mid-rotation (new and
old key) still decrypts everything."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from syncd.db.models import Credential
from syncd.db.session import session_scope
from syncd.secrets import ENV, Cipher, load_cipher
from syncd.store.credentials import load_token, save_token
from tests.test_cli import syncd

TOKENS = {"alice": '{"refresh_token": "r-alice"}', "bob": '{"refresh_token": "r-bob"}'}


def test_rotation_re_encrypts_every_sign_in(make_app: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    key_file = tmp_path / "syncd.key"
    old_key = Fernet.generate_key()
    key_file.write_bytes(old_key + b"\n")
    app = make_app([], secrets={"key_file": str(key_file)})
    old = load_cipher(key_file)
    with session_scope(app.sessions) as session:
        for source, token in TOKENS.items():
            save_token(session, old, source, token)
        before = dict(session.execute(select(Credential.source, Credential.secret)).all())

    done = syncd(tmp_path / "syncd.yaml", "secrets", "rotate")
    assert "re-encrypted 2 stored sign-in(s)" in done.stdout
    new_key = key_file.read_bytes().strip()
    assert new_key != old_key and len(new_key.split()) == 1
    assert old_key.decode() not in done.stdout + done.stderr
    assert new_key.decode() not in done.stdout + done.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new = load_cipher(key_file)
    with session_scope(app.sessions) as session:
        after = dict(session.execute(select(Credential.source, Credential.secret)).all())
        assert {s: load_token(session, new, s) for s in TOKENS} == TOKENS
    assert all(after[s] != before[s] for s in TOKENS)
    with pytest.raises(Exception, match="does not decrypt"):
        old.decrypt(after["alice"])


def test_a_key_file_mid_rotation_decrypts_with_either_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    both = Cipher(new + b"\n" + old + b"\n", "syncd.key")
    assert both.decrypt(Cipher(old, "old").encrypt("x")) == "x"
    assert Cipher(new, "new").decrypt(both.encrypt("y")) == "y"  # encrypts with the new


def test_an_environment_key_is_not_rotated_here(make_app: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    make_app([])
    monkeypatch.setenv(ENV, Fernet.generate_key().decode())
    refused = subprocess.run([sys.executable, "-m", "syncd", "--config",
                              str(tmp_path / "syncd.yaml"), "secrets", "rotate"],
                             capture_output=True, text=True, check=False,
                             env={**os.environ, "COLUMNS": "200"})
    assert refused.returncode == 2 and "rotate it where that variable is set" in refused.stdout
