"""The emulator's SWR catalogue: which namespaces, images and tags exist, and how large they are.

Seeded with the seed page's example, a `my-team` namespace (including `broken-cuda:1.0`, whose
registration ends in CREATE_FAILED, and `slow-build:1.0`, which stays CREATING for an hour) and a
`sandbox` namespace in which every `name:tag` exists, for batch and load tests. Extend it with a
JSON or YAML file (or a list) of entries::

    [{"namespace": "ns", "name": "img", "tag": "1.0", "size_bytes": 123456789}, ...]

optionally with `"fails_with": "<status_message>"` or `"creating_seconds": 3600`.
Only `namespace/name:tag` is looked up: the registry host of an `swr_path` is not checked.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["SANDBOX_NAMESPACE", "SEED_IMAGES", "SwrCatalogue", "SwrImage", "load_catalogue_file"]

SANDBOX_NAMESPACE = "sandbox"
GIB = 1024**3


@dataclass(frozen=True)
class SwrImage:
    """One `namespace/name:tag` in SWR, with its size and how registering it will end."""

    namespace: str
    name: str
    tag: str
    size_bytes: int
    fails_with: str | None = None
    creating_seconds: float | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """`(namespace, name, tag)`."""
        return (self.namespace, self.name, self.tag)


SEED_IMAGES: tuple[SwrImage, ...] = (
    SwrImage(
        "op_svc_modelarts_container2", "pytorch_1_8", "train-pytorch_1.8.0-cuda_10.2-py_3.7", 3376133259
    ),
    SwrImage(
        "op_svc_modelarts_container2", "tensorflow_2_1", "train-tensorflow_2.1.0-cuda_10.1-py_3.7", 2984512833
    ),
    SwrImage("my-team", "pytorch_2_3", "cuda12", 8123456789),
    SwrImage("my-team", "pytorch_2_3", "cpu", 2411724800),
    SwrImage("my-team", "sklearn-notebook", "1.4", 1288490188),
    SwrImage("my-team", "sklearn-notebook", "1.5", 1301234567),
    SwrImage("my-team", "llm-inference", "vllm-0.5.0", 12884901888),
    SwrImage("my-team", "my-image", "1.0", 734003200),
    SwrImage(
        "my-team",
        "broken-cuda",
        "1.0",
        5368709120,
        fails_with=(
            "Image check failed: the entrypoint /usr/local/bin/start.sh is missing and CUDA driver "
            "libraries were not found (libcuda.so.1); rebuild the image from a ModelArts base image"
        ),
    ),
    SwrImage("my-team", "slow-build", "1.0", 21474836480, creating_seconds=3600.0),
)


def _sandbox_size(name: str, tag: str) -> int:
    # Deterministic, plausible sizes (200 MiB .. 8 GiB) so tests can predict them.
    return 200 * 1024**2 + zlib.crc32(f"{name}:{tag}".encode()) % (8 * GIB - 200 * 1024**2)


def _entry(item: Any, source: str) -> SwrImage:
    if isinstance(item, str):
        namespace, _, rest = item.partition("/")
        name, _, tag = rest.rpartition(":")
        if not (namespace and name and tag):
            raise ValueError(f"{source}: {item!r} is not namespace/name:tag")
        return SwrImage(namespace, name, tag, _sandbox_size(name, tag))
    if not isinstance(item, Mapping):
        raise ValueError(f"{source}: each entry must be a mapping with namespace, name, tag, size_bytes")
    missing = [key for key in ("namespace", "name", "tag") if not item.get(key)]
    if missing:
        raise ValueError(f"{source}: an entry lacks {', '.join(missing)}; give namespace, name and tag")
    size = item.get("size_bytes", item.get("size"))
    try:
        size_bytes = int(size) if size is not None else _sandbox_size(str(item["name"]), str(item["tag"]))
    except (TypeError, ValueError):
        raise ValueError(f"{source}: size_bytes {size!r} is not a whole number of bytes") from None
    creating = item.get("creating_seconds")
    return SwrImage(
        str(item["namespace"]),
        str(item["name"]),
        str(item["tag"]),
        size_bytes,
        fails_with=str(item["fails_with"]) if item.get("fails_with") else None,
        creating_seconds=float(creating) if creating is not None else None,
    )


def load_catalogue_file(path: str | Path) -> list[SwrImage]:
    """Read extra SWR entries from a JSON or YAML file (a list, or a mapping with an `images` list)."""
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise ValueError(
            f"swr_catalogue: cannot read {str(file)!r} ({err.strerror}); check the path"
        ) from None
    try:
        if file.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as err:
        raise ValueError(f"swr_catalogue: {str(file)!r} is not valid JSON/YAML ({err})") from None
    if isinstance(data, Mapping):
        data = data.get("images", [])
    if not isinstance(data, list):
        raise ValueError(f"swr_catalogue: {str(file)!r} must hold a list of images")
    return [_entry(item, str(file)) for item in data]


def catalogue_entries(source: str | Path | Iterable[Any] | None) -> list[SwrImage]:
    """Extra entries from a file path, a list of mappings / `ns/name:tag` strings, or nothing."""
    if source is None:
        return []
    if isinstance(source, (str, Path)):
        return load_catalogue_file(source)
    return [item if isinstance(item, SwrImage) else _entry(item, "swr_catalogue") for item in source]


class SwrCatalogue:
    """The SWR images that exist; thread-safe; the `sandbox` namespace holds every name:tag."""

    def __init__(self, extra: Iterable[SwrImage] = ()) -> None:
        self._lock = threading.Lock()
        self._extra = list(extra)
        self._images: dict[tuple[str, str, str], SwrImage] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the seed plus the configured extra entries."""
        with self._lock:
            self._images = {image.key: image for image in (*SEED_IMAGES, *self._extra)}
            self._namespaces = {key[0] for key in self._images} | {SANDBOX_NAMESPACE}
            self._removed: set[tuple[str, str, str]] = set()

    def add(self, image: SwrImage) -> None:
        """Add (or replace) an image; its namespace starts to exist."""
        with self._lock:
            self._images[image.key] = image
            self._namespaces.add(image.namespace)
            self._removed.discard(image.key)

    def remove(self, namespace: str, name: str, tag: str) -> None:
        """Delete an image's content (a forced delete); sandbox images can be removed too."""
        with self._lock:
            self._images.pop((namespace, name, tag), None)
            self._removed.add((namespace, name, tag))

    def has_namespace(self, namespace: str) -> bool:
        """Whether the namespace exists (and ModelArts may read it)."""
        return namespace in self._namespaces

    def find(self, namespace: str, name: str, tag: str) -> SwrImage | None:
        """The image, or None when the namespace or name:tag does not exist."""
        key = (namespace, name, tag)
        found = self._images.get(key)
        if found is None and namespace == SANDBOX_NAMESPACE and key not in self._removed:
            found = SwrImage(namespace, name, tag, _sandbox_size(name, tag))
        return found

    def images(self) -> list[dict[str, Any]]:
        """Every explicitly known image as a dict (the sandbox's infinite images are not listed)."""
        with self._lock:
            return [asdict(image) for image in self._images.values()]

    def to_state(self) -> dict[str, Any]:
        """What persistence needs: additions beyond the seed and removals."""
        seed = {image.key for image in (*SEED_IMAGES, *self._extra)}
        with self._lock:
            return {
                "added": [asdict(image) for key, image in self._images.items() if key not in seed],
                "removed": [list(key) for key in sorted(self._removed)],
            }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Apply what `to_state` saved."""
        for item in state.get("added", []):
            self.add(_entry(item, "state file"))
        for key in state.get("removed", []):
            if isinstance(key, list) and len(key) == 3:
                self.remove(*(str(part) for part in key))
