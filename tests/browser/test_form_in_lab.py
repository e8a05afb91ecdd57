"""The registration form in a real JupyterLab: type, see errors inline, register, watch it go ACTIVE.

The kernel starts its own emulator (`%modelarts emulator`), whose images go INIT -> CREATING ->
ACTIVE within about a second; the form's live Image widget follows that by itself.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from labharness import DARK_THEME, LIGHT_THEME, Lab
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NO_TAG = "my-team/pytorch"
VALID = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"
# The live widget refreshes with backoff (1 s, 1.6 s, ...): ACTIVE shows within a few seconds,
# more on a loaded CI machine.
ACTIVE_TIMEOUT_MS = 20_000


def form_notebook() -> nbformat.NotebookNode:
    """A notebook that starts the emulator in its kernel, then opens the form."""
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("%load_ext modelarts_magic\n%modelarts emulator"),
            nbformat.v4.new_code_cell("%register_image_form"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def test_form_rejects_a_path_without_tag_then_registers_and_follows_to_active(lab: Lab) -> None:
    lab.open_notebook(lab.write_notebook("form.ipynb", form_notebook()))
    lab.run_all_cells()
    page = lab.page
    cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(1)
    form = cell.locator(".jp-Cell-outputArea")
    expect(form.get_by_text("Register a ModelArts image")).to_be_visible()
    expect(form.get_by_text("at the local emulator")).to_be_visible()

    swr_row = form.locator(".widget-hbox").filter(has=page.locator(".widget-html", has_text="SWR path")).first
    swr_input = swr_row.locator("input")
    # By text: a button's accessible name starts with its icon's glyph.
    register = form.locator("button", has_text=re.compile(r"^\s*Register\s*$"))
    dry_run = form.locator("button", has_text=re.compile(r"^\s*Dry run\s*$"))
    # Nothing typed yet: nothing to send, and no error shouted before the user typed.
    expect(register).to_be_disabled()
    expect(form.get_by_text("⚠")).to_have_count(0)

    swr_input.fill(NO_TAG)
    error = form.locator(".widget-html").filter(has_text="add :tag")
    expect(error).to_be_visible()
    expect(error).to_contain_text("has no tag")
    expect(error).to_contain_text(f"'{NO_TAG}:latest'")
    expect(register).to_be_disabled()
    expect(dry_run).to_be_disabled()

    swr_input.fill(VALID)
    expect(error).to_have_count(0)
    expect(form.get_by_text("namespace my-team, image pytorch_2_3, tag cuda12")).to_be_visible()
    expect(register).to_be_enabled()
    register.click()

    expect(form.get_by_text("registered pytorch_2_3:cuda12")).to_be_visible()
    card = form.locator(".jp-OutputArea-output.modelarts-image-output > .modelarts-image-card")
    expect(card).to_have_count(1)
    expect(card).to_have_attribute("data-status", "ACTIVE", timeout=ACTIVE_TIMEOUT_MS)
    expect(card.locator(".modelarts-title")).to_have_text("pytorch_2_3:cuda12")
    expect(card.locator(".modelarts-status")).to_have_text("ACTIVE")
    expect(form.get_by_text("ACTIVE · ready to use")).to_be_visible()
    # Registered: the form is ready for the next image (the buttons are enabled again).
    expect(register).to_be_enabled()

    # Screenshots of the form with the registered image under it, in both themes.
    lab.hide_sidebars()
    page.set_viewport_size({"width": 1280, "height": 1800})
    for theme, name in ((LIGHT_THEME, "light"), (DARK_THEME, "dark")):
        lab.set_theme(theme)
        cell.scroll_into_view_if_needed()
        shot = lab.screenshot(cell, f"lab-form-{name}.png")
        assert shot.stat().st_size > 10_000
    lab.set_theme(LIGHT_THEME)
    lab.shutdown_kernels()
