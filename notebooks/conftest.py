"""nbval settings for the tutorial notebooks: a clean kernel environment and JSON outputs compared as text.

- The kernel nbval starts must not see the machine's ModelArts / Huawei Cloud / OpenStack settings
  (the saved outputs were made without them), and must import `modelarts_magic` from this checkout.
- nbval's sanitize regexes only touch text; JSON outputs (our `application/vnd.modelarts.image+json`)
  would otherwise be compared raw, ids and timestamps included. They are compared as sorted JSON
  text, after the same regexes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SCRUBBED_PREFIXES = ("MODELARTS_", "HUAWEICLOUD_", "OS_", "MA_")


def _kernel_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = os.devnull  # no ~/.huaweicloud/credentials
    env["OS_CLIENT_CONFIG_FILE"] = os.devnull  # no clouds.yaml
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """nbval starts a notebook's kernel while setting up its first cell: give it the clean environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(_kernel_environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _as_text(sanitize: Any) -> Any:
    def sanitize_json_too(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            value = json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)
        return sanitize(value)

    return sanitize_json_too


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Compare JSON outputs of the notebooks as text, through the sanitize regexes."""
    for item in items:
        if type(item).__name__ == "IPyNbCell" and Path(str(item.fspath)).parent == Path(__file__).parent:
            item.sanitize = _as_text(item.sanitize)  # type: ignore[attr-defined]
