"""httpx authentication flows for ModelArts: AK/SK signing, a pre-issued token, IAM password tokens.

- `AkSkAuth(ak, sk, project_id=None, security_token=None)` signs each request (`SDK-HMAC-SHA256`).
- `TokenAuth(token)` sends a token obtained elsewhere as `X-Auth-Token`.
- `PasswordAuth(iam_endpoint, username, password, domain, project_name=... | project_id=...)`
  gets a Keystone v3 token from IAM, caches it until shortly before it expires, and on a 401 from
  the service fetches a new one once and retries the request once.

Secrets are held as pydantic `SecretStr`; no repr, log line or error shows them. Credentials are
never sent over plain http:// except to a loopback host, unless `allow_insecure_http=True`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import threading
import weakref
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import httpx
from pydantic import SecretStr

from . import signing
from ._transport import TOKEN_AT_SEND, install_log_redaction
from .exceptions import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TLSError,
)
from .masking import HIDDEN, mask, redact, reveal

__all__ = [
    "AkSkAuth",
    "IAMToken",
    "PasswordAuth",
    "TokenAuth",
    "is_loopback_host",
    "require_secure_url",
]

# Headers AkSkAuth signs besides every `X-...` one. Connection, Accept-Encoding, Content-Length and
# User-Agent are left out, as the SDK's own transport does: proxies and transports may rewrite them.
_ALWAYS_SIGNED = frozenset({b"host", b"content-type"})
_TEMPLATES_MAX = 256  # request shapes AkSkAuth remembers (see AkSkAuth.sign)
_DEFAULT_REFRESH_MARGIN = 300.0  # seconds before `expires_at` a cached token is replaced
_EXPIRES_AT = re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?", re.IGNORECASE)


@lru_cache(maxsize=64)
def is_loopback_host(host: str) -> bool:
    """True for `localhost`, `*.localhost` and loopback IP addresses (127.0.0.0/8, ::1)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(
    url: httpx.URL | str, *, allow_insecure_http: bool = False, what: str = "endpoint"
) -> None:
    """Refuse to send credentials to `url` unless it is https://, or http:// to a loopback host.

    Raises InsecureTransportError (or ConfigurationError for a scheme that is neither).
    """
    url = httpx.URL(url)
    if url.scheme == "https":
        return
    if url.scheme != "http":
        raise ConfigurationError(
            f"{what}: {str(url)!r} is not an http(s):// URL; give e.g. https://host[:port]"
        )
    if allow_insecure_http or is_loopback_host(url.host):
        return
    raise InsecureTransportError(
        f"{what}: refusing to send credentials over plain http:// to {url.host}; use https://, "
        "or, if this network is trusted, set allow_insecure_http=True (in a notebook: "
        "%config RegisterImageMagics.allow_insecure_http = True)",
        url=str(url),
        sent=False,
    )


def _check_url(url: httpx.URL, allow_insecure_http: bool) -> None:
    if url.scheme != "https" and not allow_insecure_http:
        require_secure_url(url)


def _required(field: str, value: Any, fix: str) -> str:
    text = reveal(value).strip()
    if not text:
        raise ConfigurationError(f"{field} is empty; {fix}")
    return text


def _header_text(value: bytes) -> str:
    # The SDK signs header values as text and sends them UTF-8 encoded: read them back the same way.
    try:
        return value.decode().strip()
    except UnicodeDecodeError:
        return value.decode("latin-1").strip()


# httpcore logs response headers at DEBUG, IAM's X-Subject-Token among them: mask them wherever auth is used.
install_log_redaction()


