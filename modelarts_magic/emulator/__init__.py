"""A local, faithful stand-in for the ModelArts image service (and its IAM), over real HTTP.

```python
from modelarts_magic.emulator import Emulator, DEMO

with Emulator() as emu:                        # serves on 127.0.0.1:<free port>
    emu.url                                    # ModelArts API; IAM at emu.url + "/v3"
    DEMO.ak, DEMO.sk, DEMO.project_id          # the published demo credentials it accepts
    emu.faults.fail_next(2, status=503)        # fault injection (see faults.py)
    emu.store.images()                         # what was registered
```

Modules: `app` (routes), `gateway` (AK/SK and token checks), `iam` (Keystone tokens),
`store` (images, rules, lifecycle), `swr` (the SWR catalogue), `faults`, `persistence`
(the state file), `control` (`/_emulator/*`), `server` (`Emulator`). It never imports the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import DEMO, DemoCredentials

if TYPE_CHECKING:
    from .faults import Faults
    from .server import Emulator
    from .swr import SANDBOX_NAMESPACE, SwrImage

__all__ = ["DEMO", "SANDBOX_NAMESPACE", "DemoCredentials", "Emulator", "Faults", "SwrImage"]

# The server stack (uvicorn, starlette, pydantic) loads on first use, so that reading `DEMO`
# (e.g. to build the command line's help) stays cheap.
_LAZY = {"Emulator": "server", "Faults": "faults", "SANDBOX_NAMESPACE": "swr", "SwrImage": "swr"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
