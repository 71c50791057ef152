"""The explicit index of source kinds: ``kind:`` in YAML -> connector class.

No plugin scanning: a kind exists because it is listed here. Modules are imported
only when a kind is used, so a connector's heavy client library costs nothing to
a configuration that does not use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from connectors.base import Connector

KINDS: dict[str, str] = {
    "maildir": "connectors.maildir:MaildirConnector",
    "mbox": "connectors.mbox:MboxConnector",
    "eml": "connectors.eml:EmlConnector",
    "imap": "connectors.imap:ImapConnector",
    "gmail": "connectors.gmail:GmailConnector",
    "google_calendar": "connectors.google_calendar:GoogleCalendarConnector",
    "outlook_mail": "connectors.outlook_mail:OutlookMailConnector",
    "outlook_calendar": "connectors.outlook_calendar:OutlookCalendarConnector",
}


def connector_class(kind: str) -> type[Connector]:
    """The class registered for ``kind``; ``KeyError`` for an unknown kind."""
    module_name, _, class_name = KINDS[kind].partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), class_name)
    return cls


def settings_class(kind: str) -> type[BaseModel]:
    """The pydantic model of the kind's own YAML keys."""
    return connector_class(kind).Settings
