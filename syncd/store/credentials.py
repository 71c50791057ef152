"""The token store: each source's sign-in (token JSON), encrypted at rest.

The ``credentials`` table holds only Fernet ciphertext (:mod:`syncd.secrets`), so
a copied database file yields no usable token without the key, which lives apart
from it (an environment variable or a 0600 key file).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
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


def stored_secret(session: Session, source: str) -> bytes | None:
    """``source``'s token as stored (ciphertext); None when it never signed in. The
    runner asks this first, so the key is read only for a source that has a token."""
    return session.execute(select(Credential.secret).where(
        Credential.source == source)).scalar_one_or_none()


def load_token(session: Session, cipher: Cipher, source: str) -> str | None:
    """``source``'s token JSON, decrypted; None when it never signed in."""
    secret = stored_secret(session, source)
    return None if secret is None else cipher.decrypt(secret)


def rotate(session: Session, old: Cipher, new: Cipher) -> int:
    """Every stored sign-in decrypted with ``old`` and encrypted again with ``new``, in
    the caller's transaction; returns how many."""
    rows = session.execute(select(Credential)).scalars().all()
    now = datetime.now(UTC)
    for row in rows:
        row.secret, row.updated_at = new.encrypt(old.decrypt(row.secret)), now
    return len(rows)
