"""Sans-IO pieces of the client: error bodies and hints, transport-error mapping, request descriptions.

Nothing here performs I/O; the sync and async clients share it. `ERROR_HINTS` is the one table of
"how to fix" hints per ModelArts / gateway error code, reused by the magic and the form.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from .exceptions import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConnectError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    TLSError,
    TransportError,
    one_line,
)
from .masking import HIDDEN, mask

__all__ = [
    "AUTH_CODES",
    "ERROR_HINTS",
    "PROJECT_AT_SEND",
    "STATUS_HINTS",
    "TOKEN_AT_SEND",
    "api_error",
    "check_timeout",
    "describe_request",
    "hint_for",
    "install_log_redaction",
    "parse_error_body",
    "parse_retry_after",
    "transport_error",
    "was_sent",
]

#: How to fix each error code of the service (MODELARTS-API.md section 5), by full code.
ERROR_HINTS: dict[str, str] = {
    "ModelArts.0101": "a parameter was refused by the service: the message names it and says why; "
    "correct that value and retry",
    "ModelArts.0104": "a parameter was refused by the service: check the value named in the message",
    "ModelArts.0107": "a parameter was refused by the service: check the value named in the message",
    "ModelArts.0102": "the workspace does not exist: use a workspace ID from the ModelArts console, "
    "or workspace_id '0' for none",
    "ModelArts.0108": "not allowed: built-in (BUILD_IN) images cannot be deleted by anyone; "
    "for your own images, ask an administrator to grant ModelArts image management rights (IAM "
    "policy) for this project",
    "ModelArts.0201": "no token was sent: configure credentials (ak/sk, token, or username/password)",
    "ModelArts.0202": "the token has expired: get a new one, or use AK/SK or a password so that it is "
    "refreshed automatically",
    "ModelArts.0203": "the token is invalid: copy it again (whole, one line), or use AK/SK",
    "ModelArts.0206": "check the AK/SK pair: both keys must come from the same access key, which must "
    "not be deleted or expired (IAM > My Credentials > Access Keys)",
    "ModelArts.0210": "the project ID does not match the credentials: use the project ID of this "
    "region (IAM > My Credentials > Projects)",
    "ModelArts.2810": "ModelArts could not query SWR: check that the image exists in SWR, then retry",
    "ModelArts.2845": "the SWR image is larger than ModelArts accepts: make the image smaller",
    "ModelArts.2884": "this name:tag is already registered in the namespace: use the existing image "
    "(`%modelarts images --name NAME --namespace NS`, or client.list_images(name=..., namespace=...)), "
    "push and register a new tag, or delete the old one first",
    "ModelArts.2885": "the SWR namespace is missing or ModelArts is not authorised to read it: create "
    "it in SWR / grant access (SWR > Organization Management, or the ModelArts agency)",
    "ModelArts.6737": "the tag conflicts with an existing one: push the image under a new tag",
    "ModelArts.6771": "the image is too large to register: make it smaller (the message gives the "
    "limit in bytes)",
    "ModelArts.6797": "the image is not in SWR: push it first (docker push <swr_path>) and check "
    "swr_path's namespace/name:tag",
    "ModelArts.6404": "no image has this ID: `%modelarts images` (or client.list_images()) shows the "
    "IDs that exist",
    "APIG.0301": "the machine clock is off by more than 15 minutes: sync it (NTP), then retry",
    "APIG.0308": "the API gateway is throttling this account: wait (Retry-After) and send fewer requests "
    "at once",
    "APIG.0101": "no such API at this endpoint: check endpoint= (e.g. https://modelarts.eu-de.otc.t-systems.com)",
}

#: Fallback hints by HTTP status, for codes the table does not know.
STATUS_HINTS: dict[int, str] = {
    401: "the credentials were not accepted: check them (ak/sk, token, or username/password)",
    403: "the credentials may not do this: check the project ID and the user's IAM permissions",
    404: "not found: check the endpoint, the project ID and the image ID",
    429: "too many requests: wait a moment and retry",
    500: "the service failed: retry later",
    502: "the gateway could not reach ModelArts: retry later",
    503: "the service is unavailable: retry later",
    504: "the gateway timed out: retry later",
}

#: Codes that mean the credentials (or the clock they are signed with) were refused.
AUTH_CODES = frozenset({"ModelArts.0201", "ModelArts.0202", "ModelArts.0203", "ModelArts.0206", "APIG.0301"})
_CONFLICT_CODES = frozenset({"ModelArts.2884", "ModelArts.6737"})
_NOT_FOUND_CODES = frozenset({"ModelArts.2885", "ModelArts.6797", "ModelArts.6404"})


def full_code(code: str | None) -> str | None:
    """`2885` -> `ModelArts.2885`; codes with a service prefix are kept as they are."""
    if not code:
        return None
    code = code.strip()
    # Only a bare four-digit code is a ModelArts one; e.g. Keystone echoes the HTTP status as "code".
    return f"ModelArts.{code}" if len(code) == 4 and code.isdigit() else code


def hint_for(code: str | None, status: int | None = None) -> str | None:
    """The "how to fix" hint for an error code (`ModelArts.2885`, `2885`, `APIG.0301`), else by status."""
    known = ERROR_HINTS.get(full_code(code) or "")
    if known is not None:
        return known
    if status is None:
        return None
    return STATUS_HINTS.get(status) or (STATUS_HINTS[500] if status >= 500 else None)


def parse_error_body(content: bytes, reason: str = "") -> tuple[str | None, str, str | None]:
    """(code, message, solution) from any of the three error body shapes, or the raw text."""
    try:
        body: Any = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):  # Keystone: {"error": {"code": 401, "message": ...}}
            body = inner
        code = body.get("error_code") or body.get("errorCode") or body.get("code")
        message = body.get("error_msg") or body.get("errorMsg") or body.get("message")
        solution = body.get("error_solution")
        return (
            str(code) if code is not None else None,
            one_line(str(message)) if message else reason,
            one_line(str(solution)) if solution else None,
        )
    text = one_line(content[:300].decode("utf-8", "replace")) if content else ""
    return None, text or reason, None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta seconds or an HTTP date), None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import datetime, timezone

    return max((moment - datetime.now(timezone.utc)).total_seconds(), 0.0)


def api_error(response: httpx.Response) -> APIError:
    """The `APIError` subclass for an error response: by ModelArts code first, then by HTTP status."""
    status = response.status_code
    raw_code, message, solution = parse_error_body(response.content, response.reason_phrase)
    code = full_code(raw_code)
    hint = hint_for(code, status)
    if solution and hint is None:
        hint = solution
    request = response.request
    kwargs: dict[str, Any] = {
        "request_id": response.headers.get("X-Request-Id"),
        "hint": hint,
        "method": request.method,
        "url": str(request.url),
    }
    cls: type[APIError]
    if code in AUTH_CODES or status == 401:
        cls = AuthenticationError
    elif code in _CONFLICT_CODES:
        cls = ConflictError
    elif code in _NOT_FOUND_CODES or status == 404:
        cls = NotFoundError
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 429:
        cls = RateLimitError
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    elif status >= 500:
        cls = ServerError
        kwargs["retry_after"] = parse_retry_after(response.headers.get("Retry-After"))
    else:
        cls = APIError
    return cls(status, code, message, **kwargs)


# -------------------------------------------------------------------------------------------------
# Transport errors
# -------------------------------------------------------------------------------------------------

# Raised before a byte of the request left: always safe to send again.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def was_sent(exc: httpx.TransportError) -> bool | None:
    """False when the request certainly never left, None when it may have reached the service."""
    if isinstance(exc, _NOT_SENT):
        return False
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


def is_dns_failure(exc: BaseException) -> bool:
    """True when the host name could not be resolved (not worth retrying)."""
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return True
    text = str(exc).lower()
    return any(
        marker in text
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "getaddrinfo failed",
            "name resolution",
            "no address associated",
        )
    )


def is_tls_failure(exc: BaseException) -> bool:
    """True when the TLS handshake failed (certificate, protocol): not worth retrying."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):
            return True
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text


