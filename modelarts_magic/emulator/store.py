"""The emulator's images: registration rules, the INIT -> CREATING -> ACTIVE lifecycle, list queries.

Thread-safe (the server's event loop and test code share it). Status is derived from the time
elapsed since registration, so it needs no background task and survives a restart from the
state file. Deleted images are removed (showing them again gives 404 ModelArts.6404).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from ..models import ImageListQuery, validate_request
from .errors import ApiFailure
from .persistence import StateFile
from .swr import SwrCatalogue, SwrImage

__all__ = ["BUILT_IN_IMAGES", "MAX_IMAGE_BYTES", "ImageStore"]

#: Images larger than this are refused with ModelArts.6771 (the service's limit is of this order).
MAX_IMAGE_BYTES = 50 * 1024**3

_SORT_KEYS = {
    "update_at": "update_at",
    "updatetime": "update_at",
    "update_time": "update_at",
    "create_at": "create_at",
    "createtime": "create_at",
    "create_time": "create_at",
    "name": "name",
    "tag": "tag",
    "namespace": "namespace",
    "size": "size",
    "status": "status",
}

_BUILT_IN_SWR = "swr.eu-de.otc.t-systems.com/atelier"
# Built-in images as the list example shows them: no namespace, visibility, size or origin, and an
# `AI_FLOW` dev service outside the documented enum.
BUILT_IN_IMAGES: tuple[dict[str, Any], ...] = tuple(
    {
        "arch": arch,
        "create_at": 1652323200000 + i * 86400000,
        "update_at": 1652323200000 + i * 86400000,
        "description": description,
        "dev_services": ["AI_FLOW", "SSH"],
        "id": image_id,
        "name": name,
        "resource_categories": categories,
        "service_type": "DEV",
        "status": "ACTIVE",
        "swr_path": f"{_BUILT_IN_SWR}/{name}:{tag}",
        "tag": tag,
        "type": "BUILD_IN",
        "workspace_id": "0",
        "show_name": name,
        "show_tag": tag,
        "tags": [],
    }
    for i, (image_id, name, tag, arch, categories, description) in enumerate(
        [
            (
                "e1a07296-22a8-4f05-8bc8-e936c8e54090",
                "pytorch1.8-cuda10.2-cudnn7-ubuntu18.04",
                "2.0.0-20220512",
                "x86_64",
                ["CPU", "GPU"],
                "CUDA 10.2, Python 3.7, PyTorch 1.8",
            ),
            (
                "4c9e4a1d-5f64-4b0c-9d1a-2bde6d7e43f1",
                "tensorflow2.1-cuda10.1-cudnn7-ubuntu18.04",
                "2.0.0-20220512",
                "x86_64",
                ["CPU", "GPU"],
                "CUDA 10.1, Python 3.7, TensorFlow 2.1",
            ),
            (
                "9b0f3c2e-7d11-4e6a-a2c5-1f8e9d0c3b27",
                "mindspore1.7.0-cann5.1.0-py3.7-euler2.8.3",
                "2.0.0-20220512",
                "aarch64",
                ["ASCEND"],
                "Ascend, MindSpore 1.7",
            ),
        ]
    )
)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _tags(tags: Iterable[str] | None) -> list[dict[str, str]]:
    # The SDK reads response tags as TMS tags ({key, value}); `key=value` text is split.
    out = []
    for tag in tags or []:
        key, _, value = tag.partition("=")
        out.append({"key": key, "value": value})
    return out


class ImageStore:
    """Registered images (and the built-in ones), with the service's rules and error codes."""

    def __init__(
        self,
        catalogue: SwrCatalogue,
        *,
        init_seconds: float = 0.3,
        creating_seconds: float = 0.7,
        state: StateFile | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.init_seconds = init_seconds
        self.creating_seconds = creating_seconds
        self._state = state
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = {}
        self._by_key: dict[tuple[str, str, str], str] = {}
        self._seq = itertools.count()
        #: Extra state other parts persist with the images (the gateway's token revocation time).
        self.extra_state: dict[str, Any] = {}
        self._seed()
        if state is not None:
            self._load(state.load())

    # --- lifecycle and views ------------------------------------------------------------------

    def _seed(self) -> None:
        self._records = {}
        self._by_key = {}
        for image in BUILT_IN_IMAGES:
            self._records[image["id"]] = {**image, "_seq": next(self._seq), "_builtin": True}

    def _view(self, record: Mapping[str, Any], now_ms: int | None = None) -> dict[str, Any]:
        """The Image as the API shows it now (status derived from the time since registration)."""
        image = {key: value for key, value in record.items() if not key.startswith("_")}
        if record.get("_builtin"):
            return image
        now_ms = _now_ms() if now_ms is None else now_ms
        created = record["create_at"]
        init_ms = record["_init"] * 1000
        creating_ms = record["_creating"] * 1000
        elapsed = now_ms - created
        if elapsed < init_ms:
            image.update(status="INIT", status_message="registration accepted, waiting to start")
            image["update_at"] = created
        elif elapsed < init_ms + creating_ms:
            image.update(status="CREATING", status_message="pulling the image from SWR and checking it")
            image["update_at"] = created + int(init_ms)
        else:
            image["update_at"] = created + int(init_ms + creating_ms)
            if record.get("_fails_with"):
                image.update(status="CREATE_FAILED", status_message=record["_fails_with"])
            else:
                image["status"] = "ACTIVE"
        return image

    # --- the API's operations -----------------------------------------------------------------

    def register(self, body: Any) -> dict[str, Any]:
        """Register an image from a request body; raise `ApiFailure` with the service's codes."""
        request, errors = validate_request(body)
        if errors or request is None:
            raise ApiFailure(400, "ModelArts.0101", f"Invalid parameter: {errors[0]}")
        swr = request.swr
        if not self.catalogue.has_namespace(swr.namespace):
            raise ApiFailure(
                400,
                "ModelArts.2885",
                f"Failed to access SWR namespace {swr.namespace}: it does not exist or ModelArts is not "
                "authorized to read it",
            )
        found: SwrImage | None = self.catalogue.find(swr.namespace, swr.name, swr.tag)
        if found is None:
            raise ApiFailure(
                400,
                "ModelArts.6797",
                f"The specified image {swr.namespace}/{swr.name}:{swr.tag} cannot be found in SWR",
            )
        if found.size_bytes > MAX_IMAGE_BYTES:
            raise ApiFailure(
                400,
                "ModelArts.6771",
                f"Image {swr.name}:{swr.tag} is {found.size_bytes} bytes, larger than the "
                f"{MAX_IMAGE_BYTES} bytes that can be registered",
            )
        now = _now_ms()
        with self._lock:
            if swr.namespace is not None and (swr.namespace, swr.name, swr.tag) in self._by_key:
                raise ApiFailure(
                    400,
                    "ModelArts.2884",
                    f"Image name {swr.name} and tag {swr.tag} already exist in namespace {swr.namespace}",
                )
            categories = [str(c) for c in request.resource_category or ("CPU", "GPU")]
            record: dict[str, Any] = {
                "arch": str(request.arch or "X86_64").lower(),
                "create_at": now,
                "description": request.description or "",
                "dev_services": [str(s) for s in request.services or ("NOTEBOOK", "SSH")],
                "id": str(uuid.uuid4()),
                "name": swr.name,
                "namespace": swr.namespace,
                "origin": str(request.origin or "CUSTOMIZE"),
                "resource_categories": categories,
                "service_type": str(request.service_type or "UNKNOWN"),
                "size": found.size_bytes,
                "support_res_categories": categories,
                "swr_path": request.swr_path,
                "tag": swr.tag,
                "type": "DEDICATED",
                "update_at": now,
                "visibility": str(request.visibility or "PRIVATE"),
                "workspace_id": request.workspace_id or "0",
                "show_name": swr.name,
                "show_tag": swr.tag,
                "tags": _tags(request.tags),
                "_seq": next(self._seq),
                "_init": self.init_seconds,
                "_creating": (
                    found.creating_seconds if found.creating_seconds is not None else self.creating_seconds
                ),
                "_fails_with": found.fails_with,
            }
            for optional in ("flavor_type", "swr_instance_id", "read_me"):
                value = getattr(request, optional)
                if value is not None:
                    record[optional] = value
            self._records[record["id"]] = record
            self._by_key[(swr.namespace, swr.name, swr.tag)] = record["id"]
            self._save()
            return self._view(record, now)

    def get(self, image_id: str) -> dict[str, Any]:
        """The Image; 404 ModelArts.6404 when unknown."""
        record = self._records.get(image_id)
        if record is None:
            raise ApiFailure(404, "ModelArts.6404", f"Image {image_id} not found")
        return self._view(record)

    def delete(self, image_id: str, force: bool = False) -> dict[str, Any]:
        """Remove an image (and with `force`, its SWR content); answer it with status DELETED."""
        with self._lock:
            record = self._records.get(image_id)
            if record is None:
                raise ApiFailure(404, "ModelArts.6404", f"Image {image_id} not found")
            if record.get("_builtin"):
                raise ApiFailure(
                    403, "ModelArts.0108", f"Not authorized to delete built-in image {record['name']}"
                )
            if force and record.get("visibility") != "PRIVATE":
                raise ApiFailure(
                    400,
                    "ModelArts.0101",
                    "Invalid parameter: force deletes the SWR content of private images only",
                )
            image = self._view(record)
            del self._records[image_id]
            self._by_key.pop((record["namespace"], record["name"], record["tag"]), None)
            if force:
                self.catalogue.remove(record["namespace"], record["name"], record["tag"])
            self._save()
        image.update(status="DELETED", status_message="", update_at=_now_ms())
        return image

    def query(self, params: Iterable[tuple[str, str]], *, groups: bool = False) -> dict[str, Any]:
        """A list page (`current, data, pages, size, total`) for the list call's query parameters."""
        raw = dict(params)
        known = {key: value for key, value in raw.items() if key in ImageListQuery.model_fields}
        try:
            query = ImageListQuery.model_validate(known)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ("query",)))
            raise ApiFailure(
                400, "ModelArts.0101", f"Invalid parameter: {field} {raw.get(field, '')!r}: {first['msg']}"
            ) from None
        now = _now_ms()
        with self._lock:
            # Filters read fields that never change, so filter before building the (dearer) views.
            records = [record for record in self._records.values() if _matches(record, query, raw)]
            images = [self._view(record, now) for record in records]
            order = {record["id"]: record["_seq"] for record in records}
        if groups:
            images = _group(images)
        _sort(images, query.sort_key, query.sort_dir or "DESC", order)
        limit = query.limit or 200
        offset = query.offset or 0
        total = len(images)
        data = images[offset : offset + limit]
        return {
            "current": offset // limit + 1,
            "data": data,
            "pages": math.ceil(total / limit) if total else 0,
            "size": len(data),
            "total": total,
        }

    # --- test helpers -------------------------------------------------------------------------

    def images(self, include_builtin: bool = False) -> list[dict[str, Any]]:
        """Every registered image as the API shows it now (built-in ones only when asked)."""
        now = _now_ms()
        with self._lock:
            records = sorted(self._records.values(), key=lambda r: r["_seq"])
            return [self._view(r, now) for r in records if include_builtin or not r.get("_builtin")]

    def reset(self) -> None:
        """Back to the seed: no registered images, the SWR catalogue as configured."""
        with self._lock:
            self._seed()
            self.catalogue.reset()
            self.extra_state.clear()
            self._save()

    def add_swr_image(
        self,
        namespace: str,
        name: str,
        tag: str,
        size_bytes: int,
        *,
        fails_with: str | None = None,
        creating_seconds: float | None = None,
    ) -> None:
        """Make an image exist in SWR (its namespace too), so that registering it succeeds."""
        with self._lock:
            self.catalogue.add(SwrImage(namespace, name, tag, int(size_bytes), fails_with, creating_seconds))
            self._save()

    # --- persistence --------------------------------------------------------------------------

    def save(self) -> None:
        """Write the state file now (no-op without one)."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        if self._state is None:
            return
        records = [
            r for r in sorted(self._records.values(), key=lambda r: r["_seq"]) if not r.get("_builtin")
        ]
        self._state.save(
            {
                "images": [{k: v for k, v in r.items() if k != "_seq"} for r in records],
                "swr": self.catalogue.to_state(),
                "extra": self.extra_state,
            }
        )

    def _load(self, state: Mapping[str, Any]) -> None:
        self.catalogue.load_state(state.get("swr", {}))
        self.extra_state.update(state.get("extra", {}))
        for saved in state.get("images", []):
            record = {**saved, "_seq": next(self._seq)}
            self._records[record["id"]] = record
            self._by_key[(record["namespace"], record["name"], record["tag"])] = record["id"]


def _matches(image: Mapping[str, Any], query: ImageListQuery, raw: Mapping[str, str]) -> bool:
    if query.name is not None:
        name = image.get("name") or ""
        fuzzy = query.name_fuzzy_match is not False
        if not (query.name.lower() in name.lower() if fuzzy else name == query.name):
            return False
    if query.namespace is not None and image.get("namespace") != query.namespace:
        return False
    if query.service_type is not None and image.get("service_type") != str(query.service_type):
        return False
    if query.type is not None and image.get("type") != str(query.type):
        return False
    if query.workspace_id is not None and image.get("workspace_id") != query.workspace_id:
        return False
    for extra in ("show_name", "show_tag", "swr_instance_id"):
        if extra in raw and image.get(extra) != raw[extra]:
            return False
    return True


def _sort(
    images: list[dict[str, Any]], sort_key: str | None, sort_dir: str, order: Mapping[str, int]
) -> None:
    keys = [part.strip() for part in (sort_key or "update_at").split(",") if part.strip()]
    fields = []
    for key in keys:
        field = _SORT_KEYS.get(key.lower())
        if field is None:
            raise ApiFailure(
                400,
                "ModelArts.0101",
                f"Invalid parameter: sort_key {key!r} is not sortable; use one of "
                "update_at, create_at, name, tag, namespace, size, status",
            )
        fields.append(field)

    def sort_value(image: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for field in fields:
            value = image.get(field)
            values.append((value is not None, value if value is not None else 0))
        # Registration order breaks ties, so paging is stable.
        return (*values, order.get(image.get("id", ""), image.get("create_at", 0)))

    images.sort(key=sort_value, reverse=sort_dir == "DESC")


def _group(images: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Image groups: one per namespace/name, with its version count (`GET .../images/group`)."""
    groups: dict[tuple[Any, Any], dict[str, Any]] = {}
    for image in images:
        key = (image.get("namespace"), image.get("name"))
        group = groups.get(key)
        if group is None:
            groups[key] = {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key[0]}/{key[1]}")),
                "name": image.get("name"),
                "namespace": image.get("namespace"),
                "create_at": image.get("create_at"),
                "update_at": image.get("update_at"),
                "version_count": 1,
                "description": image.get("description", ""),
                "type": image.get("type"),
            }
        else:
            group["version_count"] += 1
            group["create_at"] = min(group["create_at"] or 0, image.get("create_at") or 0)
            group["update_at"] = max(group["update_at"] or 0, image.get("update_at") or 0)
    return list(groups.values())
