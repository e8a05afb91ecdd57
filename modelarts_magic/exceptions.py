"""The errors modelarts-magic raises, as one hierarchy.

```
ModelArtsMagicError
 ├── InvalidRequestError          user input refused before anything is sent
 ├── ConfigurationError           a setting is missing or contradictory
 ├── TransportError               the request got no answer
 │    ├── ConnectError            the endpoint could not be reached (refused, DNS)
 │    ├── TimeoutError            no answer within the timeout
 │    ├── TLSError                the server's certificate was not accepted
 │    └── InsecureTransportError  plain http:// to a non-loopback host
 ├── APIError                     the service answered with an error
 │    ├── AuthenticationError     401, wrong AK/SK, expired token, clock skew
 │    ├── PermissionDeniedError   403 for any other reason
 │    ├── NotFoundError           404, or an unknown image/namespace
 │    ├── ConflictError           the name:tag is already registered (ModelArts.2884)
 │    ├── RateLimitError          429, too many requests
 │    └── ServerError             5xx
 └── ImageStateError              waiting for an image did not end in ACTIVE
      ├── ImageFailedError        the image ended in CREATE_FAILED or ERROR
      └── WaitTimeoutError        the image was not ACTIVE within the limit
```

`str(error)` is always one line and never holds a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Image

__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConnectError",
    "ImageFailedError",
    "ImageStateError",
    "InsecureTransportError",
    "InvalidRequestError",
    "ModelArtsMagicError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TLSError",
    "TimeoutError",
    "TransportError",
    "WaitTimeoutError",
    "one_line",
    "shorten",
]


def one_line(text: str) -> str:
    """Fold any line breaks and runs of white space so that a message stays on one line."""
    return " ".join(str(text).split())


def shorten(value: Any, limit: int = 60) -> str:
    """A short, printable `repr` of a user value for an error message (control characters escaped)."""
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class ModelArtsMagicError(Exception):
    """Base class of every error modelarts-magic raises."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))

    @property
    def message(self) -> str:
        """The one-line message."""
        return str(self.args[0]) if self.args else ""


class InvalidRequestError(ModelArtsMagicError, ValueError):
    """User input refused before anything was sent: names the field, the value and the fix."""

    def __init__(self, field: str, value: Any, problem: str, fix: str, *, show_value: bool = True):
        self.field = field
        self.value = value
        self.problem = problem
        self.fix = fix
        got = f" (got {shorten(value)})" if show_value else ""
        super().__init__(f"{field}: {problem}{got}; {fix}")


class ConfigurationError(ModelArtsMagicError):
    """A setting is missing or contradictory; the message says which option, trait or variable supplies it."""


class TransportError(ModelArtsMagicError):
    """The request got no answer from the service."""

    def __init__(self, message: str, *, url: str | None = None, sent: bool | None = None) -> None:
        self.url = url
        #: True when the request was certainly sent, False when certainly not, None when unknown.
        self.sent = sent
        super().__init__(message)


class ConnectError(TransportError):
    """The endpoint could not be reached: connection refused, DNS failure, unreachable network."""


class TimeoutError(TransportError):
    """No answer came within the timeout."""


class TLSError(TransportError):
    """The server's TLS certificate was not accepted."""


class InsecureTransportError(TransportError):
    """Plain http:// to a host that is not loopback, without allow_insecure_http."""


class APIError(ModelArtsMagicError):
    """The service answered with an error: status, ModelArts code, message, request id, fix hint."""

    def __init__(
        self,
        status_code: int,
        error_code: str | None,
        error_msg: str,
        *,
        request_id: str | None = None,
        hint: str | None = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.error_code = error_code
        self.error_msg = one_line(error_msg)
        self.request_id = request_id
        self.hint = hint
        self.method = method
        self.url = url
        self.retry_after = retry_after
        parts = [f"HTTP {status_code}"]
        if error_code:
            parts.append(error_code)
        text = " ".join(parts) + f": {self.error_msg or 'no message'}"
        if hint:
            text += f" — {hint}"
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class AuthenticationError(APIError):
    """Authentication failed: missing, expired or invalid token, wrong AK/SK, or a skewed clock."""


class PermissionDeniedError(APIError):
    """The credentials are valid but not allowed to do this (or the project does not match)."""


class NotFoundError(APIError):
    """The image (or the SWR image it points at) does not exist."""


class ConflictError(APIError):
    """The name:tag is already registered in this namespace (ModelArts.2884)."""


class RateLimitError(APIError):
    """Too many requests (HTTP 429); `retry_after` says how long the service asked to wait."""


class ServerError(APIError):
    """The service failed (HTTP 5xx)."""


class ImageStateError(ModelArtsMagicError):
    """Waiting for an image did not end in ACTIVE."""

    def __init__(self, message: str, image: Image | None = None) -> None:
        self.image = image
        super().__init__(message)


class ImageFailedError(ImageStateError):
    """The image ended in CREATE_FAILED or ERROR; `image.status_message` says why."""


class WaitTimeoutError(ImageStateError):
    """The image was not ACTIVE within the limit; `image` is the last state seen."""
