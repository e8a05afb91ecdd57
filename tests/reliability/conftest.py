"""A real IPython shell with `modelarts_magic` loaded, for the reliability tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    """The process's InteractiveShell with the extension loaded; the magics' cached contexts dropped after."""
    ip = InteractiveShell.instance()
    assert ip.extension_manager is not None
    ip.extension_manager.load_extension("modelarts_magic")
    yield ip
    magics = ip.magics_manager.registry["RegisterImageMagics"]
    magics.stop_emulator()
    for context in list(magics._contexts.values()):
        context.close()
    magics._contexts.clear()
