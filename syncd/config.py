"""The configuration's typed shape, validated once at start (pydantic v2).

Every model forbids unknown keys, so a typo refuses to start instead of being
ignored. Source entries are a union tagged by ``kind``: the keys every source has
(:class:`SourceCommon`) plus the connector's own ``Settings``, built from the
connector registry so the JSON Schema and the validation never drift apart.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, create_model, field_validator

from connectors.registry import KINDS, settings_class
from enrichment.providers.settings import EnrichmentSettings
from syncd.configtypes import ConfigPath, Domain, Duration, Strict

Visibility = Literal["metadata", "subject", "snippet", "full"]
ContactsRule = Literal["sent_and_received", "sent", "none"]


class MeetingPolicy(Strict):
    """Which calendar events count as meetings with someone; by default only timed
    events the owner did not decline, with at least one other person invited."""

    all_day: bool = Field(False, description=(
        "capture all-day events (usually holidays, trips and reminders, not meetings)"))
    without_attendees: bool = Field(False, description=(
        "capture events with nobody but the calendar's owner on them"))
    declined: bool = Field(False, description="capture events the owner declined")


class CapturePolicy(Strict):
    """What syncd keeps of each message; the team default, overridable per source."""

    visibility: Visibility = Field("snippet", description=(
        "metadata: participants and time only; subject: plus the subject; "
        "snippet: plus the first 200 characters of the new text; full: plus the new text"))
    contacts: ContactsRule = Field("sent_and_received", description=(
        "who becomes a contact: everyone external; only people the team wrote to; nobody"))
    internal_conversations: bool = Field(False, description=(
        "store conversations in which every participant is a colleague"))
    deny: tuple[str, ...] = Field((), description=(
        "address or domain globs never captured: a message with any of them is skipped"))
    allow: tuple[str, ...] = Field((), description=(
        "address or domain globs always treated as people, even if they look automated"))
    meetings: MeetingPolicy = Field(MeetingPolicy(), description=(
        "which calendar events are meetings"))


class CaptureOverride(Strict):
    """A source's changes to the team policy; ``deny``/``allow`` add to the team's."""

    visibility: Visibility | None = None
    contacts: ContactsRule | None = None
    internal_conversations: bool | None = None
    deny: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    meetings: MeetingPolicy | None = None

    def apply(self, team: CapturePolicy) -> CapturePolicy:
        """The effective policy of a source."""
        return CapturePolicy(
            visibility=self.visibility or team.visibility,
            contacts=self.contacts or team.contacts,
            internal_conversations=(team.internal_conversations
                                    if self.internal_conversations is None
                                    else self.internal_conversations),
            deny=team.deny + self.deny,
            allow=team.allow + self.allow,
            meetings=self.meetings or team.meetings,
        )


class ListOverride(Strict):
    """Changes to one of the bundled data lists (free mail, role, automated)."""

    file: ConfigPath | None = Field(None, description="replace the bundled list with this file")
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


class Lists(Strict):
    free_mail_domains: ListOverride = ListOverride()
    role_local_parts: ListOverride = ListOverride()
    automated_senders: ListOverride = ListOverride()
    subaddress_domains: ListOverride = ListOverride()
    nicknames: ListOverride = ListOverride()


class IdentityPolicy(Strict):
    same_company: tuple[tuple[Domain, ...], ...] = Field((), description=(
        "groups of domains that are one company (a redirecting alias, a rebrand, a "
        "country domain): their accounts merge"))
    case_sensitive_domains: tuple[Domain, ...] = Field((), description=(
        "domains whose mail servers deliver John.Doe@ and john.doe@ to two people (RFC "
        "5321 allows it; a few legacy systems do it): their addresses keep the local "
        "part's case. Every other address is case-folded, as nearly every server treats it"))
    auto_merge: float = Field(0.9, ge=0.5, le=1.0, description=(
        "the evidence score from which two contacts or accounts merge without asking; "
        "from 0.5 up to it they wait for a person in `syncd merges pending`"))


class Team(Strict):
    internal_domains: tuple[Domain, ...] = Field((), description=(
        "the team's own mail domains: people there are colleagues, never customers"))


class Database(Strict):
    url: str = Field("sqlite:///syncd.db", description=(
        "SQLAlchemy URL; a relative SQLite path is relative to the config file"))
    lease: Duration = Field(timedelta(minutes=2), description=(
        "how long a process holds a source without renewing it (it renews every quarter "
        "of this while it syncs): a process that died on another host has its sources "
        "taken over this long after its last renewal"))

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str, info: ValidationInfo) -> str:
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite:///", "postgresql+psycopg://")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        path = value.removeprefix("sqlite:///")
        base = (info.context or {}).get("base_dir")
        if value.startswith("sqlite:///") and path and not Path(path).is_absolute() and base:
            value = f"sqlite:///{Path(base) / path}"
        return value


class Logging(Strict):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["human", "json"] = "human"


class Metrics(Strict):
    listen: str | None = Field(None, pattern=r"^[^:\s]+:[0-9]{1,5}$", description=(
        "HOST:PORT where `syncd run` serves /metrics (Prometheus) and /health; off when "
        "unset. Keep it on 127.0.0.1 unless a scraper elsewhere needs it"))


class Secrets(Strict):
    key_file: ConfigPath = Field(Path("syncd.key"), validate_default=True, description=(
        "the Fernet key that encrypts stored sign-ins, used when $SYNCD_SECRET_KEY is "
        "not set; relative to this file; `syncd init` creates it (mode 0600)"))


class Retention(Strict):
    content: Duration | None = Field(None, description=(
        "after this long, what a message or meeting said (subject, snippet, body, "
        "location) and quarantined items are dropped; who took part and when stay. "
        "Unset: kept for as long as the database lives"))
    every: Duration = Field(timedelta(days=1), description=(
        "how often `syncd run` applies it (`syncd retention apply` does it now)"))


class SourceCommon(Strict):
    """Keys every source has, whatever its kind."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
    kind: str
    owner: tuple[str, ...] = Field((), description=(
        "the mailbox owner's addresses: mail from them is outbound"))
    every: Duration = Field(timedelta(minutes=5), description="how often the daemon syncs it")
    backfill: Duration | None = Field(None, description="how far back a first sync reaches")
    lag_alert: Duration | None = Field(None, description=(
        "/health turns unhealthy when the newest captured item is older than this "
        "(for a mailbox that is never quiet that long)"))
    capture: CaptureOverride = CaptureOverride()

    @field_validator("owner", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value

    @field_validator("owner")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in value)


