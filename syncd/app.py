"""The running application: validated config, database and lists, built once.

The CLI and the daemon both start from :func:`open_app`, so there is one place
that bootstraps config and database (no script bootstraps its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from enrichment.domains import DomainLists
from enrichment.identity import IdentityRules
from syncd.config import ConfigBase, SourceCommon
from syncd.db.schema import upgrade
from syncd.db.session import make_engine
from syncd.kept import Kept
from syncd.lists import load_identity_rules, load_lists
from syncd.pipeline import Context
from syncd.secrets import Cipher, load_cipher


@dataclass
class App:
    config: ConfigBase

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.config.database.url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def lists(self) -> DomainLists:
        return load_lists(self.config.lists)

    @cached_property
    def identity(self) -> IdentityRules:
        """What identity matching reads (:mod:`enrichment.identity`)."""
        return load_identity_rules(self.config.lists, self.config.identity)

    @cached_property
    def cipher(self) -> Cipher:
        """The key for stored sign-ins, read when first needed (ConfigError if none)."""
        return load_cipher(self.config.secrets.key_file)

    @cached_property
    def kept(self) -> Kept:
        """Connections kept open between the runs of a source (:mod:`syncd.kept`)."""
        return Kept()

    def upgrade(self) -> tuple[str | None, str | None]:
        return upgrade(self.engine)

    def context(self, source: SourceCommon) -> Context:
        """What the pipeline needs to decide about this source's messages."""
        return Context(
            source=source.name,
            owner=frozenset(source.owner),
            internal_domains=frozenset(self.config.team.internal_domains),
            policy=self.config.capture_for(source),
            lists=self.lists,
            case_sensitive=frozenset(self.config.identity.case_sensitive_domains),
            content_cutoff=None if self.config.retention.content is None
            else datetime.now(UTC) - self.config.retention.content,
        )

    def close(self) -> None:
        if "kept" in self.__dict__:
            self.kept.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
