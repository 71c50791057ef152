"""The Microsoft identity platform (v2.0 endpoints) as MSAL Python talks to it.

Served under ``/{tenant}`` where tenant is a tenant id, a verified domain,
``organizations`` or ``common`` (shared/REMOTE-APIS.md §5, V-src msal 1.39.0):

- ``GET /{tenant}/v2.0/.well-known/openid-configuration``: MSAL's tenant discovery;
  it needs ``authorization_endpoint``, ``token_endpoint`` and, for the device flow,
  ``device_authorization_endpoint``. All point back at this server, so MSAL (which
  accepts only ``https://`` authorities) talks to nobody else.
- ``POST /{tenant}/oauth2/v2.0/devicecode``: ``client_id`` + ``scope``.
- ``POST /{tenant}/oauth2/v2.0/token`` with the grants:

  * ``urn:ietf:params:oauth:grant-type:device_code``: ``authorization_pending``
    until the test approves the user code (:meth:`Identity.approve`),
    ``authorization_declined`` after :meth:`Identity.decline`, ``expired_token``
    after the code's lifetime, ``slow_down`` when a test asks for it;
  * ``refresh_token``: answers a new refresh token each time (rotation; the old one
    stays usable, as Entra does [UNVERIFIED]); ``invalid_grant`` (AADSTS50173) once
    the user's sessions are revoked;
  * ``client_credentials``: a client secret or a certificate assertion (an RS256 or
    PS256 JWT with ``x5t`` / ``x5t#S256`` naming the registered certificate,
    ``aud`` = the token endpoint, ``iss`` = ``sub`` = client id), signature verified;
    scope must be ``<resource>/.default``.

Delegated answers carry ``id_token`` and ``client_info`` (base64url ``{"uid",
"utid"}``) because MSAL builds its accounts from them: without both,
``get_accounts()`` stays empty and ``acquire_token_silent`` never works. Errors are
the Entra shape ``{"error", "error_description": "AADSTSnnnn: ...", "error_codes",
"timestamp", "trace_id", "correlation_id"}``, 400 (401 for ``invalid_client``).

Access tokens are RS256 JWTs with ``scp`` (delegated) or ``roles`` (app-only)
claims like real ones, signed by a key of this fake; Graph looks them up in
:attr:`Identity.access_tokens` rather than verifying them.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests import known_secrets
from tests.fakes.graph_wire import OAUTH_JSON, Reply, json_reply

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})
ACCESS_TOKEN_LIFETIME = 3599
DEVICE_CODE_LIFETIME = 900
GENERIC_TENANTS = frozenset({"common", "organizations", "consumers"})


def permission(scope: str) -> str:
    """``https://graph.microsoft.com/Mail.Read`` and ``Mail.Read`` are one permission;
    so is a national cloud's (``https://graph.microsoft.us/Mail.Read``) or this fake's
    own host, named as the resource when the client's Graph base points here."""
    if scope.lower().startswith("https://"):
        return scope.rsplit("/", 1)[1]
    return scope


@dataclass(frozen=True)
class Grant:
    """What an access token allows.

    ``user`` is None for an app-only token, whose ``permissions`` are application
    roles (``Mail.Read``, ``Mail.ReadBasic.All``, ``Calendars.Read``) valid for every
    mailbox of ``tenant``; a delegated token reaches only its user's mailbox."""

    client_id: str
    tenant: str
    user: str | None
    permissions: frozenset[str]
    expires_at: float
    refresh_token: str | None = None


@dataclass
class App:
    """An app registration.

    ``delegated`` lists the delegated permissions users may consent to (None: any);
    ``roles`` the application permissions an admin consented to (client credentials).
    """

    client_id: str
    tenant: str
    secret: str | None = None
    certificate: x509.Certificate | None = None
    delegated: frozenset[str] | None = None
    roles: frozenset[str] = frozenset()


@dataclass
class DeviceCode:
    client_id: str
    tenant: str
    user_code: str
    scopes: tuple[str, ...]
    expires_at: float
    user: str | None = None
    declined: bool = False
    slow_down: int = 0  # how many more polls answer slow_down


@dataclass
class RefreshGrant:
    client_id: str
    tenant: str
    user: str
    scopes: tuple[str, ...]
    revoked: bool = False


