"""Graph v1.0 routes: who may call them, and the handlers for mail and calendar.

Owner segments are ``me`` (delegated tokens only: an app-only ``/me`` is a 400,
"/me request is only valid with delegated authentication flow.") and
``users/{id | userPrincipalName}``. A delegated token reaches only its own user's
mailbox (403 ``ErrorAccessDenied`` otherwise); an app-only token any mailbox of its
tenant. Permissions (V-doc message-delta / event-delta permission tables):
mail needs ``Mail.ReadBasic``/``Mail.ReadBasic.All``/``Mail.Read``/``Mail.ReadWrite``
and ReadBasic grants get no ``body``, ``bodyPreview`` or ``uniqueBody`` (the
properties are left out rather than refused [UNVERIFIED]); calendar needs
``Calendars.Read``/``Calendars.ReadBasic``/``Calendars.ReadWrite``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.fakes.graph_calendar import Calendar
from tests.fakes.graph_delta import DeltaState, Snapshot, page_size, query_of
from tests.fakes.graph_mail import BODY_FIELDS, DEFAULT_FIELDS, Mailbox
from tests.fakes.graph_wire import GraphError, Reply, access_denied, bad_request, json_reply
from tests.fakes.ms_identity import Grant

_OWNER = r"/(?P<owner>me|users/(?P<user>[^/]+))"
_FOLDER = r"/mail[Ff]olders(?:/(?P<folder>[^/(]+)|\('(?P<quoted>[^']+)'\))"
ROUTES: list[tuple[str, str, str]] = [
    ("GET", _OWNER, "user"),
    ("GET", _OWNER + r"/mail[Ff]olders", "mail.folders"),
    ("GET", _OWNER + _FOLDER, "mail.folder"),
    ("GET", _OWNER + _FOLDER + r"/messages/delta", "mail.delta"),
    ("GET", _OWNER + _FOLDER + r"/messages", "mail.messages"),
    ("GET", _OWNER + r"/messages/(?P<message>[^/]+)", "mail.message"),
    ("GET", _OWNER + r"/calendar[Vv]iew/delta", "calendar.delta"),
    ("GET", _OWNER + r"/calendar[Vv]iew", "calendar.view"),
]
MAIL_BASIC = frozenset({"Mail.ReadBasic", "Mail.ReadBasic.All"})
MAIL_FULL = frozenset({"Mail.Read", "Mail.ReadWrite"})
CALENDARS = frozenset({"Calendars.Read", "Calendars.ReadBasic", "Calendars.ReadWrite"})
USER_READ = frozenset({"User.Read", "User.Read.All", "User.ReadBasic.All"})
NEEDS: dict[str, frozenset[str]] = {
    "mail.folders": MAIL_BASIC | MAIL_FULL, "mail.folder": MAIL_BASIC | MAIL_FULL,
    "mail.delta": MAIL_BASIC | MAIL_FULL, "mail.message": MAIL_BASIC | MAIL_FULL,
    "mail.messages": MAIL_BASIC | MAIL_FULL, "calendar.view": CALENDARS,
    "calendar.delta": CALENDARS, "user": USER_READ | MAIL_BASIC | MAIL_FULL | CALENDARS}
_FILTER = re.compile(r"\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*", re.IGNORECASE)
_COMPARISON = re.compile(r"receivedDateTime\s+(ge|gt|le|lt)\s+(\S+)", re.IGNORECASE)
_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "ge": lambda a, b: a >= b, "gt": lambda a, b: a > b,
    "le": lambda a, b: a <= b, "lt": lambda a, b: a < b}
LIST_PAGE, LIST_MAX = 10, 1000
"""Plain listings: ``$top`` default and cap."""


@dataclass(frozen=True)
class GraphCall:
    """One routed, authenticated Graph request as a handler sees it."""

    endpoint: str
    args: dict[str, str]
    query: dict[str, list[str]]
    prefer: list[str]
    grant: Grant
    upn: str  # the mailbox owner
    owner: str  # the owner segment as requested (me | users/x), reused in links

    def param(self, name: str) -> str | None:
        """A query parameter; names are case-insensitive (the docs' own samples send
        ``startdatetime``)."""
        wanted = name.lower()
        values = next((v for k, v in self.query.items() if k.lower() == wanted), None)
        return values[0] if values else None


def route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(endpoint, path arguments) for a path under ``/v1.0``."""
    for route_method, pattern, endpoint in ROUTES:
        match = re.fullmatch(pattern, path)
        if match and method == route_method:
            return endpoint, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()
                              if v is not None}
    return None


