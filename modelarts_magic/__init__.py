"""modelarts-magic: register custom images with ModelArts Image Management from Jupyter.

`%load_ext modelarts_magic` registers `%%register_image`, `%register_image`,
`%register_image_form` and `%modelarts`. Importing this package is cheap: httpx, pydantic,
ipywidgets and the emulator are imported on first use, through the lazy names below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "ModelArtsClient": "client",
    "AsyncModelArtsClient": "client",
    "RegistrationResult": "client",
    "RegisterImageRequest": "models",
    "Image": "models",
    "ImagePage": "models",
    "ImageStatus": "models",
    "SwrPath": "models",
    "parse_swr_path": "models",
    "AkSkAuth": "auth",
    "TokenAuth": "auth",
    "PasswordAuth": "auth",
    "RegisterImageForm": "widgets",
    "ImageWidget": "widgets",
    "Emulator": "emulator",
    "ModelArtsMagicError": "exceptions",
    "InvalidRequestError": "exceptions",
    "ConfigurationError": "exceptions",
    "TransportError": "exceptions",
    "APIError": "exceptions",
    "ImageFailedError": "exceptions",
    "WaitTimeoutError": "exceptions",
}

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", *sorted(_LAZY)]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .auth import AkSkAuth, PasswordAuth, TokenAuth
    from .client import AsyncModelArtsClient, ModelArtsClient, RegistrationResult
    from .emulator import Emulator
    from .exceptions import (
        APIError,
        ConfigurationError,
        ImageFailedError,
        InvalidRequestError,
        ModelArtsMagicError,
        TransportError,
        WaitTimeoutError,
    )
    from .models import Image, ImagePage, ImageStatus, RegisterImageRequest, SwrPath, parse_swr_path
    from .widgets import ImageWidget, RegisterImageForm


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelarts_magic' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics with IPython (`%load_ext modelarts_magic`)."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo beyond what IPython does itself."""


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt extension shipped in this package."""
    return [{"src": "labextension", "dest": "modelarts-magic"}]
