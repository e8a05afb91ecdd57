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
from ._transport import install_log_redaction
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
        "or set allow_insecure_http=True if this network is trusted",
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
        self.ak = SecretStr(ak_text)
        self.sk = SecretStr(sk_text)
        self._key = signing.SigningKey(sk_text)
        self.project_id = project_id.strip() if project_id else None
        token = reveal(security_token).strip()
        self.security_token = SecretStr(token) if token else None
        self.allow_insecure_http = allow_insecure_http

    def __repr__(self) -> str:
        token = f", security_token={HIDDEN}" if self.security_token else ""
        return f"AkSkAuth(ak={mask(self.ak)!r}, sk={HIDDEN}, project_id={self.project_id!r}{token})"

    def sign(self, request: httpx.Request, now: datetime | None = None) -> httpx.Request:
        """Set the signing headers and `Authorization` on `request` (in place) and return it."""
        headers = request.headers
        url = request.url
        # What gets signed, collected in one pass over the raw headers, then set in one go.
        to_sign: dict[str, str] = {}
        for raw_name, raw_value in headers.raw:
            key = raw_name.lower()
            if key in _ALWAYS_SIGNED or key.startswith(b"x-"):
                to_sign[key.decode("latin-1")] = _header_text(raw_value)
        date = signing.sdk_date(now)
        added = {"X-Sdk-Date": date}
        to_sign["x-sdk-date"] = date
        if self.project_id and to_sign.get("x-project-id") != self.project_id:
            to_sign["x-project-id"] = added["X-Project-Id"] = self.project_id
        if self.security_token is not None:
            token = self.security_token.get_secret_value()
            to_sign["x-security-token"] = added["X-Security-Token"] = token
        if "host" not in to_sign:
            to_sign["host"] = added["Host"] = url.netloc.decode("ascii")
        path, _, query = url.raw_path.decode("ascii").partition("?")
        pairs: list[tuple[str, str]] = []
        if query:
            # Send the canonical query itself, as the SDK does: what is signed is then exactly
            # what the gateway reads, whatever it makes of `+` or of the order of the pairs.
            pairs = url.params.multi_items()
            canonical = signing.canonical_query(pairs)
            if canonical != query:
                request.url = url.copy_with(query=canonical.encode("ascii"))
        added["Authorization"] = signing.authorization_header(
            self.ak.get_secret_value(),
            self._key,
            request.method,
            path,
            pairs,
            to_sign,
            request.content,
            normalized=True,
        )
        for name, value in added.items():  # not `headers.update`: it costs 3x as much
            headers[name] = value
        return request

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request (a fresh `X-Sdk-Date` each time it is sent) and send it."""
        _check_url(request.url, self.allow_insecure_http)
        yield self.sign(request)


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
