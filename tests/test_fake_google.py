"""The fake Google server, driven by the real client libraries.

These tests pin down what the Gmail and Calendar connectors will be tested against:
if google-api-python-client, google-auth and google-auth-oauthlib work unchanged
against the fake here, a connector test that fails is the connector's fault. Every
socket is checked to stay on loopback (a client that falls back to a Google URL, as
``new_batch_http_request()`` does, fails loudly instead of leaking).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as AuthRequest
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account
from google_auth_oauthlib.flow import InstalledAppFlow
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from tests.fake_google import (
    CALENDAR_READONLY,
    GMAIL_METADATA,
    GMAIL_READONLY,
    FakeGoogle,
    register_consent_browser,
)

USER, OTHER = "alice@acme.test", "bob@acme.test"
READ = [GMAIL_READONLY, CALENDAR_READONLY]
GET = "gmail.users.messages.get"
SUBJECT_1 = "Quote 1 =?utf-8?b?4oCTIEdyw7zDn2U=?="  # "Quote 1 – Grüße": Gmail does not decode


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
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(USER)
        fake.add_user(OTHER)
        yield fake


def delegated(google: FakeGoogle, scopes: list[str] | None = None, user: str = USER,
              info: dict[str, str] | None = None) -> service_account.Credentials:
    """Domain-wide-delegation credentials, exactly as a connector builds them."""
    return service_account.Credentials.from_service_account_info(
        info or google.service_account(), scopes=scopes or READ, subject=user)


def gmail(google: FakeGoogle, creds: Any) -> Resource:
    return build("gmail", "v1", credentials=creds, static_discovery=True,
                 client_options={"api_endpoint": google.gmail_endpoint})


def calendar(google: FakeGoogle, creds: Any) -> Resource:
    return build("calendar", "v3", credentials=creds, static_discovery=True,
                 client_options={"api_endpoint": google.calendar_endpoint})


def mail(n: int, *, sender: str = "dana@client.test", to: str = USER,
         reply_to: str | None = None, attachment: bool = False) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = f"Sender {n} <{sender}>", to
    message["Subject"] = f"Quote {n} – Grüße"
    message["Message-ID"] = f"<m{n}@client.test>"
    message["Date"] = "Mon, 04 Mar 2024 10:00:00 +0000"
    if reply_to:
        message["In-Reply-To"] = reply_to
    message.set_content(f"Hello {n}, it's the quote.\n")
    if attachment:
        message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                               filename="quote.pdf")
    return bytes(message)


def refresh(creds: Any) -> None:
    creds.refresh(AuthRequest())


# -- OAuth -------------------------------------------------------------------------

def test_service_account_token_is_tied_to_the_subject(google: FakeGoogle) -> None:
    service = gmail(google, delegated(google))
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == USER
    assert [(c.endpoint, c.user, c.status) for c in google.calls] == [
        ("oauth.token", USER, 200), ("gmail.users.getProfile", USER, 200)]
    with pytest.raises(HttpError) as denied:
        service.users().getProfile(userId=OTHER).execute()
    assert denied.value.status_code == 403
    assert "Delegation denied" in str(denied.value.reason)


def test_jwt_signature_subject_and_delegation_are_checked(google: FakeGoogle) -> None:
    genuine, other = google.service_account(), google.service_account()
    forged = dict(other, client_email=genuine["client_email"],
                  private_key_id=genuine["private_key_id"])
    with pytest.raises(RefreshError, match=r"invalid_grant: Invalid JWT Signature"):
        refresh(delegated(google, info=forged))
    with pytest.raises(RefreshError, match=r"invalid_grant: Invalid email or User ID"):
        refresh(delegated(google, user="nobody@acme.test", info=genuine))
    narrow = google.service_account(delegated_scopes={GMAIL_METADATA})
    with pytest.raises(RefreshError, match=r"unauthorized_client"):
        refresh(delegated(google, [GMAIL_READONLY], info=narrow))
    refresh(delegated(google, [GMAIL_METADATA], info=narrow))


def test_requests_without_a_live_token_get_googles_401(google: FakeGoogle) -> None:
    request = urllib.request.Request(f"{google.base_url}/gmail/v1/users/me/profile",
                                     headers={"Authorization": "Bearer ya29.stale"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=5)
    body = json.load(answer.value)
    assert answer.value.code == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"
    assert body["error"]["errors"][0]["reason"] == "authError"
    assert "invalid_token" in answer.value.headers["WWW-Authenticate"]


def test_scopes_are_enforced_like_gmail(google: FakeGoogle) -> None:
    google.mailbox(USER).add(mail(1))
    calendar_only = gmail(google, delegated(google, [CALENDAR_READONLY]))
    with pytest.raises(HttpError) as missing:
        calendar_only.users().messages().list(userId="me").execute()
    assert missing.value.status_code == 403
    assert missing.value.error_details[0]["reason"] == "insufficientPermissions"
    # gmail.metadata forbids bodies and search even when readonly is granted too
    metadata = gmail(google, delegated(google, [GMAIL_METADATA, GMAIL_READONLY]))
    message_id = metadata.users().messages().list(userId="me").execute()["messages"][0]["id"]
    for request in (metadata.users().messages().get(userId="me", id=message_id),
                    metadata.users().messages().list(userId="me", q="after:0")):
        with pytest.raises(HttpError) as forbidden:
            request.execute()
        assert forbidden.value.status_code == 403
        assert forbidden.value.error_details[0]["reason"] == "forbidden"
    headers = metadata.users().messages().get(userId="me", id=message_id, format="metadata",
                                              metadataHeaders=["Subject"]).execute()
    assert headers["payload"]["headers"] == [{"name": "Subject", "value": SUBJECT_1}]


def test_refresh_token_then_revocation_is_invalid_grant(google: FakeGoogle) -> None:
    info = google.authorize_user(USER, {GMAIL_READONLY})
    creds = user_credentials.Credentials(
        None, refresh_token=info["refresh_token"], client_id=info["client_id"],
        client_secret=info["client_secret"], token_uri=google.token_uri, scopes=[GMAIL_READONLY])
    service = gmail(google, creds)
    service.users().getProfile(userId="me").execute()
    google.expire_access_tokens()
    service.users().getProfile(userId="me").execute()  # 401, refresh, retry: all inside
    assert google.count("gmail.users.getProfile", status=401) == 1
    assert google.count("oauth.token", status=200) == 2
    google.revoke(info["refresh_token"])
    google.expire_access_tokens()
    with pytest.raises(RefreshError, match="invalid_grant: Token has been expired or revoked"):
        service.users().getProfile(userId="me").execute()


def test_authorized_user_info_loses_a_custom_token_uri(google: FakeGoogle) -> None:
    """google-auth's ``from_authorized_user_info``/``_file`` always put Google's token
    URL back: a connector with an ``endpoints.token`` must build ``Credentials``
    itself (this loopback-guarded suite caught the lookup of oauth2.googleapis.com)."""
    info = google.authorize_user(USER, {GMAIL_READONLY})
    creds = user_credentials.Credentials.from_authorized_user_info(info, [GMAIL_READONLY])
    assert creds.token_uri == "https://oauth2.googleapis.com/token" != info["token_uri"]


def test_installed_app_flow_signs_in_without_a_person(
        google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recipe for testing ``syncd auth``: a registered "browser" follows the
    consent redirect back to the flow's loopback server."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # token_uri is plain http
    google.consent_as(USER)
    browser = register_consent_browser()
    flow = InstalledAppFlow.from_client_config(google.oauth_client(), [GMAIL_READONLY])
    creds = flow.run_local_server(port=0, browser=browser, timeout_seconds=10,
                                  authorization_prompt_message=None)
    assert creds.refresh_token
    assert gmail(google, creds).users().getProfile(userId="me").execute()["emailAddress"] \
        == USER


# -- Gmail -------------------------------------------------------------------------

def test_messages_list_pages_newest_first_and_filters(google: FakeGoogle) -> None:
    box = google.mailbox(USER)
    ids = [box.add(mail(n), internal_date=1_709_000_000_000 + n * 60_000) for n in range(25)]
    box.change_labels(ids[0], add=["TRASH"])
    service = gmail(google, delegated(google))
    request = service.users().messages().list(userId="me", maxResults=10)
    pages = []
    while request is not None:
        page = request.execute()
        pages.append(page)
        request = service.users().messages().list_next(request, page)
    assert [len(p["messages"]) for p in pages] == [10, 10, 4]
    assert [m["id"] for p in pages for m in p["messages"]] == ids[:0:-1]  # trash left out
    assert "nextPageToken" not in pages[-1]
    after = 1_709_000_000 + 20 * 60
    found = service.users().messages().list(userId="me", q=f"after:{after} in:inbox").execute()
    assert {m["id"] for m in found["messages"]} == set(ids[20:])
    assert service.users().messages().list(userId="me", labelIds=["TRASH"]).execute()[
        "messages"] == [{"id": ids[0], "threadId": ids[0]}]
    assert service.users().messages().list(userId="me", q="before:1").execute() == {
        "resultSizeEstimate": 0}
    with pytest.raises(HttpError, match="does not implement"):
        service.users().messages().list(userId="me", q="from:dana").execute()


def test_full_raw_and_metadata_formats(google: FakeGoogle) -> None:
    raw = mail(1, attachment=True)
    message_id = google.mailbox(USER).add(raw)
    service = gmail(google, delegated(google))
    full = service.users().messages().get(userId="me", id=message_id, format="full").execute()
    payload = full["payload"]
    assert (payload["partId"], payload["mimeType"], payload["body"]) == \
        ("", "multipart/mixed", {"size": 0})
    text, pdf = payload["parts"]
    assert (text["partId"], text["mimeType"], text["filename"]) == ("0", "text/plain", "")
    assert base64.urlsafe_b64decode(text["body"]["data"]) == b"Hello 1, it's the quote.\n"
    assert (pdf["partId"], pdf["filename"], set(pdf["body"])) == \
        ("1", "quote.pdf", {"attachmentId", "size"})
    assert {"name": "Subject", "value": SUBJECT_1} in payload["headers"]
    assert full["snippet"] == "Hello 1, it&#39;s the quote."
    assert full["internalDate"] == "1709546400000"
    assert isinstance(full["historyId"], str)
    assert full["labelIds"] == ["INBOX", "UNREAD"]
    got = service.users().messages().get(userId="me", id=message_id, format="raw").execute()
    assert base64.urlsafe_b64decode(got["raw"]) == raw and "payload" not in got
    metadata = service.users().messages().get(
        userId="me", id=message_id, format="metadata",
        metadataHeaders=["subject", "From"]).execute()
    assert [h["name"] for h in metadata["payload"]["headers"]] == ["From", "Subject"]


def test_fields_cut_the_answer_down(google: FakeGoogle) -> None:
    message_id = google.mailbox(USER).add(mail(1))
    service = gmail(google, delegated(google))
    listed = service.users().messages().list(userId="me", fields="messages/id").execute()
    assert listed == {"messages": [{"id": message_id}]}
    got = service.users().messages().get(
        userId="me", id=message_id, fields="id,payload(mimeType,headers/name)").execute()
    assert set(got) == {"id", "payload"}
    assert set(got["payload"]) == {"mimeType", "headers"}
    assert set(got["payload"]["headers"][0]) == {"name"}


def test_threads_labels_and_two_mailboxes(google: FakeGoogle) -> None:
    alice, bob = google.mailbox(USER), google.mailbox(OTHER)
    sent = alice.add(mail(1, sender=USER, to="dana@client.test"))
    reply = alice.add(mail(2, reply_to="<m1@client.test>"))
    copy = bob.add(mail(1, sender=USER, to="dana@client.test"))
    assert alice.messages[sent].labels == ["SENT"]
    assert alice.messages[reply].thread_id == alice.messages[sent].thread_id == sent
    assert copy not in {sent, reply}
    for user, expected in ((USER, {sent, reply}), (OTHER, {copy})):
        service = gmail(google, delegated(google, user=user))
        listed = service.users().messages().list(userId="me").execute()["messages"]
        assert {m["id"] for m in listed} == expected
    labels = gmail(google, delegated(google)).users().labels().list(userId="me").execute()
    assert {"id": "SENT", "name": "SENT", "type": "system"} in labels["labels"]


def test_batch_of_120_gets_goes_as_two_batch_requests(google: FakeGoogle) -> None:
    box = google.mailbox(USER)
    ids = [box.add(mail(n)) for n in range(120)]
    box.delete(ids[7])  # deleted between list and get: that part alone is a 404
    service = gmail(google, delegated(google))
    got: dict[str, Any] = {}
    failed: dict[str, int] = {}

    def collect(request_id: str, response: Any, error: HttpError | None) -> None:
        if error is not None:
            failed[request_id] = error.status_code
        else:
            got[response["id"]] = response

    for start in range(0, len(ids), 100):
        batch = BatchHttpRequest(callback=collect, batch_uri=google.gmail_batch_uri)
        for message_id in ids[start:start + 100]:
            batch.add(service.users().messages().get(
                userId="me", id=message_id, format="metadata",
                metadataHeaders=["From", "To", "Subject", "Message-ID"]), request_id=message_id)
        batch.execute()
    assert google.batches == [100, 20]
    assert set(got) == set(ids) - {ids[7]} and failed == {ids[7]: 404}
    assert google.count(GET, batched=False) == 0
    assert google.count(GET, batched=True, user=USER) == 120
    assert google.count("batch") == 2


def test_batches_over_100_parts_are_refused_whole(google: FakeGoogle) -> None:
    service = gmail(google, delegated(google))
    batch = BatchHttpRequest(batch_uri=google.gmail_batch_uri)
    for n in range(101):
        batch.add(service.users().messages().get(userId="me", id=f"{n:016x}"))
    with pytest.raises(HttpError) as refused:
        batch.execute()
    assert refused.value.status_code == 400
    assert "Received: 101, Limit: 100" in str(refused.value.reason)


def test_new_batch_http_request_ignores_api_endpoint(google: FakeGoogle) -> None:
    """A connector must build ``BatchHttpRequest(batch_uri=...)`` itself."""
    service = gmail(google, delegated(google))
    assert service.new_batch_http_request()._batch_uri == "https://gmail.googleapis.com/batch"


def test_history_incremental_paging_and_expiry(google: FakeGoogle) -> None:
    box = google.mailbox(USER)
    first = box.add(mail(1))
    service = gmail(google, delegated(google))
    start = service.users().getProfile(userId="me").execute()["historyId"]
    second = box.add(mail(2))
    box.change_labels(first, add=["STARRED"])
    box.delete(first)
    history = service.users().history()
    answer = history.list(userId="me", startHistoryId=start).execute()
    changes = [(kind, change["message"]["id"]) for record in answer["history"]
               for kind, changes in record.items()
               if kind not in {"id", "messages"} for change in changes]
    assert changes == [("messagesAdded", second), ("labelsAdded", first),
                       ("messagesDeleted", first)]
    assert answer["historyId"] == str(box.history_id)
    records = [int(r["id"]) for r in answer["history"]]
    assert records == sorted(records) and records[0] > int(start)
    added = history.list(userId="me", startHistoryId=start,
                         historyTypes=["messageAdded"]).execute()
    assert [r["messagesAdded"][0]["message"]["id"] for r in added["history"]] == [second]
    request, pages = history.list(userId="me", startHistoryId=start, maxResults=1), 0
    while request is not None:
        page = request.execute()
        pages += 1
        request = history.list_next(request, page)
    assert pages == 3
    assert history.list(userId="me", startHistoryId=box.history_id).execute() == {
        "historyId": str(box.history_id)}
    box.expire_history()
    with pytest.raises(HttpError) as expired:
        history.list(userId="me", startHistoryId=start).execute()
    assert expired.value.status_code == 404


# -- Calendar ----------------------------------------------------------------------

def _meetings(google: FakeGoogle) -> None:
    cal = google.calendar(USER)
    cal.put({"id": "standup", "summary": "Standup", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
             "start": {"dateTime": "2024-03-04T09:00:00+01:00", "timeZone": "Europe/Berlin"},
             "end": {"dateTime": "2024-03-04T09:15:00+01:00", "timeZone": "Europe/Berlin"},
             "attendees": [{"email": USER, "self": True, "responseStatus": "accepted"},
                           {"email": "dana@client.test", "responseStatus": "tentative"}]})
    cal.cancel_occurrence("standup", "2024-03-11T09:00:00+01:00")
    cal.put_occurrence("standup", "2024-03-18T09:00:00+01:00",
                       {"start": {"dateTime": "2024-03-18T10:00:00+01:00"},
                        "end": {"dateTime": "2024-03-18T10:15:00+01:00"}})
    cal.put({"id": "lunch", "summary": "Lunch with Dana", "visibility": "private",
             "organizer": {"email": "dana@client.test"},
             "start": {"dateTime": "2024-03-05T12:00:00Z"},
             "end": {"dateTime": "2024-03-05T13:00:00Z"}})
    cal.put({"id": "offsite", "start": {"date": "2024-03-06"}, "end": {"date": "2024-03-07"}})
    cal.put({"id": "later", "start": {"dateTime": "2024-05-01T09:00:00Z"},
             "end": {"dateTime": "2024-05-01T10:00:00Z"}})


def _all_pages(events: Any, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    request, items, page = events.list(calendarId="primary", **params), [], {}
    while request is not None:
        page = request.execute()
        assert ("nextPageToken" in page) != ("nextSyncToken" in page)
        items += page["items"]
        request = events.list_next(request, page)
    return items, page


def test_events_full_sync_expands_series_in_window(google: FakeGoogle) -> None:
    _meetings(google)
    events = calendar(google, delegated(google)).events()
    items, last = _all_pages(events, singleEvents=True, maxResults=2,
                             timeMin="2024-03-01T00:00:00Z", timeMax="2024-04-01T00:00:00Z")
    assert [e["id"] for e in items] == [
        "standup_20240304T080000Z", "lunch", "offsite",
        "standup_20240318T080000Z", "standup_20240325T080000Z"]
    moved = items[3]
    assert moved["start"]["dateTime"] == "2024-03-18T10:00:00+01:00"
    assert moved["originalStartTime"]["dateTime"] == "2024-03-18T09:00:00+01:00"
    assert {moved["iCalUID"], items[0]["iCalUID"]} == {"standup@google.com"}
    assert moved["recurringEventId"] == "standup"
    assert moved["attendees"][1] == {"email": "dana@client.test", "responseStatus": "tentative"}
    assert items[1]["visibility"] == "private"
    assert items[1]["organizer"] == {"email": "dana@client.test"}
    assert items[0]["organizer"] == {"email": USER, "self": True}
    assert "nextSyncToken" in last
    masters, _ = _all_pages(events)
    assert sorted(e["id"] for e in masters) == [
        "later", "lunch", "offsite", "standup", "standup_20240318T080000Z"]


def test_events_sync_token_increments_and_410(google: FakeGoogle) -> None:
    _meetings(google)
    cal = google.calendar(USER)
    events = calendar(google, delegated(google)).events()
    _, last = _all_pages(events, singleEvents=True)
    cal.delete("lunch")
    cal.cancel_occurrence("standup", "2024-03-25T09:00:00+01:00")
    cal.put({"id": "review", "start": {"dateTime": "2024-03-26T09:00:00Z"},
             "end": {"dateTime": "2024-03-26T10:00:00Z"}})
    changed, after = _all_pages(events, singleEvents=True, syncToken=last["nextSyncToken"])
    by_id = {e["id"]: e for e in changed}
    assert set(by_id) == {"lunch", "standup_20240325T080000Z", "review"}
    assert set(by_id["lunch"]) == {"kind", "etag", "id", "status"}
    assert by_id["lunch"]["status"] == "cancelled"
    assert by_id["standup_20240325T080000Z"]["recurringEventId"] == "standup"
    assert by_id["standup_20240325T080000Z"]["originalStartTime"] == {
        "dateTime": "2024-03-25T09:00:00+01:00", "timeZone": "Europe/Berlin"}
    nothing, _ = _all_pages(events, singleEvents=True, syncToken=after["nextSyncToken"])
    assert nothing == []
    with pytest.raises(HttpError) as clash:
        events.list(calendarId="primary", singleEvents=True, syncToken=after["nextSyncToken"],
                    timeMin="2024-01-01T00:00:00Z").execute()
    assert clash.value.status_code == 400
    cal.expire_sync_tokens()
    with pytest.raises(HttpError) as gone:
        events.list(calendarId="primary", singleEvents=True,
                    syncToken=after["nextSyncToken"]).execute()
    assert gone.value.status_code == 410
    assert gone.value.error_details[0]["reason"] == "fullSyncRequired"


# -- Faults ------------------------------------------------------------------------

def test_429_carries_retry_after_and_the_client_retries(google: FakeGoogle) -> None:
    service = gmail(google, delegated(google))
    google.fail_next(1, 429, retry_after="7")
    with pytest.raises(HttpError) as throttled:
        service.users().getProfile(userId="me").execute()
    assert throttled.value.status_code == 429
    assert throttled.value.resp["retry-after"] == "7"
    assert throttled.value.error_details[0]["reason"] == "rateLimitExceeded"
    google.fail_next(1, 403, reason="userRateLimitExceeded")
    request = service.users().getProfile(userId="me")
    slept: list[float] = []
    request._sleep = slept.append
    assert request.execute(num_retries=2)["emailAddress"] == USER
    assert len(slept) == 1  # googleapiclient backs off by itself, ignoring Retry-After
    assert google.count("gmail.users.getProfile", status=403) == 1


def test_5xx_storm_exhausts_retries(google: FakeGoogle) -> None:
    service = gmail(google, delegated(google))
    google.fail_next(5, 500)
    request = service.users().getProfile(userId="me")
    request._sleep = lambda seconds: None
    with pytest.raises(HttpError) as storm:
        request.execute(num_retries=2)
    assert storm.value.status_code == 500
    assert google.count("gmail.users.getProfile", status=500) == 3
    google.fail_next(1, 503)
    assert request.execute(num_retries=3)["emailAddress"] == USER
    assert google.count("gmail.users.getProfile", status=503) == 1


def test_dropped_connections(google: FakeGoogle) -> None:
    """httplib2 silently re-sends once on a connection closed without an answer;
    a second drop reaches the caller as a ConnectionError."""
    service = gmail(google, delegated(google))
    google.drop_next(1)
    assert service.users().getProfile(userId="me").execute()["emailAddress"] == USER
    google.drop_next(2)
    with pytest.raises(ConnectionError):
        service.users().getProfile(userId="me").execute()
    assert google.count("gmail.users.getProfile", status=0) == 3


def test_faults_target_users_endpoints_and_batch_parts(google: FakeGoogle) -> None:
    box = google.mailbox(USER)
    ids = [box.add(mail(n)) for n in range(5)]
    google.fail_next(1, 503, user=OTHER)
    assert gmail(google, delegated(google)).users().getProfile(userId="me").execute()
    with pytest.raises(HttpError):
        gmail(google, delegated(google, user=OTHER)).users().getProfile(userId="me").execute()
    google.fail_next(2, 429, endpoint=GET, retry_after="3")
    service = gmail(google, delegated(google))
    errors: list[tuple[int, str]] = []

    def collect(request_id: str, response: Any, error: HttpError | None) -> None:
        if error is not None:
            errors.append((error.status_code, error.resp["retry-after"]))

    batch = BatchHttpRequest(callback=collect, batch_uri=google.gmail_batch_uri)
    for message_id in ids:
        batch.add(service.users().messages().get(userId="me", id=message_id, format="minimal"))
    batch.execute()
    assert errors == [(429, "3"), (429, "3")]
    assert google.count(GET, user=USER, status=200) == 3
    assert google.count(user=OTHER, status=503) == 1
