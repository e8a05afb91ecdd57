"""Fixtures of the leak tests: an emulator that accepts the real-looking credentials, DEBUG logs, a sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell
from sweep import (
    AK,
    DOMAIN,
    PASSWORD,
    PROJECT_ID,
    SK,
    USER,
    WRONG_PASSWORD,
    WRONG_SK,
    Records,
    Sweep,
    issue_token,
)

from modelarts_magic.emulator import Emulator

LOGGERS = (
    "",
    "httpx",
    "httpcore",
    "modelarts_magic",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "asyncio",
)


@pytest.fixture
def debug_logs() -> Iterator[Records]:
    """Every logger at DEBUG for the test; the records it produced."""
    handler = Records()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="session")
def secret_emulator() -> Iterator[Emulator]:
    """An emulator that accepts the real-looking credentials (and only those), logging at DEBUG."""
    with Emulator(
        ak=AK,
        sk=SK,
        project_id=PROJECT_ID,
        user=USER,
        password=PASSWORD,
        domain=DOMAIN,
        init_seconds=0.05,
        creating_seconds=0.1,
        log_level="debug",
    ) as emu:
        yield emu


@pytest.fixture
def emu(secret_emulator: Emulator) -> Emulator:
    """The secret emulator, reset (no images, no faults, tokens valid)."""
    secret_emulator.reset()
    return secret_emulator


@pytest.fixture
def token(emu: Emulator) -> str:
    """A fresh IAM token for the real-looking user."""
    return issue_token(emu)


@pytest.fixture
def sweep(token: str, debug_logs: Records) -> Iterator[Sweep]:
    """The test's sweep; the DEBUG log lines are added to it before the findings are read."""
    found = Sweep(
        {
            "AK": AK,
            "SK": SK,
            "wrong SK": WRONG_SK,
            "password": PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "token": token,
        }
    )
    yield found


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    """The process's InteractiveShell with the extension loaded; %config and contexts reset after."""
    ip = InteractiveShell.instance()
    assert ip.extension_manager is not None
    ip.extension_manager.load_extension("modelarts_magic")
    magics = ip.magics_manager.registry["RegisterImageMagics"]
    yield ip
    for name in magics.class_trait_names(config=True):
        if name != "poll_interval":
            setattr(magics, name, None)
    magics.stop_emulator()
    for context in list(magics._contexts.values()):
        context.close()
    magics._contexts.clear()
