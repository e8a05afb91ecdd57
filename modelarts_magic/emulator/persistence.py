"""The emulator's optional JSON state file, kept strictly inside its folder."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..exceptions import ConfigurationError

__all__ = ["DEFAULT_STATE_FILE", "StateFile", "resolve_state_file"]

DEFAULT_STATE_FILE = "emulator-state.json"
STATE_VERSION = 1


def resolve_state_file(
    state_file: str | os.PathLike[str] | None, state_dir: str | os.PathLike[str] | None
) -> Path | None:
    """The state file's path inside `state_dir` (default: the working folder), or None for no state.

    A name that is absolute, climbs out with `..`, or is a symlink leading out of the folder is
    refused with a `ConfigurationError`: the file is written, so it must never land elsewhere.
    """
    if state_file is None and state_dir is None:
        return None
    folder = Path(state_dir).expanduser() if state_dir is not None else Path.cwd()
    name = str(state_file) if state_file is not None else DEFAULT_STATE_FILE
    if not name.strip():
        raise ConfigurationError("state_file: is empty; give a file name such as 'emulator-state.json'")
    if Path(name).is_absolute() or name.startswith("~"):
        raise ConfigurationError(
            f"state_file: {name!r} is an absolute path; give a file name inside the state folder "
            f"(state_dir={str(folder)!r}), e.g. {DEFAULT_STATE_FILE!r}"
        )
    root = folder.resolve()
    target = (root / name).resolve()
    if target == root or not target.is_relative_to(root):
        raise ConfigurationError(
            f"state_file: {name!r} leads outside the state folder {str(root)!r}; give a file name "
            f"inside it, e.g. {DEFAULT_STATE_FILE!r}"
        )
    if target.is_dir():
        raise ConfigurationError(
            f"state_file: {name!r} is a folder; give a file name, e.g. {DEFAULT_STATE_FILE!r}"
        )
    return target


class StateFile:
    """Reads and atomically rewrites the JSON state (images, SWR changes, token revocation)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        """The saved state, or {} when there is none yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigurationError(
                f"state_file: {str(self.path)!r} is not valid JSON ({err.msg}, line {err.lineno}); "
                "delete it to start afresh"
            ) from None
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ConfigurationError(
                f"state_file: {str(self.path)!r} is not an emulator state (version {STATE_VERSION}); "
                "delete it or choose another file name"
            )
        return data

    def save(self, state: dict[str, Any]) -> None:
        """Write the state to a temporary file beside it, then swap it in (no torn files)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": STATE_VERSION, **state}, separators=(",", ":"))
        fd, tmp = tempfile.mkstemp(prefix=".emulator-state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
