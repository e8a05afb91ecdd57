"""Render the HTML Image card (ACTIVE, CREATING, CREATE_FAILED) in headless Chromium, light and dark.

Writes `docs/card-states.png` (white page, dark text) and `docs/card-states-dark.png` (dark page,
light text, as in a dark JupyterLab or VS Code theme). The card is the exact `text/html` of
`Image._repr_mimebundle_`, placed in a page that sets only the background, text colour and font a
front end would. Uses Debian's `/usr/bin/chromium` through Playwright (never `playwright install`).

    .venv/bin/python scripts/screenshot_cards.py [--out docs] [--html-only]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from modelarts_magic.display import image_html  # noqa: E402
from modelarts_magic.models import Image  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "examples" / "register-response.json"

THEMES = {
    "light": ("#ffffff", "rgba(0,0,0,0.87)"),
    "dark": ("#111111", "rgba(255,255,255,0.87)"),
}


def sample_images() -> list[Image]:
    """An ACTIVE image (the API reference's example), one being created and one that failed."""
    if FIXTURE.exists():
        active = json.loads(FIXTURE.read_text())
    else:
        active = {
            "id": "708ca95d-c601-4dc7-86b9-670adfd5e818",
            "name": "pytorch_1_8",
            "tag": "train-pytorch_1.8.0-cuda_10.2-py_3.7",
            "namespace": "op_svc_modelarts_container2",
            "status": "ACTIVE",
            "arch": "x86_64",
            "dev_services": ["NOTEBOOK", "SSH"],
            "resource_categories": ["CPU"],
            "service_type": "UNKNOWN",
            "origin": "CUSTOMIZE",
            "type": "DEDICATED",
            "visibility": "PRIVATE",
            "workspace_id": "0",
            "size": 3376133259,
            "create_at": 1671708630448,
            "update_at": 1671708630448,
            "swr_path": "swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:"
            "train-pytorch_1.8.0-cuda_10.2-py_3.7",
        }
    creating = {
        "id": "3f6c1b2e-9a4d-4e8f-b1c2-7d5e6f708192",
        "name": "tensorflow-serving",
        "tag": "2.15-gpu",
        "namespace": "my-team",
        "status": "CREATING",
        "description": "TF Serving with CUDA 12 for the fraud model",
        "arch": "X86_64",
        "dev_services": ["NOTEBOOK", "AI_FLOW"],
        "resource_categories": ["GPU", "CPU"],
        "service_type": "INFERENCE",
        "origin": "CUSTOMIZE",
        "type": "DEDICATED",
        "visibility": "PRIVATE",
        "workspace_id": "0",
        "create_at": 1718000000000,
        "update_at": 1718000004000,
        "swr_path": "swr.eu-de.otc.t-systems.com/my-team/tensorflow-serving:2.15-gpu",
    }
    failed = {
        "id": "c0ffee00-1234-4bcd-8ef0-0123456789ab",
        "name": "broken-cuda",
        "tag": "1.0",
        "namespace": "my-team",
        "status": "CREATE_FAILED",
        "status_message": "image layer sha256:9f2c… failed to download: manifest unknown",
        "arch": "AARCH64",
        "dev_services": ["SSH"],
        "resource_categories": ["GPU"],
        "service_type": "TRAIN",
        "origin": "CUSTOMIZE",
        "type": "DEDICATED",
        "visibility": "PRIVATE",
        "workspace_id": "0",
        "size": 912345678,
        "create_at": 1718000100000,
        "update_at": 1718000160000,
        "swr_path": "swr.eu-de.otc.t-systems.com/my-team/broken-cuda:1.0",
    }
    return [Image.model_validate(data) for data in (active, creating, failed)]


def page(theme: str) -> str:
    """An HTML page with the three cards on the theme's background."""
    background, colour = THEMES[theme]
    cards = "\n".join(f'<div style="margin:0 0 14px">{image_html(image)}</div>' for image in sample_images())
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>ModelArts image cards</title></head>'
        f'<body style="margin:0;padding:16px;background:{background};color:{colour};'
        "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;font-size:14px\">"
        f'<div id="cards" style="width:780px">{cards}</div></body></html>'
    )


def main() -> None:
    """Write the pages next to the PNGs and screenshot them in headless Chromium."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--html-only", action="store_true", help="write the HTML pages, no screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = {theme: page(theme) for theme in THEMES}
    if args.html_only:
        for theme, text in pages.items():
            (args.out / f"card-states-{theme}.html").write_text(text)
        return

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            tab = browser.new_page(viewport={"width": 812, "height": 600}, device_scale_factor=1.5)
            for theme, text in pages.items():
                tab.set_content(text)
                target = args.out / ("card-states.png" if theme == "light" else "card-states-dark.png")
                tab.locator("body").screenshot(path=str(target))
                print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
