"""The JupyterLab extension in a real Lab and Chromium: the image renderer and the insert command."""

from __future__ import annotations

import copy
import json
from typing import Any

import nbformat
import pytest
from labharness import DARK_THEME, LIGHT_THEME, Lab, no_kernel_metadata

pytestmark = pytest.mark.browser

IMAGE_MIME = "application/vnd.modelarts.image+json"
FALLBACK_MARK = "html-fallback-card"

# The register response as the API returns it (shared/fixtures/examples/register-response.json).
ACTIVE_IMAGE: dict[str, Any] = {
    "arch": "x86_64",
    "create_at": 1671708630448,
    "description": "PyTorch 1.8 training image with CUDA 10.2",
    "dev_services": ["NOTEBOOK", "SSH"],
    "id": "708ca95d-c601-4dc7-86b9-670adfd5e818",
    "name": "pytorch_1_8",
    "namespace": "op_svc_modelarts_container2",
    "origin": "CUSTOMIZE",
    "resource_categories": ["CPU"],
    "service_type": "UNKNOWN",
    "size": 3376133259,
    "status": "ACTIVE",
    "swr_path": "swr.eu-de.otc.t-systems.com/op_svc_modelarts_container2/pytorch_1_8:"
    "train-pytorch_1.8.0-cuda_10.2-py_3.7",
    "tag": "train-pytorch_1.8.0-cuda_10.2-py_3.7",
    "type": "DEDICATED",
    "update_at": 1671708690448,
    "visibility": "PRIVATE",
    "workspace_id": "0",
}

REGISTER_SOURCE = f"""%%register_image --wait
swr_path: {ACTIVE_IMAGE["swr_path"]}
description: {ACTIVE_IMAGE["description"]}
resource_category: [CPU]
services: [NOTEBOOK, SSH]"""

INSERTED_REGISTER_CELL = """%%register_image --wait
swr_path: swr.eu-de.otc.t-systems.com/my-namespace/my-image:latest
description: ""
resource_category: [CPU]
services: [NOTEBOOK, SSH]"""


def image_output(image: dict[str, Any], execution_count: int) -> Any:
    """A saved output as `Image._repr_mimebundle_` makes it: our JSON, an HTML card, text."""
    return nbformat.v4.new_output(
        "execute_result",
        data={
            IMAGE_MIME: image,
            "text/html": f'<div class="{FALLBACK_MARK}">HTML fallback card for {image["id"]}</div>',
            "text/plain": f"Image({image.get('name')}:{image.get('tag')}, {image.get('status')})",
        },
        execution_count=execution_count,
    )


def card_notebook() -> Any:
    """A saved notebook holding an ACTIVE and a CREATE_FAILED image output, no kernel named."""
    failed = copy.deepcopy(ACTIVE_IMAGE)
    failed.update(
        id="1c7e3a52-8d0b-4a4e-9a0f-2f3c4f1e9b11",
        name="my-image",
        tag="v2",
        namespace="my-namespace",
        status="CREATE_FAILED",
        status_message="The image swr.eu-de.otc.t-systems.com/my-namespace/my-image:v2 "
        "was not found in SWR. Push it first, then register again.",
        dev_services=["SSH", "AI_FLOW"],
        size=104857600,
        swr_path="swr.eu-de.otc.t-systems.com/my-namespace/my-image:v2",
        description="",
    )
    register = nbformat.v4.new_code_cell(REGISTER_SOURCE, execution_count=2)
    register.outputs = [image_output(ACTIVE_IMAGE, 2)]
    failing = nbformat.v4.new_code_cell(
        "%register_image swr.eu-de.otc.t-systems.com/my-namespace/my-image:v2", execution_count=3
    )
    failing.outputs = [image_output(failed, 3)]
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext modelarts_magic", execution_count=1),
            register,
            failing,
        ],
        metadata=no_kernel_metadata(),
    )


def test_saved_image_output_is_drawn_by_the_renderer_without_a_kernel(lab: Lab) -> None:
    path = lab.write_notebook("saved-image.ipynb", card_notebook())
    lab.open_notebook(path, kernel=False)

    cards = lab.outputs(".modelarts-image-card")
    cards.first.wait_for()
    assert cards.count() == 2
    assert lab.outputs(f".{FALLBACK_MARK}").count() == 0, "the HTML fallback won over our renderer"
    active = cards.nth(0)
    assert active.get_attribute("data-status") == "ACTIVE"
    assert active.locator(".modelarts-status").inner_text().strip() == "ACTIVE"
    assert active.locator(".modelarts-title").inner_text() == "pytorch_1_8:" + ACTIVE_IMAGE["tag"]
    chips = active.locator(".modelarts-chip")
    assert [chips.nth(i).get_attribute("data-service") for i in range(chips.count())] == [
        "NOTEBOOK",
        "SSH",
    ]
    assert "open JupyterLab over HTTPS" in chips.nth(0).inner_text()
    assert "connect from a local IDE" in chips.nth(1).inner_text()
    size = active.locator("[data-field=size]")
    assert size.inner_text() == "3.14 GiB"
    assert size.get_attribute("title") == "3376133259 bytes"

    failed = cards.nth(1)
    assert failed.get_attribute("data-status") == "CREATE_FAILED"
    assert "was not found in SWR" in failed.locator(".modelarts-message").inner_text()
    assert failed.locator(".modelarts-chip-unknown").inner_text() == "AI_FLOW"
    assert lab.server.api("/api/sessions") == [], "opening the notebook started a kernel"