def prefer_values(header: str) -> list[str]:
    """``Prefer`` entries; several may share one header, comma-separated."""
    return [part.strip() for part in header.split(",") if part.strip()]


class GraphApi:
    """Handlers over the fake's mailboxes and calendars."""

    def __init__(self, base_url: Callable[[], str], mailboxes: dict[str, Mailbox],
                 calendars: dict[str, Calendar]) -> None:
        self._base_url = base_url
        self.mailboxes, self.calendars = mailboxes, calendars

    def handle(self, call: GraphCall) -> Reply:
        if not call.grant.permissions & NEEDS[call.endpoint]:
            raise access_denied()
        if call.endpoint == "user":
            return self._user(call)
        if call.endpoint == "calendar.delta":
            return self._calendar_delta(call)
        if call.endpoint == "calendar.view":
            return self._calendar_view(call)
        mailbox = self.mailboxes[call.upn]
        if call.endpoint == "mail.folders":
            return json_reply({"@odata.context": f"{self._base_url()}/$metadata#users('"
                                                 f"{call.upn}')/mailFolders",
                               "value": [self._folder(mailbox, f.id)
                                         for f in mailbox.folders.values()]})
        if call.endpoint == "mail.folder":
            return json_reply(self._folder(mailbox, self._folder_id(mailbox, call)))
        if call.endpoint == "mail.message":
            stored = mailbox.messages.get(call.args["message"])
            if stored is None:
                raise GraphError(404, "ErrorItemNotFound",
                                 "The specified object was not found in the store.")
            return self._message_reply(call, mailbox, [(stored.id, False)], None)
        if call.endpoint == "mail.messages":
            return self._mail_list(call, mailbox)
        return self._mail_delta(call, mailbox)

    # -- profile and folders --------------------------------------------------------
    def _user(self, call: GraphCall) -> Reply:
        mailbox = self.mailboxes[call.upn]
        calendar = self.calendars[call.upn]
        return json_reply({"@odata.context": f"{self._base_url()}/$metadata#users/$entity",
                           "id": mailbox.object_id, "userPrincipalName": mailbox.upn,
                           "mail": mailbox.upn, "displayName": calendar.name,
                           "businessPhones": [], "givenName": calendar.name.split()[0],
                           "surname": None, "jobTitle": None, "officeLocation": None,
                           "preferredLanguage": "en-US", "mobilePhone": None})

    def _folder_id(self, mailbox: Mailbox, call: GraphCall) -> str:
        name = call.args.get("folder") or call.args.get("quoted") or ""
        try:
            return mailbox.folder(name).id
        except KeyError:
            raise GraphError(404, "ErrorItemNotFound",
                             "The specified object was not found in the store.") from None

    def _folder(self, mailbox: Mailbox, folder_id: str) -> dict[str, Any]:
        messages = mailbox.in_folder(folder_id)
        return mailbox.folders[folder_id].resource(
            len(messages), sum(1 for m in messages if not m.is_read))

    def _context(self, entity: str) -> str:
        """Delta answers name a collection of the entity (documented samples)."""
        return f"{self._base_url()}/$metadata#Collection({entity})"

    def _change_type(self, call: GraphCall) -> str | None:
        change_type = call.param("changeType")
        if change_type not in (None, "created", "updated", "deleted"):
            raise bad_request(f"Invalid changeType '{change_type}'.")  # text UNVERIFIED
        return change_type

    # -- mail delta -----------------------------------------------------------------
    def _mail_delta(self, call: GraphCall, mailbox: Mailbox) -> Reply:
        folder_id = self._folder_id(mailbox, call)
        state = mailbox.folders[folder_id].delta
        # the documented links use this form, whatever form the request used
        link = f"{self._base_url()}/{call.owner}/mailfolders('{folder_id}')/messages/delta"
        size, applied = page_size(call.prefer)
        skiptoken, deltatoken = call.param("$skiptoken"), call.param("$deltatoken")
        if skiptoken is None:
            base: Snapshot | None = None
            if deltatoken:  # an empty $deltatoken (the 410 Location) is a fresh start
                base = state.snapshot(deltatoken, self._reset(link, query_of(deltatoken)))
                query = base.query
            else:
                query = {"$select": call.param("$select"), "$filter": call.param("$filter"),
                         "changeType": self._change_type(call)}
            skiptoken = state.start(query, base, self._mail_versions(mailbox, folder_id, query),
                                    change_type=query.get("changeType"))
        query = query_of(skiptoken)
        _, items, next_token, delta = state.page(skiptoken, size, self._reset(link, query))
        return self._message_reply(call, mailbox, items, applied, query=query, link=link,
                                   next_token=next_token, delta=delta)

    def _mail_versions(self, mailbox: Mailbox, folder_id: str, query: dict[str, Any]
                       ) -> dict[str, str]:
        since: str | None = None
        strict = False
        if query.get("$filter"):
            match = _FILTER.fullmatch(query["$filter"])
            if match is None:
                raise bad_request("The query filter contains one or more invalid nodes.",
                                  "ErrorInvalidUrlQueryFilter")
            since = _parse_time(match.group(2)).strftime("%Y-%m-%dT%H:%M:%SZ")
            strict = match.group(1).lower() == "gt"
        return {m.id: m.change_key for m in mailbox.in_folder(folder_id)
                if since is None or m.received_text > since
                or (not strict and m.received_text == since)}

    def _reset(self, link: str, query: dict[str, Any]) -> str:
        """The 410 ``Location``: the first request again, with an empty token."""
        params = [(k, v) for k, v in query.items() if v]
        return f"{link}?{urllib.parse.urlencode([*params, ('$deltatoken', '')], safe='$,')}"

    def _message_reply(self, call: GraphCall, mailbox: Mailbox, items: list[tuple[str, bool]],
                       applied: str | None, *, query: dict[str, Any] | None = None,
                       link: str | None = None, next_token: str | None = None,
                       delta: str | None = None) -> Reply:
        select = (query or {}).get("$select") if link else call.param("$select")
        fields = [f.strip() for f in select.split(",")] if select else list(DEFAULT_FIELDS)
        if not call.grant.permissions & MAIL_FULL:
            fields = [f for f in fields if f not in BODY_FIELDS]
        text = any(p.replace(" ", "").lower() == 'outlook.body-content-type="text"'
                   for p in call.prefer)
        values: list[dict[str, Any]] = []
        for item, removed in items:
            stored = mailbox.messages.get(item)
            if removed or stored is None:
                values.append({"@odata.type": "#microsoft.graph.message", "id": item,
                               "@removed": {"reason": "deleted"}})
                continue
            full = mailbox.resource(stored, text_body=text)
            values.append({"@odata.type": full["@odata.type"],
                           "@odata.etag": full["@odata.etag"], "id": stored.id,
                           **{f: full[f] for f in fields if f in full and f != "id"}})
        applied_list = [p for p in (applied, 'outlook.body-content-type="text"' if text
                                    else None) if p]
        headers = (("Preference-Applied", ", ".join(applied_list)),) if applied_list else ()
        if link is None:
            return json_reply(values[0], headers=headers)
        body: dict[str, Any] = {"@odata.context": self._context("message"),
                                "value": values}
        if next_token:
            body["@odata.nextLink"] = f"{link}?$skiptoken={next_token}"
        else:
            body["@odata.deltaLink"] = f"{link}?$deltatoken={delta}"
        return json_reply(body, headers=headers)

    # -- plain listings (no change tracking) -----------------------------------------
    def _mail_list(self, call: GraphCall, mailbox: Mailbox) -> Reply:
        """``/mailFolders/{id}/messages``: newest first; ``$filter`` of
        ``receivedDateTime`` comparisons joined by ``and``; ``$select``; ``$top``/``$skip``."""
        folder_id = self._folder_id(mailbox, call)
        tests = _received_filter(call.param("$filter"))
        found = [m for m in mailbox.in_folder(folder_id)
                 if all(compare(m.received, bound) for compare, bound in tests)]
        select = call.param("$select")
        fields = [f.strip() for f in select.split(",")] if select else list(DEFAULT_FIELDS)
        if not call.grant.permissions & MAIL_FULL:
            fields = [f for f in fields if f not in BODY_FIELDS]
        values = []
        for stored in found:
            full = mailbox.resource(stored, text_body=False)
            values.append({"@odata.etag": full["@odata.etag"], "id": stored.id,
                           **{f: full[f] for f in fields if f in full and f != "id"}})
        return self._list_reply(call, "message", values,
                                f"{call.owner}/mailFolders('{folder_id}')/messages")

    def _calendar_view(self, call: GraphCall) -> Reply:
        """``/calendarView``: the instances overlapping the window, by start;
        ``$select``; ``$top``/``$skip``."""
        start, end = call.param("startDateTime"), call.param("endDateTime")
        if not start or not end:
            raise bad_request("This request requires a time window specified by the query "
                              "string parameters StartDateTime and EndDateTime.")
        instances = self.calendars[call.upn].instances(_parse_time(start), _parse_time(end))
        select = call.param("$select")
        fields = {f.strip() for f in select.split(",")} if select else None
        values = [{k: v for k, v in item.items()
                   if fields is None or k in fields or k in {"id", "@odata.etag"}}
                  for item in instances.values()]
        return self._list_reply(call, "event", values, f"{call.owner}/calendarView")

    def _list_reply(self, call: GraphCall, entity: str, values: list[dict[str, Any]],
                    path: str) -> Reply:
        """One page of a plain listing; ``@odata.nextLink`` repeats the query with the
        next ``$skip``."""
        top = min(int(call.param("$top") or LIST_PAGE), LIST_MAX)
        skip = int(call.param("$skip") or 0)
        body: dict[str, Any] = {"@odata.context": self._context(entity),
                                "value": values[skip:skip + top]}
        if skip + top < len(values):
            query = [(k, v) for k, vs in call.query.items() for v in vs
                     if k.lower() != "$skip"] + [("$skip", str(skip + top))]
            body["@odata.nextLink"] = (f"{self._base_url()}/{path}?"
                                       f"{urllib.parse.urlencode(query)}")
        return json_reply(body)

    # -- calendar delta -------------------------------------------------------------
    def _calendar_delta(self, call: GraphCall) -> Reply:
        calendar = self.calendars[call.upn]
        state: DeltaState = calendar.delta
        link = f"{self._base_url()}/{call.owner}/calendarView/delta"
        size, applied = page_size(call.prefer)
        skiptoken, deltatoken = call.param("$skiptoken"), call.param("$deltatoken")
        if skiptoken is None:
            base: Snapshot | None = None
            if deltatoken:
                base = state.snapshot(deltatoken, self._reset(link, query_of(deltatoken)))
                query = base.query
            else:
                start, end = call.param("startDateTime"), call.param("endDateTime")
                if not start or not end:
                    raise bad_request("This request requires a time window specified by the "
                                      "query string parameters StartDateTime and "
                                      "EndDateTime.")
                for unsupported in ("$select", "$filter", "$orderby", "$search", "$expand"):
                    if call.param(unsupported) is not None:
                        raise bad_request(f"The query parameter '{unsupported}' is not "
                                          "supported with change tracking over the "
                                          "'CalendarView' resource.")  # text UNVERIFIED
                query = {"startDateTime": start, "endDateTime": end}
            instances = calendar.instances(*self._window(query))
            versions = {i: v["changeKey"] for i, v in instances.items()}
            skiptoken = state.start(query, base, versions, calendar.versions(instances))
        query = query_of(skiptoken)
        _, items, next_token, delta = state.page(skiptoken, size, self._reset(link, query))
        current = calendar.instances(*self._window(query))
        values = [{"@odata.type": "#microsoft.graph.event", "id": item,
                   "@removed": {"reason": "deleted"}}
                  if removed or item not in current else current[item]
                  for item, removed in items]
        body: dict[str, Any] = {"@odata.context": self._context("event"),
                                "value": values}
        if next_token:
            body["@odata.nextLink"] = f"{link}?$skiptoken={next_token}"
        else:
            body["@odata.deltaLink"] = f"{link}?$deltatoken={delta}"
        headers = (("Preference-Applied", applied),) if applied else ()
        return json_reply(body, headers=headers)

    def _window(self, query: dict[str, Any]) -> tuple[datetime, datetime]:
        return _parse_time(query["startDateTime"]), _parse_time(query["endDateTime"])


def _received_filter(text: str | None
                     ) -> list[tuple[Callable[[datetime, datetime], bool], datetime]]:
    """``receivedDateTime ge X and receivedDateTime lt Y`` -> (comparison, bound) pairs."""
    if not text:
        return []
    tests: list[tuple[Callable[[datetime, datetime], bool], datetime]] = []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _COMPARISON.fullmatch(clause.strip())
        if match is None:
            raise bad_request("The query filter contains one or more invalid nodes.",
                              "ErrorInvalidUrlQueryFilter")
        tests.append((_COMPARE[match.group(1).lower()], _parse_time(match.group(2))))
    return tests


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_request(f"Invalid date/time value '{text}'.") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
