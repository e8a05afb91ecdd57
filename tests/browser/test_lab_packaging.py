"""The installed package ships the prebuilt lab extension and JupyterLab reports it enabled and OK."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from labharness import isolated_env

pytestmark = pytest.mark.browser

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_jupyter_labextension_list_shows_modelarts_magic_enabled_ok() -> None:
    with tempfile.TemporaryDirectory(prefix="modelarts-labext-") as base:
        # Isolated config and home, and no JUPYTER_PATH: only what `pip install` put in place counts.
        env = isolated_env(Path(base))
        result = subprocess.run(
            [sys.executable, "-m", "jupyter", "labextension", "list"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    listing = ANSI.sub("", result.stdout + result.stderr)
    lines = [line.strip() for line in listing.splitlines() if line.strip().startswith("modelarts-magic ")]
    assert lines, f"modelarts-magic is not installed as a lab extension:\n{listing}"
    assert re.fullmatch(r"modelarts-magic v\S+ enabled OK \(python, modelarts[-_]magic\)", lines[0]), lines[0]
