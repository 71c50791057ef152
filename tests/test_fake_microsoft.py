"""The fake Microsoft identity platform and Graph, driven by the real ``msal`` and
``requests``.

These pin down what the Outlook connectors will be tested against: if MSAL and
requests work unchanged against the fake here, a connector test that fails is the
connector's fault. Every socket is checked to stay on loopback, so a library that
falls back to login.microsoftonline.com or graph.microsoft.com fails loudly.

Found while writing these (worth knowing in syncd): ``REQUESTS_CA_BUNDLE`` /
``CURL_CA_BUNDLE`` in the environment silently replace a ``requests.Session``'s
``verify``, and MSAL's own ``verify=`` is exactly such a session setting, so MSAL
must get an ``http_client`` session with ``trust_env = False`` (or the CA passed per
request) for a custom CA to be used; MSAL needs ``instance_discovery=False`` for a
host it does not know.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import certifi
import jwt
import msal  # type: ignore[import-untyped]
import pytest
import requests

from tests.fake_microsoft import GRAPH_SCOPE, Attendee, FakeMicrosoft
from tests.mailfactory import mail

ALICE, BOB, CAROL = "alice@acme.test", "bob@acme.test", "carol@other.test"
MAIL_READ = [GRAPH_SCOPE + "Mail.Read"]
DEFAULT = [GRAPH_SCOPE + ".default"]
WINDOW = {"startDateTime": "2024-03-01T00:00:00Z", "endDateTime": "2024-04-01T00:00:00Z"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if anything (even a library's background thread) connects to,
    or looks up, a non-loopback address."""
    escapes: list[str] = []
    real_connect, real_lookup = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not ipaddress.ip_address(address[0]).is_loopback:
            escapes.append(f"connect {address}")
            raise OSError("test sockets stay on loopback")
        real_connect(sock, address)

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in {None, "localhost", "127.0.0.1", "::1"}:
            escapes.append(f"lookup {host}")
            raise OSError("test sockets stay on loopback")
        return real_lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield
    assert escapes == []


@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        fake.add_user(ALICE, "Alice Adams")
        fake.add_user(BOB, "Bob Brown")
        fake.add_user(CAROL, "Carol Clark")
        yield fake


def session(ms: FakeMicrosoft, token: str | None = None) -> requests.Session:
    """A session trusting only the fake's CA; ``trust_env`` off because
    ``REQUESTS_CA_BUNDLE`` would otherwise override ``verify`` (requests #3829)."""
    http = requests.Session()
    http.verify = str(ms.ca_file)
    http.trust_env = False
    if token:
        http.headers["Authorization"] = f"Bearer {token}"
    return http


def public_app(ms: FakeMicrosoft, client_id: str | None = None,
               tenant: str = "acme.test") -> Any:
    """A fresh MSAL app per call: MSAL caches discovery and 400 answers per app."""
    return msal.PublicClientApplication(client_id or ms.public_app(tenant),
                                        authority=ms.authority(tenant),
                                        instance_discovery=False, http_client=session(ms))


def sign_in(ms: FakeMicrosoft, user: str = ALICE, scopes: list[str] | None = None,
            app: Any = None) -> dict[str, Any]:
    app = app or public_app(ms)
    flow = app.initiate_device_flow(scopes or MAIL_READ)
    ms.approve(flow["user_code"], user)
    result: dict[str, Any] = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    return result


def graph(ms: FakeMicrosoft, user: str = ALICE, scopes: list[str] | None = None
          ) -> requests.Session:
    return session(ms, sign_in(ms, user, scopes)["access_token"])


def app_only(ms: FakeMicrosoft, roles: set[str] | None = None) -> requests.Session:
    credentials = ms.confidential_app("acme.test", roles or {"Mail.Read", "Calendars.Read"})
    app = msal.ConfidentialClientApplication(
        credentials["client_id"], client_credential=credentials["client_secret"],
        authority=ms.authority("acme.test"), instance_discovery=False,
        http_client=session(ms))
    return session(ms, app.acquire_token_for_client(DEFAULT)["access_token"])


