"""The OAuth 2.0 token endpoint (``https://oauth2.googleapis.com/token``) and the
access tokens it hands out.

Three grants, as google-auth and google-auth-oauthlib send them (shared/REMOTE-APIS.md
§0, §3):

- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: a service account signs a JWT
  (RS256, header ``kid`` = ``private_key_id``) with ``iss`` = client_email, ``sub`` =
  the impersonated user (domain-wide delegation), ``scope``, ``iat``/``exp`` and
  ``aud`` = Google's token URL whatever ``token_uri`` says. The signature is checked
  against the public half of a key generated at test time.
- ``refresh_token``: ``client_id``, ``client_secret``, ``refresh_token`` and an
  optional narrowing ``scope``.
- ``authorization_code`` (the installed-app flow): the consent page
  ``/o/oauth2/auth`` signs in as the user a test chose with ``consent_as`` and
  redirects to the loopback ``redirect_uri`` with ``code`` and ``state``; the code is
  single-use, bound to client, redirect URI and the PKCE S256 challenge, and buys an
  access token plus a refresh token.

Errors use the token endpoint's own shape, ``{"error", "error_description"}``:
``invalid_grant`` (revoked refresh token, unknown subject, bad JWT) is 400,
``invalid_client`` and ``unauthorized_client`` (scopes not delegated to the service
account) are 401. An access token is tied to one user and one set of scopes, and
lives ``ACCESS_TOKEN_LIFETIME`` seconds on the server's clock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests import known_secrets
from tests.fakes.google_wire import Reply, json_reply

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_TOKEN_LIFETIME = 3599
# google-auth always puts the first one in ``aud`` (service_account.py); the others are
# older spellings of the same endpoint that Google still accepts.
TOKEN_AUDIENCES = frozenset({"https://oauth2.googleapis.com/token",
                             "https://accounts.google.com/o/oauth2/token",
                             "https://www.googleapis.com/oauth2/v4/token"})
_BAD_TIMES = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
              "reasonable timeframe. Check your iat and exp values in the JWT claim.")
_UNDELEGATED = ("Client is unauthorized to retrieve access tokens using this method, or "
                "client not authorized for any of the scopes requested.")


@dataclass(frozen=True)
class Grant:
    """What an access token allows: one user's data, within these scopes.

    ``user`` is None for a service account acting as itself (no ``sub``);
    ``refresh_token`` is the one it was bought with, if any: revoking that revokes it
    too, as a user removing the app's access at Google does."""

    user: str | None
    scopes: frozenset[str]
    expires_at: float
    refresh_token: str | None = None


@dataclass
class ServiceAccount:
    client_email: str
    key_id: str
    public_key: rsa.RSAPublicKey
    delegated_scopes: frozenset[str] | None  # None: the admin delegated every scope