class TokenError(Exception):
    """An error answer of the token or device-code endpoint."""

    def __init__(self, error: str, code: int, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: AADSTS{code}: {description}")
        self.error, self.code, self.description, self.status = error, code, description, status

    def reply(self) -> Reply:
        trace = str(uuid.uuid4())
        return json_reply({
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace} "
                                 f"Correlation ID: {uuid.uuid4()} Timestamp: "
                                 f"{datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}",
            "error_codes": [self.code], "timestamp": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}",
            "trace_id": trace, "correlation_id": str(uuid.uuid4()),
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}"},
            self.status, content_type=OAUTH_JSON)


@dataclass
class Tenant:
    id: str
    domain: str
    users: dict[str, str] = field(default_factory=dict)  # upn (lower) -> object id
    names: dict[str, str] = field(default_factory=dict)  # upn (lower) -> display name


@dataclass
class Identity:
    """Tenants, users, app registrations, device codes and tokens.

    ``base_url`` is where the fake listens (``https://127.0.0.1:P``); every URL this
    hands out is under it."""

    base_url: str
    clock: Callable[[], float] = time.time
    device_interval: int = 1  # Entra says 5; tests would wait 5 s per poll
    tenants: dict[str, Tenant] = field(default_factory=dict)  # by id
    apps: dict[str, App] = field(default_factory=dict)
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)  # by device_code
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    signing_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                         key_size=2048))

    # -- registry --------------------------------------------------------------------
    def add_tenant(self, domain: str) -> Tenant:
        tenant = Tenant(str(uuid.uuid4()), domain.lower())
        self.tenants[tenant.id] = tenant
        return tenant

    def add_user(self, tenant: Tenant, upn: str, name: str = "") -> str:
        """A user of ``tenant``; returns its object id (what Graph's ``id`` is)."""
        key = upn.lower()
        tenant.users.setdefault(key, str(uuid.uuid4()))
        tenant.names[key] = name or key.split("@")[0].title()
        return tenant.users[key]

    def add_app(self, tenant: Tenant, *, secret: bool = False, certificate: bool = False,
                delegated: set[str] | None = None,
                roles: set[str] | None = None) -> tuple[App, dict[str, str]]:
        """Register an app; returns it with the credentials a client needs:
        ``client_secret`` and/or ``private_key`` + ``public_certificate`` (PEM) +
        ``thumbprint`` (SHA-1 hex), the shapes MSAL's ``client_credential`` takes."""
        app = App(str(uuid.uuid4()), tenant.id,
                  delegated=None if delegated is None else frozenset(delegated),
                  roles=frozenset(roles or ()))
        credentials: dict[str, str] = {"client_id": app.client_id, "tenant_id": tenant.id}
        if secret:
            app.secret = known_secrets.new("fake~", 30)
            credentials["client_secret"] = app.secret
        if certificate:
            key, app.certificate = _self_signed(f"syncd-app-{app.client_id[:8]}")
            credentials["private_key"] = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()).decode()
            credentials["public_certificate"] = app.certificate.public_bytes(
                serialization.Encoding.PEM).decode()
            credentials["thumbprint"] = app.certificate.fingerprint(hashes.SHA1()).hex()
        self.apps[app.client_id] = app
        return app, credentials

    def find_user(self, upn_or_id: str) -> tuple[Tenant, str] | None:
        """(tenant, upn) for a user principal name or object id."""
        wanted = upn_or_id.lower()
        for tenant in self.tenants.values():
            for upn, oid in tenant.users.items():
                if wanted in (upn, oid):
                    return tenant, upn
        return None

    def find_tenant(self, segment: str) -> Tenant | None:
        """The tenant a URL path names (id or domain); None for ``common`` and the
        like, which are resolved from the user or the app instead."""
        wanted = segment.lower()
        for tenant in self.tenants.values():
            if wanted in (tenant.id, tenant.domain):
                return tenant
        return None

    def known_segment(self, segment: str) -> bool:
        return segment.lower() in GENERIC_TENANTS or self.find_tenant(segment) is not None

    # -- test controls ----------------------------------------------------------------
    def pending(self, user_code: str) -> DeviceCode:
        for code in self.device_codes.values():
            if code.user_code == user_code:
                return code
        raise KeyError(f"no device code with user code {user_code!r}")

    def approve(self, user_code: str, upn: str) -> None:
        """The person entered ``user_code`` at the verification page, signed in as
        ``upn`` and consented to what the app asked."""
        found = self.find_user(upn)
        if found is None:
            raise KeyError(f"unknown user {upn}")
        code = self.pending(user_code)
        code.user, code.tenant = found[1], found[0].id  # tokens name the user's home tenant

    def decline(self, user_code: str) -> None:
        self.pending(user_code).declined = True

    def revoke(self, upn: str) -> None:
        """"Revoke sessions" for a user: every refresh token dies, as do the access
        tokens bought with them (Entra lets issued ATs live on; the fake is stricter
        so a test needs no clock games)."""
        key = upn.lower()
        dead = set()
        for token, grant in self.refresh_tokens.items():
            if grant.user == key:
                grant.revoked = True
                dead.add(token)
        self._drop_access(lambda grant: grant.refresh_token in dead)

    def expire_access_tokens(self, upn: str | None = None) -> None:
        """Access tokens die early (server side only: MSAL still trusts its cache, so
        the next Graph call is a 401 the client must answer by refreshing)."""
        key = upn.lower() if upn else None
        self._drop_access(lambda grant: key is None or grant.user == key)

    def _drop_access(self, doomed: Callable[[Grant], bool]) -> None:
        for token, grant in list(self.access_tokens.items()):
            if doomed(grant):
                del self.access_tokens[token]

    def grant_for(self, authorization: str | None) -> Grant | None:
        """The grant behind ``Authorization: Bearer``, if live."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        grant = self.access_tokens.get(authorization[7:].strip())
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    # -- endpoints --------------------------------------------------------------------
    def openid_configuration(self, segment: str) -> Reply:
        tenant = self.find_tenant(segment)
        if tenant is None and segment.lower() not in GENERIC_TENANTS:
            return TokenError("invalid_tenant", 90002,
                              f"Tenant '{segment}' not found.").reply()
        realm = tenant.id if tenant else segment.lower()
        issuer_tenant = tenant.id if tenant else "{tenantid}"
        base = f"{self.base_url}/{realm}"
        return json_reply({
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{self.base_url}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid",
                                 "preferred_username", "tid", "ver"],
            "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com"},
            content_type=OAUTH_JSON)

    def keys(self) -> Reply:
        """The JWKS that verifies this fake's id and access tokens."""
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key()))
        return json_reply({"keys": [dict(jwk, kid="fake", use="sig")]},
                          content_type=OAUTH_JSON)

    def device_code(self, segment: str, form: dict[str, str]) -> Reply:
        try:
            app = self._app(form.get("client_id", ""))
            scopes = tuple(form.get("scope", "").split())
            self._check_delegated(app, scopes)
        except TokenError as error:
            return error.reply()
        device_code = known_secrets.new("", 48)
        user_code = "".join(secrets.choice(string.ascii_uppercase + string.digits)
                            for _ in range(9))
        self.device_codes[device_code] = DeviceCode(
            app.client_id, app.tenant, user_code, scopes,
            self.clock() + DEVICE_CODE_LIFETIME)
        uri = "https://microsoft.com/devicelogin"
        return json_reply({
            "user_code": user_code, "device_code": device_code, "verification_uri": uri,
            "expires_in": DEVICE_CODE_LIFETIME, "interval": self.device_interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the "
                       f"code {user_code} to authenticate."}, content_type=OAUTH_JSON)

    def token(self, segment: str, form: dict[str, str]) -> tuple[Reply, str | None]:
        """Answer one token request; also returns the user it was for (for the log)."""
        grant_type = form.get("grant_type", "")
        try:
            if grant_type == DEVICE_CODE_GRANT:
                body, user = self._device_grant(form)
            elif grant_type == "refresh_token":
                body, user = self._refresh_grant(form)
            elif grant_type == "client_credentials":
                body, user = self._client_credentials(segment, form), None
            else:
                raise TokenError("unsupported_grant_type", 70003,
                                 "The app requested an unsupported grant type "
                                 f"'{grant_type}'.")
        except TokenError as error:
            return error.reply(), None
        return json_reply(body, content_type=OAUTH_JSON), user

    # -- grants -----------------------------------------------------------------------
    def _app(self, client_id: str) -> App:
        app = self.apps.get(client_id)
        if app is None:
            raise TokenError("unauthorized_client", 700016,
                             f"Application with identifier '{client_id}' was not found in "
                             "the directory.")
        return app

    def _check_delegated(self, app: App, scopes: tuple[str, ...]) -> None:
        wanted = {permission(s) for s in scopes} - OIDC_SCOPES - {".default"}
        if app.delegated is not None and not wanted <= app.delegated:
            raise TokenError("invalid_scope", 65001,
                             "The user or administrator has not consented to use the "
                             f"application with ID '{app.client_id}'.")

    def _device_grant(self, form: dict[str, str]) -> tuple[dict[str, Any], str]:
        code = self.device_codes.get(form.get("device_code", ""))
        if code is None or code.client_id != form.get("client_id"):
            raise TokenError("invalid_grant", 70000, "Provided grant is invalid or malformed.")
        if code.expires_at <= self.clock():
            raise TokenError("expired_token", 70020,
                             "The provided value for the input parameter 'device_code' is "
                             "not valid. This device code has expired.")
        if code.declined:
            raise TokenError("authorization_declined", 70019,
                             "The end user denied the authorization request.")
        if code.slow_down > 0:
            code.slow_down -= 1
            raise TokenError("slow_down", 70016, "Polling too frequently; slow down.")
        if code.user is None:
            raise TokenError("authorization_pending", 70016,
                             "OAuth 2.0 device flow error. Authorization is pending. "
                             "Continue polling.")
        del self.device_codes[form["device_code"]]  # redeemable once
        return self._user_tokens(code.client_id, code.tenant, code.user, code.scopes), code.user

    def _refresh_grant(self, form: dict[str, str]) -> tuple[dict[str, Any], str]:
        stored = self.refresh_tokens.get(form.get("refresh_token", ""))
        if stored is None or stored.client_id != form.get("client_id"):
            raise TokenError("invalid_grant", 9002313, "Invalid request. Request is "
                             "malformed or invalid.")
        app = self._app(stored.client_id)
        if app.secret is not None and form.get("client_secret") not in (None, app.secret):
            raise TokenError("invalid_client", 7000215, "Invalid client secret provided.",
                             401)
        if stored.revoked:
            raise TokenError("invalid_grant", 50173,
                             "The provided grant has expired due to it being revoked, a "
                             "fresh auth token is needed. The user might have changed or "
                             "reset their password.")
        scopes = tuple(form.get("scope", "").split()) or stored.scopes
        if not {permission(s) for s in scopes} - OIDC_SCOPES <= {
                permission(s) for s in stored.scopes}:
            # asking for more than was consented: Entra would need consent again
            raise TokenError("invalid_grant", 65001, "The user or administrator has not "
                             "consented to use the application.")
        return (self._user_tokens(stored.client_id, stored.tenant, stored.user, scopes),
                stored.user)

    def _user_tokens(self, client_id: str, tenant_id: str, upn: str,
                     scopes: tuple[str, ...]) -> dict[str, Any]:
        """Access, refresh and id token for a user, with ``client_info``."""
        tenant = self.tenants[tenant_id]
        oid = tenant.users[upn]
        now = self.clock()
        resource = tuple(s for s in scopes if s not in OIDC_SCOPES)
        permissions = frozenset(permission(s) for s in resource)
        refresh = known_secrets.new("1.Afake", 60)
        self.refresh_tokens[refresh] = RefreshGrant(client_id, tenant_id, upn, scopes)
        access = self._sign_secret({
            "aud": GRAPH_RESOURCE, "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": int(now), "nbf": int(now), "exp": int(now) + ACCESS_TOKEN_LIFETIME,
            "appid": client_id, "oid": oid, "upn": upn, "tid": tenant_id,
            "scp": " ".join(sorted(permissions)), "ver": "1.0", "uti": secrets.token_hex(8)})
        self.access_tokens[access] = Grant(client_id, tenant_id, upn, permissions,
                                           now + ACCESS_TOKEN_LIFETIME, refresh)
        id_token = self._sign({
            "aud": client_id, "iss": f"{self.base_url}/{tenant_id}/v2.0", "iat": int(now),
            "nbf": int(now), "exp": int(now) + 3600, "name": tenant.names[upn], "oid": oid,
            "preferred_username": upn, "sub": secrets.token_urlsafe(16), "tid": tenant_id,
            "ver": "2.0"})
        client_info = base64.urlsafe_b64encode(
            json.dumps({"uid": oid, "utid": tenant_id}).encode()).decode().rstrip("=")
        # the scope answer echoes what was asked, OIDC scopes included, as seen in MSAL
        # issue #450 ("files.readwrite openid profile") [short vs URI form UNVERIFIED]
        answered = [s for s in scopes if s != "offline_access"]
        return {"token_type": "Bearer", "scope": " ".join(answered),
                "expires_in": ACCESS_TOKEN_LIFETIME, "ext_expires_in": ACCESS_TOKEN_LIFETIME,
                "access_token": access, "refresh_token": refresh, "id_token": id_token,
                "client_info": client_info}

    def _client_credentials(self, segment: str, form: dict[str, str]) -> dict[str, Any]:
        app = self._app(form.get("client_id", ""))
        tenant = self.find_tenant(segment)
        if tenant is None or tenant.id != app.tenant:
            raise TokenError("invalid_request", 700016 if tenant else 90002,
                             f"Application '{app.client_id}' was not found in the tenant "
                             f"'{segment}'. Client credentials need a tenant-specific "
                             "authority.")
        if form.get("client_assertion_type") == JWT_ASSERTION:
            self._check_assertion(app, form.get("client_assertion", ""), tenant)
        elif app.secret is None or form.get("client_secret") != app.secret:
            raise TokenError("invalid_client", 7000215, "Invalid client secret provided. "
                             "Ensure the secret being sent in the request is the client "
                             "secret value, not the client secret ID.", 401)
        scopes = form.get("scope", "").split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            raise TokenError("invalid_scope", 1002012,
                             f"The provided value for scope {' '.join(scopes)} is not valid. "
                             "Client credential flows must have a scope value with "
                             "/.default suffixed to the resource identifier "
                             "(application ID URI).")
        now = self.clock()
        access = self._sign_secret({
            "aud": GRAPH_RESOURCE, "iss": f"https://sts.windows.net/{tenant.id}/",
            "iat": int(now), "nbf": int(now), "exp": int(now) + ACCESS_TOKEN_LIFETIME,
            "appid": app.client_id, "tid": tenant.id, "roles": sorted(app.roles),
            "idtyp": "app", "ver": "1.0"})
        self.access_tokens[access] = Grant(app.client_id, tenant.id, None, app.roles,
                                           now + ACCESS_TOKEN_LIFETIME)
        return {"token_type": "Bearer", "expires_in": ACCESS_TOKEN_LIFETIME,
                "ext_expires_in": ACCESS_TOKEN_LIFETIME, "access_token": access}

    def _check_assertion(self, app: App, assertion: str, tenant: Tenant) -> None:
        """A certificate credential: the JWT names the certificate by thumbprint and
        is signed by its key; ``aud`` is this tenant's token endpoint."""
        invalid = TokenError("invalid_client", 700027,
                             "Client assertion contains an invalid signature.", 401)
        if app.certificate is None:
            raise invalid
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as error:
            raise invalid from error
        thumbprints = {"x5t": app.certificate.fingerprint(hashes.SHA1()),
                       "x5t#S256": app.certificate.fingerprint(hashes.SHA256())}
        # base64url of the DER digest; MSAL keeps the "=" padding, RFC 7515 drops it
        named = [name for name, digest in thumbprints.items()
                 if str(header.get(name, "")).rstrip("=")
                 == base64.urlsafe_b64encode(digest).decode().rstrip("=")]
        if not named or header.get("alg") not in {"RS256", "PS256"}:
            raise TokenError("invalid_client", 700027, "The certificate with identifier "
                             "used to sign the client assertion is not registered on "
                             "application.", 401)
        audiences = [f"{self.base_url}/{segment}/oauth2/v2.0/token"
                     for segment in (tenant.id, tenant.domain)]
        try:
            claims = jwt.decode(assertion, app.certificate.public_key(),  # type: ignore[arg-type]
                                algorithms=["RS256", "PS256"], audience=audiences,
                                options={"require": ["exp", "iss", "sub", "aud"]})
        except jwt.PyJWTError as error:
            raise invalid from error
        if claims["iss"] != app.client_id or claims["sub"] != app.client_id:
            raise TokenError("invalid_client", 700021, "Client assertion application "
                             "identifier doesn't match 'client_id' parameter.", 401)

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.signing_key, algorithm="RS256",
                          headers={"kid": "fake", "typ": "JWT"})

    def _sign_secret(self, claims: dict[str, Any]) -> str:
        """An access token: signed, so not marked; remembered for the output check."""
        return known_secrets.remember(self._sign(claims))


def _self_signed(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """An app certificate as ``New-SelfSignedCertificate`` would make: RSA 2048."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return key, cert