def transport_error(
    exc: httpx.TransportError, request: httpx.Request, timeout: httpx.Timeout
) -> TransportError:
    """Our `TransportError` for an httpx one: names the host, says what to check, never a secret."""
    url = request.url
    where = f"{url.host}:{url.port}" if url.port else url.host
    target = f"{request.method} {url.scheme}://{where}{url.path}"
    sent = was_sent(exc)
    reason = one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        limit = {
            httpx.ConnectTimeout: ("connect", timeout.connect),
            httpx.ReadTimeout: ("read", timeout.read),
            httpx.WriteTimeout: ("write", timeout.write),
            httpx.PoolTimeout: ("pool", timeout.pool),
        }.get(type(exc), ("", None))
        phase, seconds = limit
        within = f" within the {phase} timeout of {seconds:g} s" if seconds is not None else ""
        return TimeoutError(
            f"no answer from {where}{within} ({target}); the service is slow or unreachable: retry, "
            "or raise timeout=...",
            url=str(url),
            sent=sent,
        )
    if isinstance(exc, httpx.ConnectError):
        if is_tls_failure(exc):
            return TLSError(
                f"the TLS certificate of {where} was not accepted ({reason}); if it is signed by a private "
                "CA, pass its bundle as verify='/path/to/ca.pem' (or set SSL_CERT_FILE) rather than "
                "turning verification off",
                url=str(url),
                sent=False,
            )
        if is_dns_failure(exc):
            return ConnectError(
                f"cannot resolve the host {url.host!r} (DNS lookup failed); check the endpoint's spelling "
                "and the network / proxy settings",
                url=str(url),
                sent=False,
            )
        return ConnectError(
            f"cannot connect to {where} ({reason}); check the endpoint and that the service is reachable",
            url=str(url),
            sent=False,
        )
    if isinstance(exc, httpx.UnsupportedProtocol):
        return ConnectError(
            f"cannot use the URL {str(url)!r} ({reason}); the endpoint must start with https://",
            url=str(url),
            sent=False,
        )
    return TransportError(
        f"the connection to {where} broke before an answer came ({reason}, {target})",
        url=str(url),
        sent=sent,
    )


