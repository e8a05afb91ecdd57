"""Fixtures for the browser tests: a JupyterLab server, headless Chromium, and a `Lab` page.

- `lab_server` (session): a JupyterLab server on 127.0.0.1 with a temporary root and temporary
  config/runtime/data/IPython/home directories; nothing is written to the real `$HOME`.
- `chromium` (session): headless `/usr/bin/chromium` driven by Playwright (never downloaded).
- `lab` (function): a `Lab` helper holding a fresh page with JupyterLab open and ready.

Everything started here is stopped in the fixtures' teardown, also when a test fails.
See tests/browser/README.md for how to write a test with these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from labharness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LIGHT_THEME,
    REPO,
    Lab,
    LabServer,
    start_lab_server,
)
from playwright.sync_api import expect

FAILURE_SHOTS = REPO / "out" / "browser-failures"
# Playwright's `expect` waits 5 s by default; a kernel round trip on a busy 2-core CI machine can
# take longer. A wait returns as soon as its condition holds: only a failing test waits it out.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    """One JupyterLab server for the whole browser-test session."""
    with start_lab_server() as server:
        if "modelarts-magic" not in server.federated_extensions():
            pytest.fail(
                "JupyterLab does not load the modelarts-magic extension: build it with "
                "`cd labextension && jlpm install && jlpm build:prod` or `pip install -e .`"
            )
        yield server


@pytest.fixture(scope="session")
def chromium(lab_server: LabServer) -> Iterator[Any]:
    """Headless Debian Chromium under Playwright, with HOME in the server's temporary tree."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            env={**lab_server.env, "HOME": str(lab_server.home)},
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def lab(request: pytest.FixtureRequest, lab_server: LabServer, chromium: Any) -> Iterator[Lab]:
    """A fresh browser page with JupyterLab open in a new workspace, light theme.

    When the test fails, a screenshot of the page goes to out/browser-failures/<test>.png.
    """
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        harness = Lab(page, lab_server)
        harness.open()
        harness.set_theme(LIGHT_THEME)
        yield harness
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
            page.screenshot(path=str(FAILURE_SHOTS / f"{name}.png"))
    finally:
        context.close()