@dataclass(frozen=True)
class Consent:
    """An authorization code waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    user: str
    scopes: tuple[str, ...]
    challenge: str | None


@dataclass
class RefreshGrant:
    client_id: str
    user: str
    scopes: frozenset[str]
    revoked: bool = False


class TokenError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description = status, error, description

    def reply(self) -> Reply:
        return json_reply({"error": self.error, "error_description": self.description},
                          self.status)


@dataclass
class OAuthServer:
    """Service accounts, OAuth clients, refresh tokens and live access tokens."""

    known_user: Callable[[str], bool]
    clock: Callable[[], float]
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, Consent] = field(default_factory=dict)
    consenting_user: str | None = None  # who is signed in at the consent page

    def new_service_account(self, token_uri: str,
                            delegated_scopes: set[str] | None = None) -> dict[str, str]:
        """A fresh key pair; the server keeps the public half, the caller gets the
        service-account JSON (the private key never leaves the test process)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        number = len(self.service_accounts) + 1
        email = f"syncd-test-{number}@fake-project.iam.gserviceaccount.com"
        key_id = secrets.token_hex(20)
        self.service_accounts[email] = ServiceAccount(
            email, key_id, key.public_key(),
            None if delegated_scopes is None else frozenset(delegated_scopes))
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": "fake-project",
                "private_key_id": key_id, "private_key": pem, "client_email": email,
                "client_id": str(100000000000000000000 + number), "token_uri": token_uri,
                "universe_domain": "googleapis.com"}

    def authorize(self, user: str, scopes: set[str], token_uri: str) -> dict[str, str]:
        """What the installed-app flow leaves behind after the user consented:
        ``authorized_user`` info for ``Credentials.from_authorized_user_info``."""
        client_id, secret = self.new_client()
        refresh = known_secrets.new("1//0", 60)
        self.refresh_tokens[refresh] = RefreshGrant(client_id, user, frozenset(scopes))
        return {"type": "authorized_user", "client_id": client_id, "client_secret": secret,
                "refresh_token": refresh, "token_uri": token_uri}

    def new_client(self) -> tuple[str, str]:
        """A registered OAuth client (desktop app): id and secret."""
        client_id = f"{secrets.token_hex(6)}.apps.googleusercontent.com"
        self.clients[client_id] = known_secrets.new("GOCSPX-", 18)
        return client_id, self.clients[client_id]

    def consent_page(self, query: dict[str, str]) -> Reply:
        """``GET /o/oauth2/auth``: the signed-in user approves at once and the
        browser is sent back to the app's loopback redirect URI."""
        redirect = query.get("redirect_uri", "")
        host = urllib.parse.urlsplit(redirect).hostname
        if query.get("client_id") not in self.clients:
            return _page(401, "Error 401: invalid_client. The OAuth client was not found.")
        if host not in {"localhost", "127.0.0.1", "::1"}:
            return _page(400, "Error 400: redirect_uri_mismatch")
        if self.consenting_user is None:
            return _page(400, "fake_google: no user is signed in (call consent_as)")
        scopes = tuple(query.get("scope", "").split())
        code = f"4/0A{secrets.token_urlsafe(40)}"
        challenge = query.get("code_challenge")
        if challenge and query.get("code_challenge_method", "plain") != "S256":
            return _page(400, "fake_google only implements PKCE S256")
        self.codes[code] = Consent(query["client_id"], redirect, self.consenting_user,
                                   scopes, challenge)
        answer = {"state": query.get("state", ""), "code": code, "scope": " ".join(scopes)}
        location = f"{redirect}?{urllib.parse.urlencode(answer)}"
        return Reply(302, b"", (("Location", location),), "text/html; charset=UTF-8")

    def revoke(self, refresh_token: str) -> None:
        self.refresh_tokens[refresh_token].revoked = True
        for token, grant in list(self.access_tokens.items()):
            if grant.refresh_token == refresh_token:
                del self.access_tokens[token]

    def expire_access_tokens(self, user: str | None = None) -> None:
        for token, grant in list(self.access_tokens.items()):
            if user is None or grant.user == user:
                del self.access_tokens[token]

    def grant_for(self, authorization: str | None) -> Grant | None:
        """The grant behind an ``Authorization: Bearer`` header, if still live."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        grant = self.access_tokens.get(authorization[7:].strip())
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    def token(self, form: dict[str, str]) -> tuple[Reply, str | None]:
        """Answer one token request; also returns the user it was for (for the log)."""
        grant_type = form.get("grant_type", "")
        extra: dict[str, object] = {}
        try:
            if grant_type == JWT_BEARER:
                grant = self._jwt_bearer(form.get("assertion", ""))
            elif grant_type == "refresh_token":
                grant = self._refresh(form)
            elif grant_type == "authorization_code":
                grant, extra["refresh_token"] = self._exchange(form)
            else:
                raise TokenError(400, "unsupported_grant_type",
                                 f"Invalid grant_type: {grant_type}")
        except TokenError as error:
            return error.reply(), None
        if grant_type != JWT_BEARER:
            extra["scope"] = " ".join(sorted(grant.scopes))
        access = known_secrets.new("ya29.fake-", 32)
        self.access_tokens[access] = grant
        return json_reply({"access_token": access, "token_type": "Bearer",
                           "expires_in": ACCESS_TOKEN_LIFETIME, **extra}), grant.user

    def _exchange(self, form: dict[str, str]) -> tuple[Grant, str]:
        client_id = form.get("client_id", "")
        if client_id == "" or self.clients.get(client_id) != form.get("client_secret"):
            raise TokenError(401, "invalid_client", "Unauthorized")
        consent = self.codes.pop(form.get("code", ""), None)
        if consent is None or consent.client_id != client_id:
            raise TokenError(400, "invalid_grant", "Malformed auth code.")
        if consent.redirect_uri != form.get("redirect_uri"):
            raise TokenError(400, "redirect_uri_mismatch", "Bad Request")
        if consent.challenge is not None:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != consent.challenge:
                raise TokenError(400, "invalid_grant", "Invalid code verifier.")
        refresh = known_secrets.new("1//0", 60)
        scopes = frozenset(consent.scopes)
        self.refresh_tokens[refresh] = RefreshGrant(client_id, consent.user, scopes)
        return Grant(consent.user, scopes, self.clock() + ACCESS_TOKEN_LIFETIME,
                     refresh), refresh

    def _refresh(self, form: dict[str, str]) -> Grant:
        client_id = form.get("client_id", "")
        if self.clients.get(client_id) != form.get("client_secret") or client_id == "":
            raise TokenError(401, "invalid_client", "Unauthorized")
        refresh = form.get("refresh_token", "")
        stored = self.refresh_tokens.get(refresh)
        if stored is None or stored.revoked or stored.client_id != client_id:
            raise TokenError(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = stored.scopes
        if form.get("scope"):
            asked = frozenset(form["scope"].split())
            if not asked <= stored.scopes:
                raise TokenError(400, "invalid_scope",
                                 "The requested scope is not within the granted scopes.")
            scopes = asked
        return Grant(stored.user, scopes, self.clock() + ACCESS_TOKEN_LIFETIME, refresh)

    def _jwt_bearer(self, assertion: str) -> Grant:
        claims, account = self._verified_claims(assertion)
        now = self.clock()
        iat, exp = float(claims.get("iat", 0)), float(claims.get("exp", 0))
        if exp <= now - 60 or iat > now + 300 or exp - iat > 3600:
            raise TokenError(400, "invalid_grant", _BAD_TIMES)
        if claims.get("aud") not in TOKEN_AUDIENCES:
            raise TokenError(400, "invalid_grant", "Invalid JWT: Failed audience check.")
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes:
            raise TokenError(400, "invalid_scope",
                             "Invalid OAuth scope or ID token audience provided.")
        subject = claims.get("sub")
        if subject is None:
            return Grant(None, scopes, now + ACCESS_TOKEN_LIFETIME)
        if account.delegated_scopes is not None and not scopes <= account.delegated_scopes:
            raise TokenError(401, "unauthorized_client", _UNDELEGATED)
        if not self.known_user(str(subject)):
            raise TokenError(400, "invalid_grant", "Invalid email or User ID")
        return Grant(str(subject).lower(), scopes, now + ACCESS_TOKEN_LIFETIME)

    def _verified_claims(self, assertion: str) -> tuple[dict[str, Any], ServiceAccount]:
        try:
            head, payload, signature = assertion.split(".")
            header = json.loads(_unb64(head))
            claims = json.loads(_unb64(payload))
            raw_signature = _unb64(signature)
        except ValueError as error:
            raise TokenError(400, "invalid_grant", "Invalid JWT.") from error
        account = self.service_accounts.get(str(claims.get("iss")))
        if account is None:
            raise TokenError(400, "invalid_grant", "Invalid grant: account not found")
        if header.get("alg") != "RS256" or header.get("kid") not in (None, account.key_id):
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.")
        try:
            account.public_key.verify(raw_signature, f"{head}.{payload}".encode(),
                                      padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as error:
            raise TokenError(400, "invalid_grant", "Invalid JWT Signature.") from error
        return claims, account


def _page(status: int, text: str) -> Reply:
    """Google's consent errors are HTML pages for the person at the browser."""
    return Reply(status, f"<html><body><p>{text}</p></body></html>".encode(),
                 content_type="text/html; charset=UTF-8")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