class AkSkAuth(httpx.Auth):
    """Sign every request with an access key / secret key pair (`SDK-HMAC-SHA256`).

    Sets `X-Sdk-Date` (now, UTC), keeps httpx's `Host` (host[:port], default port omitted), adds
    `X-Project-Id` and `X-Security-Token` when given, then `Authorization`. Signed: Host,
    Content-Type and every `X-...` header (names with `_` are never signed, as in the SDK).
    """

    requires_request_body = True

    def __init__(
        self,
        ak: str | SecretStr,
        sk: str | SecretStr,
        project_id: str | None = None,
        security_token: str | SecretStr | None = None,
        *,
        allow_insecure_http: bool = False,
    ) -> None:
        ak_text = _required("ak", ak, "give the access key (ak=... or HUAWEICLOUD_SDK_AK)")
        sk_text = _required("sk", sk, "give the secret key (sk=... or HUAWEICLOUD_SDK_SK)")
        if any(char.isspace() for char in ak_text + sk_text):
            raise ConfigurationError(
                "ak / sk contain white space; copy the keys again without spaces or line breaks"
            )
        # Signing templates per request shape (method, path and query, headers to sign but the
        # date): a client sends the same few shapes again and again. Cleared when a setting changes.
        self._templates: dict[tuple[Any, ...], _Template] = {}
        self._ak = SecretStr(ak_text)
        self.sk = SecretStr(sk_text)
        self._key = signing.SigningKey(sk_text)
        self._project_id = project_id.strip() if project_id else None
        token = reveal(security_token).strip()
        self._security_token = SecretStr(token) if token else None
        self.allow_insecure_http = allow_insecure_http
        self._allowed_origin: tuple[str, bytes, bool] | None = None

    @property
    def ak(self) -> SecretStr:
        """The access key."""
        return self._ak

    @ak.setter
    def ak(self, value: SecretStr) -> None:
        self._ak = value
        self._templates = {}

    @property
    def project_id(self) -> str | None:
        """The project sent (and signed) as `X-Project-Id`, if any."""
        return self._project_id

    @project_id.setter
    def project_id(self, value: str | None) -> None:
        self._project_id = value
        self._templates = {}

    @property
    def security_token(self) -> SecretStr | None:
        """The temporary credentials' token sent (and signed) as `X-Security-Token`, if any."""
        return self._security_token

    @security_token.setter
    def security_token(self, value: SecretStr | None) -> None:
        self._security_token = value
        self._templates = {}

    def __repr__(self) -> str:
        token = f", security_token={HIDDEN}" if self.security_token else ""
        return f"AkSkAuth(ak={mask(self.ak)!r}, sk={HIDDEN}, project_id={self.project_id!r}{token})"

    def sign(self, request: httpx.Request, now: datetime | None = None) -> httpx.Request:
        """Set the signing headers and `Authorization` on `request` (in place) and return it."""
        headers = request.headers
        url = request.url
        # httpx keeps (name, lower-case name, value) triples; reading and appending to them directly
        # costs a third of the public API (each `headers[name] = value` re-scans the list), so do
        # it when httpx is the one we know, else take the public way.
        entries = getattr(headers, "_list", None)
        if type(entries) is not list or getattr(headers, "_encoding", None) is not None:
            entries = None
        # The request's shape: what it signs besides the date, read in one pass over the headers.
        key: list[Any] = [request.method, url.raw_path]
        has_host = clash = False
        for item in entries if entries is not None else headers.raw:
            name = item[1] if entries is not None else item[0].lower()
            if name in _ALWAYS_SIGNED or name.startswith(b"x-"):
                if name == b"x-sdk-date":  # replaced by now's date
                    clash = True
                else:
                    key.append((name, item[-1]))
                    has_host = has_host or name == b"host"
            elif name == b"authorization":
                clash = True
        if not has_host:
            key.append(url.netloc)
        shape = tuple(key)
        template = self._templates.get(shape)
        if template is None:
            template = self._template(request, shape)
        if template.query is not None:
            request.url = url.copy_with(query=template.query)
        date = signing.sdk_date(now)
        authorization = template.signer.authorization(self._key, date, request.content)
        if entries is not None and not clash and not template.replaces:
            entries.append((b"X-Sdk-Date", b"x-sdk-date", date.encode()))
            entries.extend(template.raw_added)
            entries.append((b"Authorization", b"authorization", authorization.encode()))
        else:
            headers["X-Sdk-Date"] = date
            for name, value in template.added:
                headers[name] = value
            headers["Authorization"] = authorization
        return request

    def _template(self, request: httpx.Request, shape: tuple[Any, ...]) -> _Template:
        """Work out (and remember) how to sign requests of this shape."""
        to_sign: dict[str, str] = {}
        for item in shape[2:]:
            if isinstance(item, tuple):
                to_sign[item[0].decode("latin-1")] = _header_text(item[1])
        to_sign["x-sdk-date"] = ""  # each request's own
        added: list[tuple[str, str]] = []
        if self.project_id and to_sign.get("x-project-id") != self.project_id:
            to_sign["x-project-id"] = self.project_id
            added.append(("X-Project-Id", self.project_id))
        if self.security_token is not None:
            token = self.security_token.get_secret_value()
            to_sign["x-security-token"] = token
            added.append(("X-Security-Token", token))
        if "host" not in to_sign:
            to_sign["host"] = request.url.netloc.decode("ascii")
            added.append(("Host", to_sign["host"]))
        path, _, query = request.url.raw_path.decode("ascii").partition("?")
        pairs: list[tuple[str, str]] = []
        send_query: bytes | None = None
        if query:
            # Send the canonical query itself, as the SDK does: what is signed is then exactly
            # what the gateway reads, whatever it makes of `+` or of the order of the pairs.
            pairs = request.url.params.multi_items()
            canonical = signing.canonical_query(pairs)
            if canonical != query:
                send_query = canonical.encode("ascii")
        signer = signing.signing_template(self.ak.get_secret_value(), request.method, path, pairs, to_sign)
        present = {item[0] for item in shape[2:] if isinstance(item, tuple)}
        template = _Template(
            signer,
            tuple(added),
            tuple((name.encode(), name.lower().encode(), value.encode()) for name, value in added),
            any(name.lower().encode() in present for name, _ in added),
            send_query,
        )
        templates = self._templates
        if len(templates) >= _TEMPLATES_MAX:  # e.g. one GET per image id: keep it bounded
            templates.clear()
        templates[shape] = template
        return template

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request (a fresh `X-Sdk-Date` each time it is sent) and send it."""
        url = request.url
        origin = (url.scheme, url.raw_host, self.allow_insecure_http)
        if origin != self._allowed_origin:  # checked once per origin, not per request
            _check_url(url, self.allow_insecure_http)
            self._allowed_origin = origin
        yield self.sign(request)


@dataclass(frozen=True)
class _Template:
    """How `AkSkAuth` signs one request shape: the signer, the headers it adds, the query to send."""

    signer: signing.SigningTemplate
    added: tuple[tuple[str, str], ...]
    #: `added` as httpx's (name, lower-case name, value) byte triples
    raw_added: tuple[tuple[bytes, bytes, bytes], ...]
    #: some of `added` is already in the request (with another value): replace, not append
    replaces: bool
    query: bytes | None


class TokenAuth(httpx.Auth):
    """Send a pre-issued IAM token as `X-Auth-Token`."""

    def __init__(self, token: str | SecretStr, *, allow_insecure_http: bool = False) -> None:
        text = _required("token", token, "give an IAM token (token=...), or use AK/SK or a password")
        if any(char.isspace() for char in text):
            raise ConfigurationError("token contains white space; copy it again without line breaks")
        self.token = SecretStr(text)
        self.allow_insecure_http = allow_insecure_http

    def __repr__(self) -> str:
        return f"TokenAuth(token={HIDDEN})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add `X-Auth-Token` and send the request."""
        _check_url(request.url, self.allow_insecure_http)
        request.headers["X-Auth-Token"] = self.token.get_secret_value()
        yield request


