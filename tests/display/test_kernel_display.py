"""`show_image` in a real ipykernel: a top-level MIME display, live controls, update_display on ACTIVE."""

from __future__ import annotations

import os
import queue
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelarts_magic.display import IMAGE_MIME_TYPE
from modelarts_magic.emulator import Emulator

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def kernel(
    emu: Emulator, tmp_path: Path, credentials: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A real Python kernel (this venv), its Jupyter and IPython files kept under tmp_path."""
    from jupyter_client.manager import KernelManager

    ak, sk = credentials
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "MPLBACKEND": "agg",
        # This checkout, installed or not.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "EMU_URL": emu.url,
        "EMU_PROJECT": emu.settings.project_id,
        "EMU_AK": ak,
        "EMU_SK": sk,
    }
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", env["JUPYTER_RUNTIME_DIR"])  # the connection file
    manager = KernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable
    manager.start_kernel(env=env, cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(kernel: Any, code: str, timeout: float = 30) -> list[dict[str, Any]]:
    """Execute a cell; return every iopub message of it, failing on an error."""
    msg_id = kernel.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = kernel.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            messages.append(message)  # e.g. updates sent by a background task
            continue
        messages.append(message)
        if message["msg_type"] == "error":
            pytest.fail("\n".join(message["content"]["traceback"]))
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return messages
    pytest.fail(f"cell did not finish within {timeout} s")


def stdout(messages: list[dict[str, Any]]) -> str:
    return "".join(
        m["content"]["text"]
        for m in messages
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )


@pytest.mark.timeout(120)
def test_show_image_in_a_kernel_updates_the_top_level_display(kernel: Any) -> None:
    messages = run(
        kernel,
        "import os\n"
        "from modelarts_magic.client import ModelArtsClient\n"
        "from modelarts_magic.widgets import show_image\n"
        "c = ModelArtsClient(os.environ['EMU_URL'], os.environ['EMU_PROJECT'],\n"
        "                    ak=os.environ['EMU_AK'], sk=os.environ['EMU_SK'])\n"
        "img = c.register_image(swr_path='swr.eu-de.otc.t-systems.com/my-team/my-image:1.0')\n"
        "w = show_image(img, client=c)\n"
        "print(type(w).__name__, type(w._task).__name__, w._thread)\n",
    )
    # Followed by an asyncio task on the kernel's loop, not a thread.
    assert stdout(messages).strip() == "ImageWidget Task None"
    displays = [m for m in messages if m["msg_type"] == "display_data"]
    card, controls = displays
    display_id = card["content"]["transient"]["display_id"]
    assert card["content"]["data"][IMAGE_MIME_TYPE]["status"] == "INIT"
    assert "text/html" in card["content"]["data"]
    assert WIDGET_MIME in controls["content"]["data"]
    # What a saved notebook shows for the controls without a kernel: a sentence, not a widget repr.
    assert "live controls need a running kernel" in controls["content"]["data"]["text/plain"]

    # The kernel is idle now; the follow task keeps running on its loop and updates the card.
    statuses = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and "ACTIVE" not in statuses:
        try:
            message = kernel.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if message["msg_type"] == "update_display_data":
            assert message["content"]["transient"]["display_id"] == display_id
            statuses.append(message["content"]["data"][IMAGE_MIME_TYPE]["status"])
    assert statuses and statuses[-1] == "ACTIVE"

    after = run(kernel, "print(w.following, w.image.status, w.progress.value)")
    assert stdout(after).strip() == "False ACTIVE 3"


@pytest.mark.timeout(120)
def test_show_image_live_false_in_a_kernel_is_just_the_bundle(kernel: Any) -> None:
    messages = run(
        kernel,
        "from modelarts_magic.models import Image\n"
        "from modelarts_magic.widgets import show_image\n"
        "print(show_image(Image(id='x', status='CREATING'), client=object(), live=False))\n",
    )
    displays = [m for m in messages if m["msg_type"] == "display_data"]
    assert len(displays) == 1
    assert IMAGE_MIME_TYPE in displays[0]["content"]["data"]
    assert stdout(messages).strip() == "None"