class ConfigBase(Strict):
    """The whole file. ``sources`` is typed per kind by :func:`config_model`."""

    database: Database = Database()
    team: Team = Team()
    capture: CapturePolicy = CapturePolicy()
    lists: Lists = Lists()
    identity: IdentityPolicy = IdentityPolicy()
    logging: Logging = Logging()
    metrics: Metrics = Metrics()
    retention: Retention = Retention()
    enrichment: EnrichmentSettings = EnrichmentSettings()
    secrets: Secrets = Field({}, validate_default=True)  # validated: key_file resolves
    sources: tuple[SourceCommon, ...] = ()

    def source(self, name: str) -> SourceCommon:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)

    def capture_for(self, source: SourceCommon) -> CapturePolicy:
        return source.capture.apply(self.capture)


@cache
def config_model() -> type[ConfigBase]:
    """``ConfigBase`` whose sources are a union tagged by ``kind`` over the registry."""
    variants: list[Any] = [
        create_model(f"{kind.title().replace('_', '')}Source",
                     __base__=(SourceCommon, settings_class(kind)),
                     kind=(Literal[kind], ...))
        for kind in KINDS
    ]
    union: Any = Annotated[variants[0] if len(variants) == 1 else _union(variants),
                           Field(discriminator="kind")]
    return create_model("Config", __base__=ConfigBase, sources=(tuple[union, ...], ()))


def _union(variants: list[Any]) -> Any:
    result = variants[0]
    for variant in variants[1:]:
        result = result | variant
    return result


def unique_source_names(config: ConfigBase) -> list[str]:
    """Problems with duplicate source names, which validation alone cannot see."""
    seen: set[str] = set()
    problems = []
    for index, source in enumerate(config.sources):
        if source.name in seen:
            problems.append(f"sources[{index}].name: {source.name!r} is used twice")
        seen.add(source.name)
    return problems
