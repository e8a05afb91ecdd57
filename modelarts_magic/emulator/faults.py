"""Fault injection for the emulator's ModelArts routes: latency, error bursts, random errors,
connections dropped after a registration is committed, stalls, and a skewed gateway clock.

All off by default. `latency` slows every API request (ModelArts and IAM); errors, drops and
stalls apply to `/v1/...` (ModelArts) requests only, so a test can inject 503s without breaking
token issuance. The `/_emulator` control routes are never affected.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Faults", "InjectedError"]


@dataclass(frozen=True)
class InjectedError:
    """An error answer to give instead of handling the request."""

    status: int
    retry_after: float | None = None

    @property
    def code(self) -> str:
        """The error code of the body (`APIG.0308` for 429 like the gateway, `ModelArts.XXXX` else)."""
        return "APIG.0308" if self.status == 429 else f"ModelArts.{self.status:04d}"


class Faults:
    """The faults in force; thread-safe; set from tests in-process or via `/_emulator/faults`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self.latency: float = 0.0
            self.clock_offset: float = 0.0
            self._burst: list[tuple[int, float | None, frozenset[str]]] = []
            self._rate: tuple[int, float, float | None, frozenset[str]] | None = None
            self._rate_random = random.Random()
            self._drop_random = random.Random()
            self._drop_count = 0
            self._drop_probability = 0.0
            self._stalls: list[float] = []
            self.injected = 0
            self.dropped = 0
            self.stalled = 0

    # --- arming -------------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        retry_after: float | None = None,
        methods: Iterable[str] = ("POST",),
    ) -> None:
        """Answer the next `n` matching requests with `status` (a burst; 429 usually with retry_after)."""
        wanted = frozenset(m.upper() for m in methods)
        with self._lock:
            self._burst.extend([(int(status), retry_after, wanted)] * int(n))

    def error_rate(
        self,
        status: int = 503,
        probability: float = 0.05,
        seed: int | None = None,
        retry_after: float | None = None,
        methods: Iterable[str] = ("GET", "POST", "DELETE"),
    ) -> None:
        """Answer each matching request with `status` at random, with `probability`."""
        with self._lock:
            self._rate = (int(status), float(probability), retry_after, frozenset(m.upper() for m in methods))
            self._rate_random = random.Random(seed)

    def drop_after_commit(self, n: int = 0, probability: float = 0.0, seed: int | None = None) -> None:
        """Close the connection without an answer after the next `n` (or a `probability` of)
        registrations were committed: the image exists, the client hears nothing."""
        with self._lock:
            self._drop_count = int(n)
            self._drop_probability = float(probability)
            if seed is not None:
                self._drop_random = random.Random(seed)

    def stall_next(self, n: int = 1, seconds: float = 30.0) -> None:
        """Hold the next `n` requests for `seconds` before handling them (slower than a client's timeout)."""
        with self._lock:
            self._stalls.extend([float(seconds)] * int(n))

    # --- consulted by the app -----------------------------------------------------------------

    def take_stall(self) -> float:
        """Seconds to hold this request (0 when no stall is armed)."""
        with self._lock:
            if not self._stalls:
                return 0.0
            self.stalled += 1
            return self._stalls.pop(0)

    def take_error(self, method: str) -> InjectedError | None:
        """The error to answer this request with, if a burst or the random rate says so."""
        with self._lock:
            for index, (status, retry_after, methods) in enumerate(self._burst):
                if method in methods:
                    del self._burst[index]
                    self.injected += 1
                    return InjectedError(status, retry_after)
            if self._rate is not None:
                status, probability, retry_after, methods = self._rate
                if method in methods and self._rate_random.random() < probability:
                    self.injected += 1
                    return InjectedError(status, retry_after)
        return None

    def take_drop(self) -> bool:
        """Whether to drop the connection after this committed registration."""
        with self._lock:
            if self._drop_count > 0:
                self._drop_count -= 1
            elif not (self._drop_probability and self._drop_random.random() < self._drop_probability):
                return False
            self.dropped += 1
            return True

    # --- over HTTP ----------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The faults in force and what they did so far (for `GET /_emulator/faults`)."""
        with self._lock:
            return {
                "latency": self.latency,
                "clock_offset": self.clock_offset,
                "pending_errors": len(self._burst),
                "error_rate": (
                    {"status": self._rate[0], "probability": self._rate[1], "retry_after": self._rate[2]}
                    if self._rate
                    else None
                ),
                "pending_drops": self._drop_count,
                "drop_probability": self._drop_probability,
                "pending_stalls": len(self._stalls),
                "injected": self.injected,
                "dropped": self.dropped,
                "stalled": self.stalled,
            }

    def apply(self, spec: dict[str, Any]) -> None:
        """Set faults from a JSON object (`POST /_emulator/faults`): keys named like the methods.

        e.g. `{"latency": 0.02, "fail_next": {"n": 3, "status": 503}, "drop_after_commit": {"n": 1}}`;
        `{"clear": true}` first switches everything off.
        """
        if spec.get("clear"):
            self.clear()
        if "latency" in spec:
            self.latency = float(spec["latency"])
        if "clock_offset" in spec:
            self.clock_offset = float(spec["clock_offset"])
        for name in ("fail_next", "error_rate", "drop_after_commit", "stall_next"):
            if name in spec:
                arguments = spec[name]
                if not isinstance(arguments, dict):
                    raise ValueError(f"{name}: give an object of arguments, e.g. {{'n': 1}}")
                getattr(self, name)(**arguments)
