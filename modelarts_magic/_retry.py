"""Retry decisions, the never-twice register and the wait loop, as sans-IO generators.

Each operation is a generator that yields `Send(request)` or `Sleep(seconds)` and receives the
`httpx.Response` (or the `httpx.TransportError` raised while sending) back; its return value is
the operation's result and its exceptions are the operation's errors. `ModelArtsClient` drives
them with blocking I/O and `AsyncModelArtsClient` with `await`, so the two share every decision.

Register safety (a POST is never blindly re-sent):

- connect errors (refused, connect timeout) happen before a byte is sent: re-send after backoff;
  DNS and TLS failures are not retried, they will not heal by themselves;
- 429 is the gateway's throttle, answered before the request reaches ModelArts: re-send after
  `Retry-After` (capped);
- every 5xx, a read timeout and a connection dropped after sending leave the outcome unknown (a
  gateway can fail after the backend committed): look the image up (exact name, namespace, tag and
  registry) and return it as "recovered"; re-send only when it is certainly absent;
- a 2884 ("already registered") answering a re-send means an earlier attempt got through: fetch the
  image and return it as "recovered". A 2884 on the first attempt is the user's ConflictError.

So one call registers at most one image, and its result says how it got it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypeVar

import httpx

from ._transport import (
    api_error,
    is_dns_failure,
    is_tls_failure,
    parse_retry_after,
    transport_error,
    was_sent,
)
from .exceptions import (
    APIError,
    ConflictError,
    ImageFailedError,
    InvalidRequestError,
    ModelArtsMagicError,
    TransportError,
    WaitTimeoutError,
)
from .models import Image, ImageStatus

__all__ = [
    "RETRY_STATUSES",
    "Attempts",
    "RegisterOutcome",
    "RetryPolicy",
    "Send",
    "Sleep",
    "Step",
    "check_wait",
    "register_safely",
    "send_idempotent",
    "wait_for_active",
]

T = TypeVar("T")

#: Answers worth sending an idempotent request again for.
RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Send:
    """Send this request and resume with its response (or the httpx.TransportError it raised)."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class Sleep:
    """Pause this long, then resume with None."""

    seconds: float


Action: TypeAlias = Send | Sleep
Reply: TypeAlias = httpx.Response | httpx.TransportError | None
#: An operation: yields actions, receives their results, returns T.
Step = Generator[Action, Reply, T]


@dataclass
class RetryPolicy:
    """Bounded, jittered exponential backoff; `Retry-After` honoured up to `max_retry_after` seconds."""

    max_retries: int = 3
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    max_retry_after: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Pause before retry number `attempt + 1`: base * 2**attempt capped, jittered to 50-100 %."""
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """`Retry-After` when the service sent one (capped), else the backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt)


def _retryable_transport(exc: httpx.TransportError) -> bool:
    if isinstance(exc, httpx.ConnectError) and (is_dns_failure(exc) or is_tls_failure(exc)):
        return False
    return not isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError))


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("Retry-After"))


def send_idempotent(
    build: Callable[[], httpx.Request], policy: RetryPolicy, timeout: httpx.Timeout
) -> Step[tuple[httpx.Response, bool]]:
    """Send a GET or DELETE, retrying transport failures and 429/502/503/504.

    Returns the last response (any status) and whether an earlier attempt may have reached the
    service (so a 404 after a lost DELETE answer means "already deleted").
    """
    attempt = 0
    maybe_applied = False
    while True:
        request = build()
        reply = yield Send(request)
        if isinstance(reply, httpx.TransportError):
            if attempt >= policy.max_retries or not _retryable_transport(reply):
                raise transport_error(reply, request, timeout) from None
            maybe_applied = maybe_applied or was_sent(reply) is not False
            pause = policy.backoff(attempt)
        else:
            assert reply is not None
            if reply.status_code not in RETRY_STATUSES or attempt >= policy.max_retries:
                return reply, maybe_applied
            maybe_applied = maybe_applied or reply.status_code != 429
            pause = policy.delay(attempt, _retry_after(reply))
        yield Sleep(pause)
        attempt += 1


@dataclass
class Attempts:
    """How many register POSTs one call sent (kept even when the call fails)."""

    posts: int = 0


@dataclass(frozen=True)
class RegisterOutcome:
    """What a register call ended with: the image, how it was obtained, how many POSTs it took."""

    image: Image
    outcome: Literal["registered", "recovered"]
    attempts: int