def check_timeout(timeout: Any) -> httpx.Timeout:
    """An `httpx.Timeout` with every phase set; `None` anywhere is refused (a call must never hang)."""
    if timeout is None:
        raise ConfigurationError(
            "timeout=None would let a call hang forever; give seconds, e.g. timeout=30, or an httpx.Timeout"
        )
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        if timeout <= 0:
            raise ConfigurationError(f"timeout={timeout!r} must be positive; give seconds, e.g. timeout=30")
        return httpx.Timeout(float(timeout), connect=min(float(timeout), 10.0))
    if isinstance(timeout, httpx.Timeout):
        phases = {
            "connect": timeout.connect,
            "read": timeout.read,
            "write": timeout.write,
            "pool": timeout.pool,
        }
        unset = [name for name, value in phases.items() if value is None]
        if unset:
            raise ConfigurationError(
                f"timeout leaves {', '.join(unset)} unlimited, so a call could hang; give every phase a "
                "number of seconds, e.g. httpx.Timeout(30, connect=10)"
            )
        return timeout
    raise ConfigurationError(f"timeout={timeout!r} is not seconds or an httpx.Timeout; e.g. timeout=30")


# -------------------------------------------------------------------------------------------------
# Describing a request (--dry-run)
# -------------------------------------------------------------------------------------------------

_SECRET_HEADERS = frozenset({"x-auth-token", "x-security-token", "x-subject-token"})

#: `X-Auth-Token` of a request built without fetching its IAM token (a password dry run sends nothing).
TOKEN_AT_SEND = "fetched-from-IAM-when-sent"
#: The project path segment of such a request when the project is only known from the token's scope.
PROJECT_AT_SEND = "{project_id}"
_PROJECT_AT_SEND_IN_URL = httpx.URL(f"http://x/{PROJECT_AT_SEND}").raw_path.decode()[1:]
_TOKEN_NOTE = "the IAM token is fetched (and the password sent to IAM) only when the request is sent"


def _mask_authorization(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    if not rest:
        return HIDDEN
    parts = []
    for item in rest.split(","):
        key, eq, val = item.strip().partition("=")
        if not eq:
            parts.append(HIDDEN)
        elif key == "Access":
            parts.append(f"Access={mask(val)}")
        elif key == "SignedHeaders":
            parts.append(f"SignedHeaders={val}")
        else:
            parts.append(f"{key}={HIDDEN}")
    return f"{scheme} {', '.join(parts)}"


def describe_request(request: httpx.Request) -> dict[str, Any]:
    """Method, URL, headers (credentials masked) and the parsed JSON body of a request, for `--dry-run`.

    A request built without fetching its IAM token (`TOKEN_AT_SEND`) also gets a `note` saying so.
    """
    headers: dict[str, str] = {}
    note = None
    for name, value in request.headers.items():
        lower = name.lower()
        if lower == "authorization":
            value = _mask_authorization(value)
        elif lower == "x-auth-token" and value == TOKEN_AT_SEND:
            value = f"{HIDDEN} (fetched from IAM when sent)"
            note = _TOKEN_NOTE
        elif lower in _SECRET_HEADERS:
            value = HIDDEN
        headers[name] = value
    content = request.content if hasattr(request, "_content") else b""
    body: Any = None
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            body = content.decode("utf-8", "replace")
    url = str(request.url)
    if note is not None:
        url = url.replace(_PROJECT_AT_SEND_IN_URL, PROJECT_AT_SEND)  # shown as the placeholder it is
    described = {"method": request.method, "url": url, "headers": headers, "body": body}
    if note is not None:
        described["note"] = note
    return described


# -------------------------------------------------------------------------------------------------
# Logging
# -------------------------------------------------------------------------------------------------

# httpcore logs response headers at DEBUG as `(b'name', b'value')` pairs: IAM's X-Subject-Token is one.
_LOGGED_SECRET = re.compile(
    r"(\(b'(?:x-subject-token|x-auth-token|x-security-token|authorization)', b')[^']*(')",
    re.IGNORECASE,
)
_HTTPCORE_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")


class _RedactHeaders(logging.Filter):
    """Masks credential headers in httpcore's DEBUG trace lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "b'" in message and _LOGGED_SECRET.search(message):
            record.msg = _LOGGED_SECRET.sub(rf"\1{HIDDEN}\2", message)
            record.args = None
        return True


_REDACTION = _RedactHeaders()


def install_log_redaction() -> None:
    """Mask credential headers in httpx's transport logs (idempotent; the client does it on import)."""
    for name in _HTTPCORE_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTION not in logger.filters:
            logger.addFilter(_REDACTION)