def delta(http: requests.Session, url: str, page: int = 3, *, text: bool = False,
          params: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], str, int]:
    """Follow nextLinks to the deltaLink: (items, deltaLink, pages)."""
    prefer = f"odata.maxpagesize={page}" + (', outlook.body-content-type="text"'
                                            if text else "")
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        answer = http.get(next_url, headers={"Prefer": prefer}, params=params)
        params = None  # the links carry the query from here on
        answer.raise_for_status()
        body = answer.json()
        items += body["value"]
        pages += 1
        next_url = body.get("@odata.nextLink")
    return items, body["@odata.deltaLink"], pages


def inbox_delta(ms: FakeMicrosoft, owner: str = "me") -> str:
    return f"{ms.graph_url}/{owner}/mailFolders/inbox/messages/delta"


def deliver(ms: FakeMicrosoft, count: int, user: str = ALICE, **kwargs: Any) -> list[str]:
    return [ms.mailbox(user).add(mail("dana@client.test", user, subject=f"Quote {n}"),
                                 **kwargs) for n in range(count)]


# -- identity platform -------------------------------------------------------------

def test_device_flow_pending_then_approved_gives_an_account(ms: FakeMicrosoft) -> None:
    app = public_app(ms)
    flow = app.initiate_device_flow(MAIL_READ)
    assert flow["user_code"] in flow["message"] and flow["interval"] == 1
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda _: True)
    assert pending["error"] == "authorization_pending"
    assert pending["error_description"].startswith("AADSTS70016")
    threading.Timer(0.3, ms.approve, (flow["user_code"], ALICE)).start()
    result = app.acquire_token_by_device_flow(flow)  # polls until approved
    assert result["token_type"] == "Bearer" and result["id_token_claims"]["tid"]
    assert set(result["scope"].split()) >= {GRAPH_SCOPE + "Mail.Read", "openid", "profile"}
    [account] = app.get_accounts()
    assert account["username"] == ALICE
    assert account["realm"] == ms.tenant("acme.test").id
    cached = app.acquire_token_silent(MAIL_READ, account=account)
    assert cached["token_source"] == "cache"
    assert cached["access_token"] == result["access_token"]
    refreshed = app.acquire_token_silent(MAIL_READ, account=account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert refreshed["access_token"] != result["access_token"]
    assert ms.count("identity.token", user=ALICE, status=200) == 2
    assert ms.count("identity.token", status=400) >= 1  # the pending polls
    http = session(ms)
    config = http.get(ms.authority("acme.test") + "/v2.0/.well-known/openid-configuration")
    keys = jwt.PyJWKSet.from_dict(http.get(config.json()["jwks_uri"]).json())
    claims = jwt.decode(result["id_token"], keys.keys[0].key, algorithms=["RS256"],
                        audience=app.client_id, issuer=config.json()["issuer"])
    assert claims["preferred_username"] == ALICE


@pytest.mark.filterwarnings("ignore:Attempted too soon")  # polls without the sleep
def test_device_flow_declined_expired_and_slow_down(ms: FakeMicrosoft) -> None:
    app = public_app(ms)
    once = {"exit_condition": lambda _: True}
    flow = app.initiate_device_flow(MAIL_READ)
    ms.slow_down(flow["user_code"])
    assert app.acquire_token_by_device_flow(flow, **once)["error"] == "slow_down"
    assert flow["interval"] == 6  # MSAL adds 5 s, as RFC 8628 asks
    ms.decline(flow["user_code"])
    assert app.acquire_token_by_device_flow(flow, **once)["error"] == "authorization_declined"
    flow = app.initiate_device_flow(MAIL_READ)
    ms.expire_device_code(flow["user_code"])
    assert app.acquire_token_by_device_flow(flow, **once)["error"] == "expired_token"


def test_revoked_refresh_token_is_invalid_grant(ms: FakeMicrosoft) -> None:
    app = public_app(ms)
    sign_in(ms, app=app)
    [account] = app.get_accounts()
    ms.revoke(ALICE)
    assert app.acquire_token_silent(MAIL_READ, account=account, force_refresh=True) is None
    failed = app.acquire_token_silent_with_error(MAIL_READ, account=account,
                                                 force_refresh=True)
    assert failed["error"] == "invalid_grant"
    assert "AADSTS50173" in failed["error_description"]
    # the second attempt never reached the server: MSAL replays an identical 400
    assert ms.count("identity.token", user=None, status=400) == 1


def test_token_cache_round_trips_into_a_new_app(ms: FakeMicrosoft) -> None:
    """What syncd does between runs: serialize the cache, load it in a new process."""
    client_id = ms.public_app("acme.test")
    cache = msal.SerializableTokenCache()
    first = msal.PublicClientApplication(client_id, authority=ms.authority("acme.test"),
                                         instance_discovery=False, http_client=session(ms),
                                         token_cache=cache)
    sign_in(ms, app=first)
    ms.expire_access_tokens(ALICE)
    restored = msal.SerializableTokenCache()
    restored.deserialize(cache.serialize())
    second = msal.PublicClientApplication(client_id, authority=ms.authority("acme.test"),
                                          instance_discovery=False, http_client=session(ms),
                                          token_cache=restored)
    [account] = second.get_accounts()
    stale = second.acquire_token_silent(MAIL_READ, account=account)["access_token"]
    assert session(ms, stale).get(ms.graph_url + "/me").status_code == 401
    fresh = second.acquire_token_silent(MAIL_READ, account=account, force_refresh=True)
    me = session(ms, fresh["access_token"]).get(ms.graph_url + "/me").json()
    assert me["userPrincipalName"] == ALICE and me["displayName"] == "Alice Adams"


def test_client_credentials_with_a_secret(ms: FakeMicrosoft) -> None:
    credentials = ms.confidential_app("acme.test", {"Mail.Read"})
    app = msal.ConfidentialClientApplication(
        credentials["client_id"], client_credential=credentials["client_secret"],
        authority=ms.authority("acme.test"), instance_discovery=False,
        http_client=session(ms))
    result = app.acquire_token_for_client(DEFAULT)
    assert result["token_source"] == "identity_provider" and result["expires_in"] > 3000
    assert app.acquire_token_for_client(DEFAULT)["token_source"] == "cache"
    http = session(ms, result["access_token"])
    assert http.get(inbox_delta(ms, f"users/{BOB}")).status_code == 200
    me = http.get(inbox_delta(ms))
    assert me.status_code == 400 and "/me request is only valid" in me.json()["error"]["message"]
    other_tenant = http.get(inbox_delta(ms, f"users/{CAROL}"))
    assert other_tenant.status_code == 404
    assert http.get(f"{ms.graph_url}/users/{ALICE}/calendarView/delta",
                    params=WINDOW).status_code == 403  # no Calendars.Read role
    wrong = msal.ConfidentialClientApplication(
        credentials["client_id"], client_credential="not-the-secret",
        authority=ms.authority("acme.test"), instance_discovery=False,
        http_client=session(ms))
    assert wrong.acquire_token_for_client(DEFAULT)["error"] == "invalid_client"


@pytest.mark.parametrize("form", ["public_certificate", "thumbprint"])
def test_client_credentials_with_a_certificate(ms: FakeMicrosoft, form: str) -> None:
    """MSAL signs PS256 with ``x5t#S256`` when it has the certificate, RS256 with
    ``x5t`` given only a SHA-1 thumbprint; both are verified against the key."""
    credentials = ms.confidential_app("acme.test", {"Mail.Read"}, secret=False,
                                      certificate=True)
    forged = ms.confidential_app("acme.test", {"Mail.Read"}, secret=False, certificate=True)
    for key, expected in ((credentials["private_key"], True), (forged["private_key"], False)):
        app = msal.ConfidentialClientApplication(
            credentials["client_id"], authority=ms.authority("acme.test"),
            client_credential={"private_key": key, form: credentials[form]},
            instance_discovery=False, http_client=session(ms))
        result = app.acquire_token_for_client(DEFAULT)
        assert ("access_token" in result) is expected, result
        if not expected:
            assert result["error"] == "invalid_client"


# -- Graph: permissions and TLS ------------------------------------------------------

def test_mail_readbasic_gets_no_bodies_and_others_mailboxes_are_denied(
        ms: FakeMicrosoft) -> None:
    ms.mailbox(ALICE).add(mail("dana@client.test", ALICE, body="The price is 10k.\n"))
    basic = graph(ms, scopes=[GRAPH_SCOPE + "Mail.ReadBasic"])
    [item], _, _ = delta(basic, inbox_delta(ms), params={"$select": "subject,body,bodyPreview"})
    assert set(item) == {"@odata.type", "@odata.etag", "id", "subject"}
    full = graph(ms)
    [item], _, _ = delta(full, inbox_delta(ms), params={"$select": "subject,body,bodyPreview"})
    assert item["bodyPreview"] == "The price is 10k."
    assert full.get(inbox_delta(ms, f"users/{BOB}")).status_code == 403
    calendar_only = graph(ms, scopes=[GRAPH_SCOPE + "Calendars.Read"])
    denied = calendar_only.get(inbox_delta(ms))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "ErrorAccessDenied"
    assert session(ms, "garbage").get(inbox_delta(ms)).json()["error"]["code"] == \
        "InvalidAuthenticationToken"


def test_untrusted_clients_are_refused(ms: FakeMicrosoft,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(ms.graph_url + "/me", timeout=5)  # the system CAs only
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with pytest.raises(requests.exceptions.SSLError):  # env beats MSAL's verify=
        msal.PublicClientApplication(ms.public_app("acme.test"),
                                     authority=ms.authority("acme.test"),
                                     instance_discovery=False, verify=str(ms.ca_file))
    with pytest.raises(ValueError, match="https"):
        msal.PublicClientApplication("x", authority=f"http://127.0.0.1:{ms.port}/common",
                                     instance_discovery=False)
    assert ms.calls == []  # nothing got past the handshake


# -- Graph: message delta --------------------------------------------------------------

def test_message_delta_pages_increments_removals_and_replays(ms: FakeMicrosoft) -> None:
    ids = deliver(ms, 7)
    http = graph(ms)
    items, delta_link, pages = delta(http, inbox_delta(ms))
    assert pages == 3 and sorted(i["id"] for i in items) == sorted(ids)
    assert all(i["@odata.type"] == "#microsoft.graph.message" for i in items)
    quiet, quiet_link, pages = delta(http, delta_link)
    assert (quiet, pages) == ([], 1)

    box = ms.mailbox(ALICE)
    new = deliver(ms, 1)[0]
    box.update(ids[0], is_read=True)
    moved = box.move(ids[1], "Archive")
    box.delete(ids[2])
    changed, next_link, _ = delta(http, quiet_link)
    removed = {i["id"]: i["@removed"] for i in changed if "@removed" in i}
    assert removed == {ids[1]: {"reason": "deleted"}, ids[2]: {"reason": "deleted"}}
    assert {i["id"] for i in changed if "@removed" not in i} == {new, ids[0]}
    assert moved not in {i["id"] for i in changed}
    archive, _, _ = delta(http, f"{ms.graph_url}/me/mailFolders/archive/messages/delta")
    assert [i["id"] for i in archive] == [moved]
    again, _, _ = delta(http, quiet_link)  # an old deltaLink may be replayed
    assert sorted(i["id"] for i in again) == sorted(i["id"] for i in changed)
    assert delta(http, next_link)[0] == []
    # pages: 7 items by 3, empty, 4 changes by 3, archive, the replay, empty
    assert ms.count("mail.delta", user=ALICE) == 3 + 1 + 2 + 1 + 2 + 1


def test_expired_delta_token_is_410_with_a_location_to_start_over(ms: FakeMicrosoft) -> None:
    deliver(ms, 4)
    http = graph(ms)
    _, delta_link, _ = delta(http, inbox_delta(ms), params={"$select": "subject"})
    first = http.get(inbox_delta(ms), headers={"Prefer": "odata.maxpagesize=2"}).json()
    ms.expire_delta(ALICE, "inbox")
    for stale in (delta_link, first["@odata.nextLink"]):
        gone = http.get(stale)
        assert gone.status_code == 410
        assert gone.json()["error"]["code"] == "syncStateNotFound"
        assert "request-id" in gone.json()["error"]["innerError"]
    location = http.get(delta_link).headers["Location"]
    assert location.endswith("$deltatoken=") and "subject" in location
    items, _, _ = delta(http, location)  # a full resync, with the original $select
    assert len(items) == 4 and all(set(i) == {"@odata.type", "@odata.etag", "id", "subject"}
                                   for i in items)


def test_message_shape_select_filter_and_text_bodies(ms: FakeMicrosoft) -> None:
    box = ms.mailbox(ALICE)
    first = mail("dana@client.test", [ALICE, BOB], cc=["eve@client.test"], subject="Offer",
                 html="<p>Our <b>offer</b></p>", names={"dana@client.test": "Dana Diaz"},
                 message_id="<offer-1@client.test>",
                 date=datetime(2024, 3, 4, 10, 0, tzinfo=UTC))
    reply = mail(ALICE, "dana@client.test", subject="Re: Offer",
                 headers={"In-Reply-To": "<offer-1@client.test>"},
                 date=datetime(2024, 3, 5, 10, 0, tzinfo=UTC))
    old = mail("dana@client.test", ALICE, date=datetime(2023, 1, 1, tzinfo=UTC))
    first_id, reply_id = box.add(first), box.add(reply)
    box.add(old)
    http = graph(ms)
    items, _, _ = delta(http, inbox_delta(ms), text=True, params={
        "$select": "internetMessageId,from,toRecipients,ccRecipients,body,sentDateTime,"
                   "receivedDateTime,conversationId,internetMessageHeaders,isDraft",
        "$filter": "receivedDateTime ge 2024-01-01T00:00:00Z"})
    [item] = items
    assert item["id"] == first_id and item["internetMessageId"] == "<offer-1@client.test>"
    assert item["from"] == {"emailAddress": {"name": "Dana Diaz",
                                             "address": "dana@client.test"}}
    assert [r["emailAddress"]["address"] for r in item["toRecipients"]] == [ALICE, BOB]
    assert item["ccRecipients"][0]["emailAddress"]["address"] == "eve@client.test"
    assert item["body"] == {"contentType": "text", "content": "Hi.\n"}
    assert item["sentDateTime"] == item["receivedDateTime"] == "2024-03-04T10:00:00Z"
    assert {"name": "Subject", "value": "Offer"} in item["internetMessageHeaders"]
    assert item["isDraft"] is False
    sent, _, _ = delta(http, f"{ms.graph_url}/me/mailFolders/sentitems/messages/delta")
    assert [s["id"] for s in sent] == [reply_id]
    assert sent[0]["conversationId"] == item["conversationId"]
    html_item = http.get(f"{ms.graph_url}/me/messages/{first_id}").json()
    assert html_item["body"]["contentType"] == "html" and "<b>offer</b>" in \
        html_item["body"]["content"]
    assert "internetMessageHeaders" not in html_item  # only when selected


def test_custom_folders_are_listed_and_synced_by_id(ms: FakeMicrosoft) -> None:
    box = ms.mailbox(ALICE)
    customers = box.add_folder("Customers")
    message = box.add(mail("dana@client.test", ALICE), "Customers")
    http = graph(ms)
    folders = http.get(f"{ms.graph_url}/me/mailFolders").json()["value"]
    listed = {f["displayName"]: f for f in folders}
    assert {"Inbox", "Sent Items", "Customers"} <= set(listed)
    assert listed["Customers"]["id"] == customers
    assert listed["Customers"]["totalItemCount"] == 1
    items, delta_link, _ = delta(http, f"{ms.graph_url}/me/mailFolders/{customers}/messages/delta")
    assert [(i["id"], i["parentFolderId"]) for i in items] == [(message, customers)]
    assert f"/me/mailfolders('{customers}')/messages/delta?$deltatoken=" in delta_link
    missing = http.get(f"{ms.graph_url}/me/mailFolders/nope/messages/delta")
    assert missing.status_code == 404


def test_default_and_capped_page_sizes_empty_pages_and_replays(ms: FakeMicrosoft) -> None:
    deliver(ms, 25)
    http = graph(ms)
    answer = http.get(inbox_delta(ms))
    assert len(answer.json()["value"]) == 10 and "Preference-Applied" not in answer.headers
    capped = http.get(inbox_delta(ms), headers={"Prefer": "odata.maxpagesize=5000"})
    assert capped.headers["Preference-Applied"] == "odata.maxpagesize=1000"
    box = ms.mailbox(ALICE)
    inbox = box.folder("inbox").delta
    inbox.empty_pages, inbox.replays = 2, True
    items, delta_link, pages = delta(http, inbox_delta(ms), page=25)
    assert (len(items), pages) == (25, 3)
    box.update(items[0]["id"], categories=["Customer"])
    changed, _, _ = delta(http, delta_link, page=25)
    assert [i["id"] for i in changed] == [items[0]["id"]] * 2


def test_change_type_and_the_same_message_in_two_mailboxes(ms: FakeMicrosoft) -> None:
    """``changeType=created`` (given on the first request only) keeps later rounds to
    new messages; one email delivered to two users has two ids, one
    internetMessageId (what syncd merges on), and each owner is reached by object id
    as well as by address."""
    raw = mail("dana@client.test", [ALICE, BOB], subject="=?utf-8?q?Gr=C3=BC=C3=9Fe?=",
               names={"dana@client.test": "Dana Díaz"}, message_id="<both@client.test>")
    first = ms.mailbox(ALICE).add(raw)
    copy = ms.mailbox(BOB).add(raw)
    http = app_only(ms)
    bob = ms.mailbox(BOB).object_id
    [mine], _, _ = delta(http, inbox_delta(ms, f"users/{ALICE}"))
    [theirs], _, _ = delta(http, inbox_delta(ms, f"users/{bob}"))
    assert (mine["id"], theirs["id"]) == (first, copy)
    assert mine["internetMessageId"] == theirs["internetMessageId"] == "<both@client.test>"
    assert mine["subject"] == "Grüße" and mine["from"]["emailAddress"]["name"] == "Dana Díaz"
    _, created_link, _ = delta(http, inbox_delta(ms, f"users/{ALICE}"),
                               params={"changeType": "created", "$select": "subject"})
    box = ms.mailbox(ALICE)
    box.update(first, is_read=True)
    new = box.add(mail("dana@client.test", ALICE))
    box.delete(first)
    only_new, _, _ = delta(http, created_link)
    assert [i["id"] for i in only_new] == [new]


# -- Graph: calendar delta -------------------------------------------------------------

def test_calendar_view_delta_expands_series_and_tracks_changes(ms: FakeMicrosoft) -> None:
    calendar = ms.calendar(ALICE)
    start = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
    series = calendar.add("Weekly sync", start, start + timedelta(hours=1),
                          organizer="dana@client.test", organizer_name="Dana Diaz",
                          attendees=[Attendee(ALICE, "Alice", "required", "accepted"),
                                     Attendee("room@acme.test", "Room 1", "resource"),
                                     Attendee(BOB, "Bob", "optional", "tentativelyAccepted")],
                          recurrence={"type": "weekly", "interval": 1, "count": 10})
    single = calendar.add("Private lunch", datetime(2024, 3, 6, 12, 0),
                          datetime(2024, 3, 6, 13, 0), sensitivity="private")
    calendar.add("Next year", datetime(2025, 1, 1, 9, 0), datetime(2025, 1, 1, 10, 0))
    http = graph(ms, scopes=[GRAPH_SCOPE + "Calendars.Read"])
    url = f"{ms.graph_url}/me/calendarView/delta"
    missing = http.get(url)
    assert missing.status_code == 400 and "StartDateTime" in missing.json()["error"]["message"]
    lower = {"startdatetime": WINDOW["startDateTime"], "enddatetime": WINDOW["endDateTime"]}
    items, delta_link, _ = delta(http, url, params=lower)  # names are case-insensitive
    occurrences = [i for i in items if i["type"] == "occurrence"]
    assert len(occurrences) == 4  # March 4, 11, 18, 25
    assert len({o["iCalUId"] for o in occurrences}) == 4  # one per occurrence
    assert {o["seriesMasterId"] for o in occurrences} == {series}
    first = occurrences[0]
    assert first["originalStart"] == "2024-03-04T10:00:00Z"
    assert first["start"] == {"dateTime": "2024-03-04T10:00:00.0000000", "timeZone": "UTC"}
    assert first["organizer"]["emailAddress"] == {"name": "Dana Diaz",
                                                  "address": "dana@client.test"}
    assert first["responseStatus"]["response"] == "accepted" and not first["isOrganizer"]
    assert [(a["type"], a["status"]["response"]) for a in first["attendees"]] == [
        ("required", "accepted"), ("resource", "none"), ("optional", "tentativelyAccepted")]
    [lunch] = [i for i in items if i["id"] == single]
    assert (lunch["type"], lunch["sensitivity"], lunch["seriesMasterId"]) == (
        "singleInstance", "private", None)
    assert lunch["responseStatus"]["response"] == "organizer"

    calendar.edit_occurrence(series, datetime(2024, 3, 11, 10, 0),
                             start=datetime(2024, 3, 12, 15, 0),
                             end=datetime(2024, 3, 12, 16, 0))
    calendar.edit_occurrence(series, datetime(2024, 3, 18, 10, 0), is_cancelled=True)
    calendar.delete_occurrence(series, datetime(2024, 3, 25, 10, 0))
    calendar.update(single, subject="Lunch moved")
    outside = calendar.add("Later", datetime(2024, 6, 1, 9, 0), datetime(2024, 6, 1, 10, 0))
    changes, delta_link, _ = delta(http, delta_link)
    by_kind = {(i.get("type"), i.get("isCancelled")) for i in changes if "@removed" not in i}
    assert by_kind == {("exception", False), ("exception", True), ("singleInstance", False)}
    removed = {i["id"] for i in changes if "@removed" in i}
    assert occurrences[3]["id"] in removed  # the deleted occurrence
    assert outside in removed  # changed outside the window: reported as removed
    assert series not in removed  # its changes came as occurrences and exceptions
    calendar.delete(single)
    [gone], _, _ = delta(http, delta_link)
    assert gone == {"@odata.type": "#microsoft.graph.event", "id": single,
                    "@removed": {"reason": "deleted"}}


def test_app_only_calendar_delta_for_a_listed_mailbox(ms: FakeMicrosoft) -> None:
    ms.calendar(BOB).add("Demo", datetime(2024, 3, 5, 9, 0), datetime(2024, 3, 5, 10, 0))
    http = app_only(ms)
    items, _, _ = delta(http, f"{ms.graph_url}/users/{BOB}/calendarView/delta", params=WINDOW)
    assert [i["subject"] for i in items] == ["Demo"]
    assert ms.count("calendar.delta", user=BOB) == 1


# -- throttling and faults ---------------------------------------------------------------

def test_throttling_answers_carry_retry_after_and_the_envelope(ms: FakeMicrosoft) -> None:
    deliver(ms, 1)
    http = graph(ms)
    ms.fail_next(1, 429, retry_after="0.25", endpoint="mail.delta", user=ALICE)
    ms.fail_next(1, 503, retry_after="2")
    throttled = http.get(inbox_delta(ms), headers={"client-request-id": "abc"})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "0.25"
    error = throttled.json()["error"]
    assert error["code"] == "TooManyRequests"
    assert error["innerError"]["client-request-id"] == "abc"
    unavailable = http.get(inbox_delta(ms))
    assert (unavailable.status_code, unavailable.headers["Retry-After"]) == (503, "2")
    assert http.get(inbox_delta(ms)).status_code == 200
    ms.drop_next(1, endpoint="mail.delta")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(inbox_delta(ms))
    assert [c.status for c in ms.calls if c.endpoint == "mail.delta"] == [429, 503, 200, 0]


def test_more_than_four_concurrent_requests_per_mailbox_are_throttled(
        ms: FakeMicrosoft) -> None:
    http = app_only(ms)
    ms.latency = 1.0  # long enough for all seven to overlap on a loaded machine
    statuses: list[int] = []

    def fetch(user: str) -> None:
        statuses.append(session(ms, http.headers["Authorization"][7:]).get(
            inbox_delta(ms, f"users/{user}")).status_code)
    threads = [threading.Thread(target=fetch, args=(ALICE,)) for _ in range(6)]
    threads.append(threading.Thread(target=fetch, args=(BOB,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [429] * 2
    assert ms.peak_concurrency[ALICE] > 4 and ms.peak_concurrency[BOB] == 1
    assert ms.count("mail.delta", user=ALICE, status=429) == 2


def test_msal_raises_on_5xx_and_replays_it_for_retry_after(ms: FakeMicrosoft) -> None:
    """MSAL turns a 5xx token answer into ``MsalServiceError`` and answers the same
    request from its own cache until ``Retry-After`` (default 5 s) has passed."""
    app = public_app(ms)
    flow = app.initiate_device_flow(MAIL_READ)
    ms.approve(flow["user_code"], ALICE)
    ms.fail_next(1, 503, retry_after="1", endpoint="identity.token")
    for _ in range(2):
        with pytest.raises(msal.exceptions.MsalServiceError, match="503"):
            app.acquire_token_by_device_flow(flow, exit_condition=lambda _: True)
    assert ms.count("identity.token") == 1  # the second came from MSAL's cache
    time.sleep(1.1)
    assert "access_token" in app.acquire_token_by_device_flow(flow)


# -- JSON batching -----------------------------------------------------------------------

def test_batch_parts_answer_separately_in_any_order(ms: FakeMicrosoft) -> None:
    [message] = deliver(ms, 1)
    http = app_only(ms)
    ms.fail_next(1, 429, endpoint="mail.message", retry_after="3")
    url = f"/users/{ALICE}/messages/{message}"
    parts: list[dict[str, Any]] = [
        {"id": "1", "method": "GET", "url": url},
        {"id": "2", "method": "GET", "url": url + "?$select=subject"},
        {"id": "3", "method": "GET", "url": f"/users/{ALICE}/messages/nope"},
        {"id": "4", "method": "GET", "url": url, "dependsOn": ["3"]}]
    answer = http.post(ms.graph_url + "/$batch", json={"requests": parts})
    assert answer.status_code == 200
    responses = {r["id"]: r for r in answer.json()["responses"]}
    assert [r["id"] for r in answer.json()["responses"]] != ["1", "2", "3", "4"]
    assert responses["1"]["status"] == 429 and responses["1"]["headers"]["Retry-After"] == "3"
    assert responses["2"]["body"]["subject"] == "Quote 0"
    assert set(responses["2"]["body"]) == {"@odata.type", "@odata.etag", "id", "subject"}
    assert responses["3"]["body"]["error"]["code"] == "ErrorItemNotFound"
    assert responses["4"]["status"] == 424
    assert ms.batches == [4] and ms.count("mail.message", batched=True) == 3
    too_many: list[dict[str, str]] = [
        {"id": str(n), "method": "GET", "url": f"/users/{ALICE}"} for n in range(21)]
    assert http.post(ms.graph_url + "/$batch", json={"requests": too_many}).status_code == 400


def test_batch_parts_over_the_mailbox_limit_are_throttled(ms: FakeMicrosoft) -> None:
    ms.batch_mailbox_limit = 4
    http = app_only(ms)
    parts = [{"id": str(n), "method": "GET", "url": f"/users/{ALICE}/mailFolders/inbox"}
             for n in range(6)]
    parts.append({"id": "bob", "method": "GET", "url": f"/users/{BOB}/mailFolders/inbox"})
    answer = http.post(ms.graph_url + "/$batch", json={"requests": parts}).json()
    statuses = {r["id"]: r["status"] for r in answer["responses"]}
    assert sorted(statuses.values()) == [200] * 5 + [429] * 2 and statuses["bob"] == 200
    throttled = [r for r in answer["responses"] if r["status"] == 429]
    assert throttled[0]["body"]["error"]["code"] == "ApplicationThrottled"
    assert throttled[0]["headers"]["Retry-After"] == "1"
