"""Helpers of the client tests (a module of its own: conftest modules cannot be imported by name)."""

from __future__ import annotations

from typing import Any

from modelarts_magic.emulator import Emulator

#: An address in the emulator's `sandbox` namespace, where every name:tag exists in SWR.
SANDBOX = "swr.eu-de.otc.t-systems.com/sandbox"
#: The seed page's example, in the emulator's SWR catalogue.
SEED_SWR = "swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7"


def fast_backoff(client: Any) -> Any:
    """Shorten the client's backoff (the decisions stay the same; tests just wait less)."""
    client.retry_policy.backoff_base = 0.01
    client.retry_policy.backoff_max = 0.05
    return client


def registered(emu: Emulator, swr_path: str) -> list[dict[str, Any]]:
    """The emulator's registered images of this SWR address (to count duplicates)."""
    namespace_name, _, tag = swr_path.rpartition(":")
    namespace, name = namespace_name.split("/")[-2:]
    return [
        image
        for image in emu.store.images()
        if image.get("name") == name and image.get("tag") == tag and image.get("namespace") == namespace
    ]