def _unknown_outcome_error(cause: ModelArtsMagicError, what: str) -> ModelArtsMagicError:
    """The error of a POST whose outcome stayed unknown because the look-up failed too."""
    note = (
        f"the registration may or may not have been committed and the look-up failed ({what}): "
        "check list_images(name=..., namespace=...) before registering again"
    )
    if isinstance(cause, APIError):
        return type(cause)(
            cause.status_code,
            cause.error_code,
            cause.error_msg,
            request_id=cause.request_id,
            hint=note,
            method=cause.method,
            url=cause.url,
            retry_after=cause.retry_after,
        )
    if isinstance(cause, TransportError):
        return type(cause)(f"{cause.message}; {note}", url=cause.url, sent=None)
    return cause


def register_safely(
    build_post: Callable[[], httpx.Request],
    find: Callable[[], Step[Image | None]],
    parse: Callable[[httpx.Response], Image],
    policy: RetryPolicy,
    timeout: httpx.Timeout,
    attempts: Attempts,
) -> Step[RegisterOutcome]:
    """POST a registration at most as often as needed and never twice for one image (see module doc)."""
    retry = 0
    reached_service = False  # an earlier POST of this call may have been seen by the gateway
    while True:
        request = build_post()
        attempts.posts += 1
        reply = yield Send(request)
        error: ModelArtsMagicError
        pause: float | None = None
        if isinstance(reply, httpx.TransportError):
            error = transport_error(reply, request, timeout)
            if was_sent(reply) is False:
                if not _retryable_transport(reply) or retry >= policy.max_retries:
                    raise error from None
                pause = policy.backoff(retry)
        else:
            assert reply is not None
            status = reply.status_code
            if status < 300:
                return RegisterOutcome(parse(reply), "registered", attempts.posts)
            error = api_error(reply)
            if isinstance(error, ConflictError) and error.error_code == "ModelArts.2884" and reached_service:
                found = yield from find()
                if found is not None:
                    return RegisterOutcome(found, "recovered", attempts.posts)
                raise error
            if status == 429:
                if retry >= policy.max_retries:
                    raise error
                reached_service = True
                pause = policy.delay(retry, _retry_after(reply))
            elif status < 500:
                raise error
        if pause is None:
            # Outcome unknown: find out before anything is sent again.
            reached_service = True
            try:
                found = yield from find()
            except ModelArtsMagicError as lookup_error:
                raise _unknown_outcome_error(error, lookup_error.message) from lookup_error
            if found is not None:
                return RegisterOutcome(found, "recovered", attempts.posts)
            if retry >= policy.max_retries:
                raise error  # certainly absent: nothing was registered
            retry_after = _retry_after(reply) if isinstance(reply, httpx.Response) else None
            pause = policy.delay(retry, retry_after)
        yield Sleep(pause)
        retry += 1


#: The shortest pause between two polls of `wait_for_active`, whatever `poll_interval` says.
MIN_POLL_PAUSE = 0.05


def check_wait(timeout: object, poll_interval: object) -> tuple[float, float]:
    """`timeout` and `poll_interval` as seconds, or the one-line error naming the bad one and the fix."""
    checked = []
    for name, value, example in (("timeout", timeout, 300), ("poll_interval", poll_interval, 5)):
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if number is None or not number > 0:  # `not > 0` also refuses NaN
            raise InvalidRequestError(
                name, value, "must be a positive number of seconds", f"give e.g. {name}={example}"
            )
        checked.append(float(number))
    return checked[0], checked[1]


def wait_for_active(
    get: Callable[[], Step[Image]],
    timeout: float,
    poll_interval: float,
    on_progress: Callable[[Image], None] | None,
    clock: Callable[[], float] = time.monotonic,
) -> Step[Image]:
    """Poll until ACTIVE: 0.2 s doubling to `poll_interval`, jittered; fail on CREATE_FAILED/ERROR/DELETED."""
    timeout, poll_interval = check_wait(timeout, poll_interval)
    deadline = clock() + timeout
    pause = min(0.2, poll_interval)
    while True:
        image = yield from get()
        if on_progress is not None:
            on_progress(image)
        status = image.status
        if status == ImageStatus.ACTIVE:
            return image
        if image.is_failed or status == ImageStatus.DELETED:
            why = image.status_message or "the service gave no status_message"
            raise ImageFailedError(
                f"image {image.display_name} ({image.id}) ended {image.status_text}: {why}", image
            )
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeoutError(
                f"image {image.display_name} ({image.id}) is still {image.status_text} after {timeout:g} s; "
                "wait longer (timeout=...) or check it later with get_image()",
                image,
            )
        yield Sleep(min(max(random.uniform(0.8, 1.0) * pause, MIN_POLL_PAUSE), remaining))
        pause = min(pause * 2, poll_interval)
