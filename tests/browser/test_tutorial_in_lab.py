"""The quick-start tutorial in a real JupyterLab: run it with a live kernel, save it, reopen it without one.

The notebook starts its own emulator (`%modelarts emulator`), so the kernel needs nothing from the
test; it imports `modelarts_magic` from the venv, where this checkout is installed editable.
"""

from __future__ import annotations

from typing import Any

import nbformat
import pytest
from labharness import REPO, Lab
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TUTORIAL = REPO / "notebooks" / "01-quickstart.ipynb"
IMAGE_MIME = "application/vnd.modelarts.image+json"
# Our renderer's output node is `.jp-OutputArea-output.modelarts-image-output`; the HTML fallback
# (the same card as HTML, same class names) is drawn in a `.jp-RenderedHTMLCommon` output instead.
RENDERED_CARD = (
    ".jp-NotebookPanel:visible .jp-OutputArea-output.modelarts-image-output > .modelarts-image-card"
)
FALLBACK_CARD = ".jp-NotebookPanel:visible .jp-RenderedHTMLCommon .modelarts-image-card"
# Images the tutorial registers, in output order, with the dev services each offers.
EXPECTED_CARDS = [
    ("pytorch_1_8", ["NOTEBOOK", "SSH"]),  # %%register_image --wait -o img
    ("pytorch_1_8", ["NOTEBOOK", "SSH"]),  # img
    ("sklearn-notebook", ["NOTEBOOK"]),  # the one-line form
    ("pytorch_2_3", ["NOTEBOOK", "SSH"]),  # placeholders
]


def card_summary(lab: Lab) -> list[tuple[str, str, list[str]]]:
    """(title, status, dev services) of every Image card in the notebook, drawn by our renderer."""
    return [
        (str(item["title"]).split(":")[0], str(item["status"]), list(item["services"]))
        for item in lab.page.locator(RENDERED_CARD).evaluate_all(
            "cards => cards.map(card => ({ title: card.querySelector('.modelarts-title').textContent, "
            "  status: card.dataset.status, "
            "  services: [...card.querySelectorAll('.modelarts-chip')].map(c => c.dataset.service) }))"
        )
    ]


def assert_cards_drawn_by_our_renderer(lab: Lab) -> None:
    # Off-screen cells are in the DOM but not rendered (Lab's default windowing uses CSS
    # content-visibility), so cards are found as attached and read through the DOM.
    # Outputs are drawn one cell after another: wait for all of them, not just the first.
    expect(lab.page.locator(RENDERED_CARD)).to_have_count(len(EXPECTED_CARDS))
    assert lab.page.locator(FALLBACK_CARD).count() == 0, "the HTML fallback won over our renderer"
    assert card_summary(lab) == [(name, "ACTIVE", services) for name, services in EXPECTED_CARDS]
    first = lab.page.locator(RENDERED_CARD).first
    first.evaluate("card => card.scrollIntoView({block: 'center'})")
    first.wait_for()
    assert first.locator(".modelarts-status").inner_text().strip() == "ACTIVE"
    chips = first.locator(".modelarts-chip")
    assert "open JupyterLab over HTTPS" in chips.nth(0).inner_text()
    assert "connect from a local IDE" in chips.nth(1).inner_text()


def error_outputs(lab: Lab) -> list[Any]:
    """Tracebacks in the current notebook's outputs (ename and evalue of each)."""
    return list(
        lab.page.evaluate(
            "() => [...window.jupyterapp.shell.currentWidget.content.model.cells]"
            ".filter(c => c.type === 'code').flatMap(c => c.outputs.toJSON())"
            ".filter(o => o.output_type === 'error').map(o => `${o.ename}: ${o.evalue}`)"
        )
    )


def test_quickstart_runs_in_lab_and_its_saved_cards_render_without_a_kernel(lab: Lab) -> None:
    path = lab.write_notebook("01-quickstart.ipynb", nbformat.read(TUTORIAL, as_version=4))
    lab.open_notebook(path)
    # The test server turns jupysql-plugin's "Format SQL" toolbar button off (it is in the venv
    # for the benchmarks, and would show in every screenshot); ours stays.
    toolbar = lab.page.locator(".jp-NotebookPanel:visible .jp-NotebookPanel-toolbar")
    expect(toolbar.get_by_text("ModelArts image")).to_be_visible()
    expect(toolbar.get_by_text("Format SQL")).to_have_count(0)
    assert "jupysql-plugin" in lab.server.page_config()["disabledExtensions"]

    lab.run_all_cells(timeout=180)

    assert error_outputs(lab) == []
    assert_cards_drawn_by_our_renderer(lab)
    # The last cell lists what the emulator holds: the three registered images.
    table = lab.outputs(".modelarts-image-table")
    assert table.count() == 1
    for name in ("pytorch_1_8", "sklearn-notebook", "pytorch_2_3"):
        assert name in (table.text_content() or "")

    lab.save()
    lab.page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")
    saved = nbformat.read(lab.server.root / path, as_version=4)
    saved_images = [
        output["data"][IMAGE_MIME]
        for cell in saved.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if IMAGE_MIME in output.get("data", {})
    ]
    assert [(image["name"], image["status"]) for image in saved_images] == [
        (name, "ACTIVE") for name, _ in EXPECTED_CARDS
    ]

    lab.close_notebook(path)
    lab.shutdown_kernels()
    assert lab.server.api("/api/sessions") == []

    lab.open_notebook_without_kernel(path)
    assert_cards_drawn_by_our_renderer(lab)
    assert lab.server.api("/api/kernels") == [], "reopening the notebook started a kernel"
