"""The emulator's fixed demo credentials and its settings.

The `DEMO` values are published, documented demo values that only this local emulator accepts;
they are not secrets. An AK/SK or password a user passes instead is never printed (masks only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEMO", "DemoCredentials", "EmulatorSettings"]


@dataclass(frozen=True)
class DemoCredentials:
    """The credentials and project the emulator accepts unless told otherwise."""

    ak: str = "DEMOAKMODELARTSMAGIC0"
    sk: str = "demo-sk-modelarts-magic-local-emulator-0"
    project_id: str = "0c2e9f4a6b8d4e1f9a3b5c7d9e1f2a3b"
    project_name: str = "eu-de"
    region: str = "eu-de"
    user: str = "demo-user"
    password: str = "demo-password"
    domain: str = "demo-domain"

    def __repr__(self) -> str:
        return (
            f"DemoCredentials(ak={self.ak!r}, sk=<demo SK>, project_id={self.project_id!r}, "
            f"user={self.user!r}, password=<demo password>, domain={self.domain!r}, "
            f"project_name={self.project_name!r})"
        )


DEMO = DemoCredentials()


@dataclass
class EmulatorSettings:
    """Everything an emulator instance is configured with (credentials, delays, state, catalogue)."""

    host: str = "127.0.0.1"
    port: int = 0
    ak: str = DEMO.ak
    sk: str = field(default=DEMO.sk, repr=False)
    project_id: str = DEMO.project_id
    project_name: str = DEMO.project_name
    region: str = DEMO.region
    user: str = DEMO.user
    password: str = field(default=DEMO.password, repr=False)
    domain: str = DEMO.domain
    init_seconds: float = 0.3
    creating_seconds: float = 0.7
    token_ttl: float = 86400.0
    state_file: str | None = None
    state_dir: str | Path | None = None
    swr_catalogue: str | Path | list[Any] | None = None
    latency: float = 0.0
    max_skew_seconds: float = 15 * 60

    @property
    def uses_demo_secrets(self) -> bool:
        """True when the SK and password are the published demo values (safe to print)."""
        return self.sk == DEMO.sk and self.password == DEMO.password
