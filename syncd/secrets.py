"""The key that encrypts stored sign-ins, and the encryption itself (Fernet).

Fernet (AES-128-CBC + HMAC-SHA256, https://github.com/fernet/spec) gives
authenticated encryption with one 32-byte url-safe base64 key. The key comes from
``$SYNCD_SECRET_KEY`` if set, else from ``secrets.key_file`` (``syncd.key`` beside
the config file), which ``syncd init`` creates readable by its owner only. A secret
that cannot be decrypted (another key, a tampered row) is a :class:`ConfigError`,
as is a missing key: both name where the key was looked for, never the key itself.
Nothing here logs, prints or puts a key or a plaintext into an error message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from syncd.errors import ConfigError

ENV = "SYNCD_SECRET_KEY"


class Cipher:
    """Encrypts with the first of its Fernet keys and decrypts with any of them (a key
    file holds two while ``syncd secrets rotate`` runs); ``where`` names their origin."""

    def __init__(self, keys: bytes, where: str) -> None:
        self.where = where
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys.split()])
        except ValueError:
            raise ConfigError([f"{where}: not a Fernet key (32 url-safe base64-encoded "
                               "bytes; `syncd init` makes one)"]) from None

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, blob: bytes) -> str:
        try:
            return self._fernet.decrypt(blob).decode("utf-8")
        except InvalidToken:
            raise ConfigError([f"a stored secret does not decrypt with the key from "
                               f"{self.where}: the key changed, or the row was altered"]
                              ) from None


def load_cipher(key_file: Path, env: Mapping[str, str] = os.environ) -> Cipher:
    """The cipher for ``$SYNCD_SECRET_KEY``, else for ``key_file``."""
    if env.get(ENV):
        return Cipher(env[ENV].strip().encode("ascii", "replace"), f"${ENV}")
    try:
        key = key_file.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigError([f"no secret key: ${ENV} is not set and {key_file} does not "
                           "exist (`syncd init` creates it)"]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read the secret key file {key_file}: "
                           f"{exc.strerror}"]) from None
    return Cipher(key, str(key_file))


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace ``path`` with ``keys`` (one a line), atomically and mode 0600 from the
    start: the file is never readable by others, nor ever half written."""
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(b"".join(key + b"\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def new_key() -> bytes:
    return Fernet.generate_key()


def create_key_file(path: Path) -> bool:
    """Write a new key to ``path`` (mode 0600) unless it exists; True if written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(Fernet.generate_key() + b"\n")
    return True
