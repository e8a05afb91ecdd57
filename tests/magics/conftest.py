"""A real IPython shell with `modelarts_magic` loaded, and helpers to run magics and read their output."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from modelarts_magic.magics import RegisterImageMagics

_TRAITS = [name for name in RegisterImageMagics.class_trait_names(config=True) if name != "poll_interval"]


@pytest.fixture(scope="session")
def _shell() -> InteractiveShell:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "modelarts_magic")
    return shell


@pytest.fixture
def ip(_shell: InteractiveShell) -> Iterator[InteractiveShell]:
    """The shell, with the magics' %config and emulator state reset after each test."""
    magics = _shell.magics_manager.registry["RegisterImageMagics"]
    magics.poll_interval = 0.2
    yield _shell
    for name in _TRAITS:
        setattr(magics, name, None)
    magics.stop_emulator()
    for context in list(magics._contexts.values()):
        context.close()
    magics._contexts.clear()
    for name in ("img", "imgs", "described", "evil", "cats", "base", "cfg"):
        _shell.user_ns.pop(name, None)


@pytest.fixture
def magics(ip: InteractiveShell) -> RegisterImageMagics:
    """The registered `RegisterImageMagics` instance."""
    return ip.magics_manager.registry["RegisterImageMagics"]


@dataclass
class Run:
    """What one magic call returned, displayed and printed."""

    result: Any = None
    error: UsageError | None = None
    texts: list[str] = field(default_factory=list)
    htmls: list[str] = field(default_factory=list)
    stdout: str = ""

    @property
    def text(self) -> str:
        """Every text/plain output and stdout, joined."""
        return "\n".join([*self.texts, self.stdout])


def _run(call: Callable[[], Any]) -> Run:
    run = Run()
    with capture_output() as cap:
        try:
            run.result = call()
        except UsageError as err:
            run.error = err
    run.stdout = cap.stdout
    for output in cap.outputs:
        data = output.data
        if "text/plain" in data:
            run.texts.append(data["text/plain"])
        if "text/html" in data:
            run.htmls.append(data["text/html"])
    return run


@pytest.fixture
def cell(ip: InteractiveShell) -> Callable[[str, str], Run]:
    """`cell(line, body)` runs `%%register_image line` with `body`."""
    return lambda line, body: _run(lambda: ip.run_cell_magic("register_image", line, body))


@pytest.fixture
def line(ip: InteractiveShell) -> Callable[[str, str], Run]:
    """`line(magic, text)` runs `%magic text`."""
    return lambda magic, text="": _run(lambda: ip.run_line_magic(magic, text))
