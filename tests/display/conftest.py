"""An emulator on loopback with real-looking (non-demo) credentials, and clients and contexts for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelarts_magic.client import ModelArtsClient
from modelarts_magic.context import Context, resolve_context
from modelarts_magic.emulator import Emulator

# Real-looking credentials (not the published demo ones), so leak checks mean something.
AK = "HPUAQ7Z2XK4N8WLMCVRE"
SK = "q8Zr3KmX9vT2pLw7Yn4Bc6Dh1Fj5Gs0ReUaIoPkQ"
PROJECT_ID = "5f1c9a7e3b2d4c6e8a0b1c2d3e4f5a6b"


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    """One emulator per test module (INIT 0.2 s, CREATING 0.3 s, then ACTIVE)."""
    with Emulator(ak=AK, sk=SK, project_id=PROJECT_ID, init_seconds=0.2, creating_seconds=0.3) as emu:
        yield emu


@pytest.fixture
def emu(served: Emulator) -> Emulator:
    """The module's emulator, fresh: no images, no faults, zero counters."""
    served.reset()
    return served


@pytest.fixture
def client(emu: Emulator) -> Iterator[ModelArtsClient]:
    """A client signing with the AK/SK, over real loopback HTTP; no retries to keep failures quick."""
    with ModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=SK, max_retries=0) as made:
        yield made


@pytest.fixture
def context(emu: Emulator, tmp_path: Path) -> Iterator[Context]:
    """A context resolved from the environment the emulator describes (plus a workspace)."""
    env = {**emu.env(reveal_secret=True), "MODELARTS_WORKSPACE_ID": "ws-team-a"}
    made = resolve_context(env=env, home=tmp_path, cwd=tmp_path)
    yield made
    made.close()


@pytest.fixture
def credentials() -> tuple[str, str]:
    """The (AK, SK) the emulator and the client use: what must never appear in any output."""
    return AK, SK