@dataclass(frozen=True)
class IAMToken:
    """A Keystone v3 token from IAM: the token, when it expires, and the project of its scope."""

    token: SecretStr
    expires_at: datetime
    project_id: str | None
    #: When the cache replaces it: `expires_at` less the refresh margin (at most half its life).
    refresh_at: datetime

    def is_fresh(self, now: datetime | None = None) -> bool:
        """True until `refresh_at`."""
        return (now or datetime.now(timezone.utc)) < self.refresh_at


def _parse_expires_at(text: Any) -> datetime | None:
    match = _EXPIRES_AT.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    day, clock, zone = match.groups()
    moment = datetime.strptime(f"{day}T{clock}", "%Y-%m-%dT%H:%M:%S")
    if zone is None or zone.upper() == "Z":
        return moment.replace(tzinfo=timezone.utc)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(sign * offset)).astimezone(timezone.utc)


def _error_fields(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from the IAM / Keystone / ModelArts error body shapes."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason_phrase
    if not isinstance(body, dict):
        return None, response.reason_phrase
    error = body.get("error")
    if isinstance(error, dict):
        body = error
    code = body.get("error_code") or body.get("errorCode") or body.get("code")
    message = body.get("error_msg") or body.get("errorMsg") or body.get("message") or body.get("title")
    return (str(code) if code is not None else None), str(message or response.reason_phrase)


class PasswordAuth(httpx.Auth):
    """Authenticate with an IAM user's password: a cached Keystone v3 token sent as `X-Auth-Token`.

    The token is fetched from `POST {iam_endpoint}/v3/auth/tokens` on first use (or eagerly with
    `fetch_token()` / `afetch_token()`), scoped to `project_id` if given, else to `project_name`
    (usually the region, e.g. `eu-de`). It is reused until `refresh_margin` seconds before its
    `expires_at`; one fetch runs at a time, across threads and tasks. A 401 from the service gets
    one new token and one retry. `.project_id` is the configured one, else the token's.
    """

    requires_request_body = True  # so that a request can be sent again after a 401

    def __init__(
        self,
        iam_endpoint: str,
        username: str,
        password: str | SecretStr,
        domain: str,
        project_name: str | None = None,
        project_id: str | None = None,
        *,
        allow_insecure_http: bool = False,
        verify: Any = True,
        timeout: float = 30.0,
        refresh_margin: float = _DEFAULT_REFRESH_MARGIN,
    ) -> None:
        endpoint = _required(
            "iam_endpoint", iam_endpoint, "give the IAM URL, e.g. https://iam.eu-de.otc.t-systems.com"
        )
        require_secure_url(endpoint, allow_insecure_http=allow_insecure_http, what="iam_endpoint")
        self.iam_endpoint = endpoint.rstrip("/")
        base = self.iam_endpoint[:-3] if self.iam_endpoint.endswith("/v3") else self.iam_endpoint
        self.token_url = f"{base}/v3/auth/tokens"
        self.username = _required(
            "username", username, "give the IAM user name (username=... or OS_USERNAME)"
        )
        self.password = SecretStr(
            _required("password", password, "give the IAM user's password (password=... or OS_PASSWORD)")
        )
        self.domain = _required(
            "domain", domain, "give the account (domain) name (domain=... or OS_USER_DOMAIN_NAME)"
        )
        self.project_name = project_name.strip() if project_name else None
        self._configured_project_id = project_id.strip() if project_id else None
        if not self.project_name and not self._configured_project_id:
            raise ConfigurationError(
                "project_name and project_id are both empty; give the project (region) name, "
                "e.g. project_name='eu-de' (OS_PROJECT_NAME), or project_id=... (OS_PROJECT_ID)"
            )
        self.allow_insecure_http = allow_insecure_http
        self.verify = verify
        self.timeout = timeout
        self.refresh_margin = refresh_margin
        self._token: IAMToken | None = None
        self._lock = threading.Lock()
        self._loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        #: How many tokens were fetched from IAM so far.
        self.fetch_count = 0

    def __repr__(self) -> str:
        return (
            f"PasswordAuth(iam_endpoint={self.iam_endpoint!r}, username={self.username!r}, "
            f"password={HIDDEN}, domain={self.domain!r}, project_name={self.project_name!r}, "
            f"project_id={self.project_id!r})"
        )

    @property
    def project_id(self) -> str | None:
        """The configured project id, else the one of the current token's scope (None before it)."""
        if self._configured_project_id:
            return self._configured_project_id
        token = self._token
        return token.project_id if token is not None else None

    @property
    def token(self) -> IAMToken | None:
        """The cached token, if any (fresh or not)."""
        return self._token

    def invalidate(self) -> None:
        """Forget the cached token: the next request fetches a new one."""
        self._token = None

    # -- the token request -------------------------------------------------------------------

    def _request_body(self) -> bytes:
        if self._configured_project_id:
            scope: dict[str, Any] = {"project": {"id": self._configured_project_id}}
        else:
            scope = {"project": {"name": self.project_name}}
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.username,
                            "password": self.password.get_secret_value(),
                            "domain": {"name": self.domain},
                        }
                    },
                },
                "scope": scope,
            }
        }
        return json.dumps(body).encode()

    def _build_request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        return client.build_request(
            "POST",
            self.token_url,
            content=self._request_body(),
            headers={"Content-Type": "application/json;charset=utf8", "Accept": "application/json"},
        )

    def _transport_error(self, exc: httpx.TransportError) -> Exception:
        reason = redact(str(exc) or type(exc).__name__, self.password)
        where = f"IAM at {self.token_url}"
        if isinstance(exc, httpx.TimeoutException):
            return TimeoutError(
                f"no answer from {where} within {self.timeout:g} s ({reason})", url=self.token_url
            )
        if "CERTIFICATE_VERIFY_FAILED" in reason or "SSL" in reason:
            return TLSError(
                f"the TLS certificate of {where} was not accepted ({reason}); fix the CA bundle "
                "(verify=...) rather than turning verification off",
                url=self.token_url,
            )
        return ConnectError(
            f"cannot reach {where} ({reason}); check iam_endpoint and the network", url=self.token_url
        )

    def _token_from(self, response: httpx.Response) -> IAMToken:
        request_id = response.headers.get("X-Request-Id")
        if response.status_code >= 400:
            code, message = _error_fields(response)
            message = redact(message, self.password)
            raise self._iam_error(response.status_code, code, message, request_id)
        value = response.headers.get("X-Subject-Token", "").strip()
        if not value:
            raise APIError(
                response.status_code,
                None,
                "IAM answered without an X-Subject-Token header",
                request_id=request_id,
                hint="check that iam_endpoint is the IAM service, e.g. https://iam.eu-de.otc.t-systems.com",
                method="POST",
                url=self.token_url,
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        token = body.get("token") if isinstance(body, dict) else None
        token = token if isinstance(token, dict) else {}
        project = token.get("project")
        project_id = project.get("id") if isinstance(project, dict) else None
        now = datetime.now(timezone.utc)
        # Without a readable expiry, assume one hour (the 401 refresh covers an early end).
        expires_at = _parse_expires_at(token.get("expires_at")) or now + timedelta(hours=1)
        lifetime = max((expires_at - now).total_seconds(), 0.0)
        margin = min(self.refresh_margin, lifetime / 2)
        return IAMToken(
            token=SecretStr(value),
            expires_at=expires_at,
            project_id=str(project_id) if project_id else None,
            refresh_at=expires_at - timedelta(seconds=margin),
        )

    def _iam_error(self, status: int, code: str | None, message: str, request_id: str | None) -> APIError:
        kind: type[APIError] = APIError
        hint: str | None = None
        if status in (400, 401):
            kind = AuthenticationError
            hint = (
                f"IAM refused user {self.username!r} of domain {self.domain!r}: check username, "
                "password and domain (the account name)"
            )
            if self.project_name and not self._configured_project_id:
                hint += f", and that project {self.project_name!r} exists"
        elif status == 403:
            kind = PermissionDeniedError
            hint = "the user may not get a token for this project; check its IAM permissions"
        elif status == 404:
            kind = NotFoundError
            hint = f"no token service at {self.token_url}; check iam_endpoint"
        elif status == 429:
            kind, hint = RateLimitError, "IAM is throttling requests; retry later"
        elif status >= 500:
            kind, hint = ServerError, "IAM failed; retry later"
        return kind(
            status,
            code,
            message,
            request_id=request_id,
            hint=hint,
            method="POST",
            url=self.token_url,
        )

    def _fetch(self) -> IAMToken:
        with httpx.Client(verify=self.verify, timeout=self.timeout) as client:
            try:
                response = client.send(self._build_request(client))
            except httpx.TransportError as exc:
                raise self._transport_error(exc) from None
        self.fetch_count += 1
        return self._token_from(response)

    async def _afetch(self) -> IAMToken:
        async with httpx.AsyncClient(verify=self.verify, timeout=self.timeout) as client:
            try:
                response = await client.send(self._build_request(client))
            except httpx.TransportError as exc:
                raise self._transport_error(exc) from None
        self.fetch_count += 1
        return self._token_from(response)

    # -- the cache -----------------------------------------------------------------------------

    def _usable(self, stale: IAMToken | None) -> IAMToken | None:
        token = self._token
        if token is not None and token is not stale and token.is_fresh():
            return token
        return None

    def _sync_token(self, stale: IAMToken | None = None) -> IAMToken:
        token = self._usable(stale)
        if token is not None:
            return token
        with self._lock:
            token = self._usable(stale)
            if token is None:
                token = self._fetch()
                self._token = token
            return token

    def _loop_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; notebooks and tests run several loops.
        loop = asyncio.get_running_loop()
        with self._lock:
            lock = self._loop_locks.get(loop)
            if lock is None:
                lock = self._loop_locks[loop] = asyncio.Lock()
            return lock

    async def _async_token(self, stale: IAMToken | None = None) -> IAMToken:
        token = self._usable(stale)
        if token is not None:
            return token
        async with self._loop_lock():
            token = self._usable(stale)
            if token is None:
                token = await self._afetch()
                self._token = token
            return token

    def fetch_token(self, force: bool = False) -> IAMToken:
        """The cached token if still fresh, else a new one from IAM (always new with `force`)."""
        return self._sync_token(self._token if force else None)

    async def afetch_token(self, force: bool = False) -> IAMToken:
        """Async `fetch_token`."""
        return await self._async_token(self._token if force else None)

    # -- the flows -----------------------------------------------------------------------------

    def unsent(self, request: httpx.Request) -> httpx.Request:
        """`request` as it would be sent, with `TOKEN_AT_SEND` for the token: contacts nobody (dry runs)."""
        _check_url(request.url, self.allow_insecure_http)
        request.headers["X-Auth-Token"] = TOKEN_AT_SEND
        return request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the cached token; on a 401, fetch a new token once and send once more."""
        _check_url(request.url, self.allow_insecure_http)
        request.read()
        token = self._sync_token()
        request.headers["X-Auth-Token"] = token.token.get_secret_value()
        response = yield request
        if response.status_code == 401:
            token = self._sync_token(stale=token)
            request.headers["X-Auth-Token"] = token.token.get_secret_value()
            yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Async `sync_auth_flow`."""
        _check_url(request.url, self.allow_insecure_http)
        await request.aread()
        token = await self._async_token()
        request.headers["X-Auth-Token"] = token.token.get_secret_value()
        response = yield request
        if response.status_code == 401:
            token = await self._async_token(stale=token)
            request.headers["X-Auth-Token"] = token.token.get_secret_value()
            yield request