def test_insert_register_cell_command_adds_load_ext_once(lab: Lab) -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("import os"), nbformat.v4.new_markdown_cell("# End")],
        metadata=no_kernel_metadata(),
    )
    path = lab.write_notebook("insert-command.ipynb", notebook)
    lab.open_notebook(path, kernel=False)
    lab.select_cell(0)

    # The palette lists the command under its label.
    lab.run_from_palette("Register a ModelArts image")

    lab.page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.model.cells.length === 4")
    assert lab.cell_sources() == [
        "import os",
        "%load_ext modelarts_magic",
        INSERTED_REGISTER_CELL,
        "# End",
    ]
    assert lab.active_cell_index() == 2

    # Once the notebook loads the extension, the command inserts only the register cell.
    lab.execute("modelarts-magic:insert-register-cell")
    assert lab.cell_sources() == [
        "import os",
        "%load_ext modelarts_magic",
        INSERTED_REGISTER_CELL,
        INSERTED_REGISTER_CELL,
        "# End",
    ]
    cell_types = lab.page.evaluate(
        "() => [...window.jupyterapp.shell.currentWidget.content.model.cells].map(c => c.type)"
    )
    assert cell_types == ["code", "code", "code", "code", "markdown"]
    toolbar_button = lab.page.locator(".jp-NotebookPanel:visible .modelarts-toolbar-button")
    assert toolbar_button.count() == 1
    lab.page.locator(".jp-NotebookPanel:visible .jp-Cell").first.click(button="right")
    menu_item = lab.page.locator(".lm-Menu-item", has_text="Register a ModelArts image")
    assert menu_item.first.is_visible()


@pytest.mark.parametrize(("theme", "name"), [(LIGHT_THEME, "light"), (DARK_THEME, "dark")])
def test_screenshot_of_the_card(lab: Lab, theme: str, name: str) -> None:
    path = lab.write_notebook(f"screenshot-{name}.ipynb", card_notebook())
    lab.open_notebook(path, kernel=False)
    lab.hide_sidebars()
    lab.set_theme(theme)
    lab.outputs(".modelarts-image-card").first.wait_for()
    lab.page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1).scroll_into_view_if_needed()
    target = lab.screenshot(lab.page.locator(".jp-NotebookPanel:visible"), f"lab-card-{name}.png")
    assert target.stat().st_size > 10_000
    lab.set_theme(LIGHT_THEME)


def test_card_payload_is_the_json_we_saved(lab: Lab) -> None:
    """The renderer reads the JSON bundle itself (not the HTML): values appear verbatim."""
    hostile = copy.deepcopy(ACTIVE_IMAGE)
    hostile["description"] = "<img src=x onerror=\"document.title='pwned'\"><script>1</script>"
    hostile["status"] = "MIGRATING"
    cell = nbformat.v4.new_code_cell("image", execution_count=1)
    cell.outputs = [image_output(hostile, 1)]
    notebook = nbformat.v4.new_notebook(cells=[cell], metadata=no_kernel_metadata())
    lab.open_notebook(lab.write_notebook("hostile.ipynb", notebook), kernel=False)
    card = lab.outputs(".modelarts-image-card").first
    card.wait_for()
    assert card.get_attribute("data-status") == "MIGRATING"
    assert card.locator("[data-field=description]").inner_text() == hostile["description"]
    assert card.locator("img, script").count() == 0
    assert lab.page.title() != "pwned"
    assert json.loads(json.dumps(hostile))["id"] == card.locator("[data-field=id]").inner_text()


def test_output_of_a_live_kernel_is_drawn_by_the_renderer(lab: Lab) -> None:
    """Run all cells with a real kernel: the bundle it displays is drawn as our card."""
    display_cell = (
        "from IPython.display import display\n"
        f"image = {ACTIVE_IMAGE!r}\n"
        "display({\n"
        f"    {IMAGE_MIME!r}: image,\n"
        f"    'text/html': '<div class=\"{FALLBACK_MARK}\">fallback</div>',\n"
        "    'text/plain': 'Image(...)',\n"
        "}, raw=True)"
    )
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import os, IPython\nprint('dirs:', IPython.paths.get_ipython_dir(), os.environ['HOME'])"
            ),
            nbformat.v4.new_code_cell(display_cell),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    lab.open_notebook(lab.write_notebook("live-kernel.ipynb", notebook))
    lab.run_all_cells()
    card = lab.outputs(".modelarts-image-card").first
    card.wait_for()
    assert card.get_attribute("data-status") == "ACTIVE"
    assert lab.outputs(f".{FALLBACK_MARK}").count() == 0
    chips = card.locator(".modelarts-chip")
    assert chips.count() == 2
    assert [s["kernel"]["execution_state"] for s in lab.server.api("/api/sessions")] == ["idle"]
    lab.run_cell(0)
    assert lab.outputs().filter(has_text="dirs:").count() == 1
    # The kernel keeps its IPython profile and home in the server's throwaway tree.
    dirs = lab.outputs().filter(has_text="dirs:").first.inner_text().split()
    base = str(lab.server.home.parent)
    assert dirs[1].startswith(base) and dirs[2].startswith(base), dirs
