"""The token store: each source's sign-in (token JSON), encrypted at rest.

The ``credentials`` table holds only Fernet ciphertext (:mod:`syncd.secrets`), so
a copied database file yields no usable token without the key, which lives apart
from it (an environment variable or a 0600 key file).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from syncd.db.models import Credential
from syncd.secrets import Cipher


def save_token(session: Session, cipher: Cipher, source: str, token_json: str) -> None:
    """Store (or replace) ``source``'s token, encrypted."""
    row = session.get(Credential, source)
    secret, now = cipher.encrypt(token_json), datetime.now(UTC)
    if row is None:
        session.add(Credential(source=source, secret=secret, updated_at=now))
    else:
        row.secret, row.updated_at = secret, now


def has_token(session: Session, source: str) -> bool:
    return session.get(Credential, source) is not None


def load_token(session: Session, cipher: Cipher, source: str) -> str | None:
    """``source``'s token JSON, decrypted; None when it never signed in."""
    secret = session.execute(select(Credential.secret).where(
        Credential.source == source)).scalar_one_or_none()
    return None if secret is None else cipher.decrypt(secret)


def delete_token(session: Session, source: str) -> bool:
    """Forget ``source``'s sign-in; True if there was one."""
    result = session.execute(delete(Credential).where(Credential.source == source))
    return bool(cast(CursorResult[Any], result).rowcount)
