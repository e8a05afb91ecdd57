"""Fixtures every test may use (keep their names and behaviour stable).

- `emulator` (session): one ModelArts emulator on 127.0.0.1:<free port> with the `DEMO`
  credentials, `init_seconds=0.2`, `creating_seconds=0.3`. Before each test that uses it (directly
  or through another fixture) the autouse `fresh_emulators` resets it: no registered images,
  seed SWR catalogue, no faults, zero request counters, tokens valid again.
- `fast_emulator` (session): the same with no lifecycle delays (images are ACTIVE at once); reset
  the same way.
- `demo`: the `DEMO` credentials (`ak`, `sk`, `project_id`, `project_name`, `region`, `user`,
  `password`, `domain`); published demo values, not secrets.
- `emulator_env`: `emulator` plus the environment pointing at it (`MODELARTS_ENDPOINT`,
  `MODELARTS_IAM_ENDPOINT`, `MODELARTS_PROJECT_ID`, `MODELARTS_REGION`, `HUAWEICLOUD_SDK_AK`,
  `HUAWEICLOUD_SDK_SK`), undone after the test.
- (autouse) `isolated_environment`: `HOME` is an empty temporary folder, `IPYTHONDIR` a clean
  session folder, and every `HUAWEICLOUD_SDK_*`, `OS_*`, `MODELARTS_*` and `MA_*` variable is
  removed, so the developer's own credentials, clouds.yaml or IPython config never leak in.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelarts_magic.emulator import DEMO, DemoCredentials, Emulator

_CLEARED_PREFIXES = ("HUAWEICLOUD_SDK_", "OS_", "MODELARTS_", "MA_")


@pytest.fixture(scope="session")
def _clean_ipython_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ipython")


@pytest.fixture(autouse=True)
def isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _clean_ipython_dir: Path
) -> Iterator[None]:
    """A clean HOME and no cloud settings in the environment, for every test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("IPYTHONDIR", str(_clean_ipython_dir))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def demo() -> DemoCredentials:
    """The published demo credentials the emulator accepts."""
    return DEMO


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The shared emulator (INIT 0.2 s, CREATING 0.3 s); reset before each test that uses it."""
    with Emulator(init_seconds=0.2, creating_seconds=0.3) as emu:
        yield emu


@pytest.fixture(scope="session")
def fast_emulator() -> Iterator[Emulator]:
    """The shared emulator whose images are ACTIVE at once; reset before each test that uses it."""
    with Emulator(init_seconds=0, creating_seconds=0) as emu:
        yield emu


@pytest.fixture(autouse=True)
def fresh_emulators(request: pytest.FixtureRequest) -> None:
    """Reset the shared emulators a test uses (directly or through other fixtures) before it runs."""
    for name in ("emulator", "fast_emulator"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


@pytest.fixture
def emulator_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """`emulator`, with the environment variables pointing modelarts-magic at it."""
    for name, value in emulator.env(reveal_secret=True).items():
        monkeypatch.setenv(name, value)
    return emulator


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last, after the notebooks.

    Playwright's sync API keeps an asyncio event loop running in the main thread for as long as its
    (session-scoped) browser is open; any `asyncio.run()` in a later test would then fail.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
