"""The main job, end to end on the embedded emulator: run the quick-start notebook and show its Image.

`modelarts-magic demo` executes `notebooks/01-quickstart.ipynb` in a real kernel (the notebook
starts the embedded emulator itself with `%modelarts emulator`), saves the executed notebook and
an HTML copy, and prints the Image the notebook registered. Nothing here talks to the real cloud.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

IMAGE_MIME = "application/vnd.modelarts.image+json"


def find_notebook(name: str = "01-quickstart.ipynb") -> Path | None:
    """The tutorial notebook, looked for in the working directory and beside the package's checkout."""
    candidates = [Path.cwd() / "notebooks" / name, Path(__file__).resolve().parents[1] / "notebooks" / name]
    return next((path for path in candidates if path.is_file()), None)


def registered_images(notebook: Any) -> list[dict[str, Any]]:
    """Every Image the executed notebook displayed, in order (from our MIME type's outputs)."""
    images = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if IMAGE_MIME in data:
                payload = data[IMAGE_MIME]
                images.append(json.loads(payload) if isinstance(payload, str) else payload)
    return images


def run_demo(notebook_path: Path | None = None, out_dir: Path = Path("out"), timeout: int = 300) -> int:
    """Execute the quick-start notebook, write the executed copy and HTML, print the Image; exit status."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from nbconvert import HTMLExporter
    except ImportError as error:
        # A plain `pip install modelarts-magic` has neither these (the `test` extra) nor the notebooks.
        print(
            f"modelarts-magic demo: {error.name or 'a notebook runner'} is not installed; the demo runs "
            "from a checkout of the repository: ./scripts/demo (or pip install 'modelarts-magic[test]' "
            "and give --notebook PATH/01-quickstart.ipynb)."
        )
        return 2

    from .models import Image

    path = notebook_path or find_notebook()
    if path is None or not path.is_file():
        wanted = notebook_path or Path("notebooks/01-quickstart.ipynb")
        print(f"modelarts-magic demo: {wanted} not found; run it in the repository or give --notebook.")
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    html = executed.with_suffix(".html")

    print(f"Running {path} in a fresh kernel against the embedded ModelArts emulator (not the real cloud)…")
    started = time.perf_counter()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        # The kernel's own stderr is start-up noise (e.g. jupyter_client's TCP warning); cell
        # output and errors come through the messaging protocol, not through it.
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as error:
        nbformat.write(notebook, executed)
        print(f"A cell failed; the partly executed notebook is in {executed}\n{str(error).splitlines()[-1]}")
        return 1
    nbformat.write(notebook, executed)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    html.write_text(body, encoding="utf-8")
    seconds = time.perf_counter() - started

    images = registered_images(notebook)
    if not images:
        print(f"The notebook ran ({seconds:.1f} s) but displayed no Image; see {executed}")
        return 1
    image = Image.model_validate(images[-1])
    rule = "─" * 72
    print(rule)
    print(f"Registered on the emulator in {seconds:.1f} s (the notebook shows {len(images)} Image displays):")
    print(image._repr_mimebundle_(include=["text/plain"])["text/plain"])
    print(rule)
    print(f"Executed notebook: {executed.resolve()}")
    print(f"HTML copy:         {html.resolve()}")
    venv_jupyter = Path(sys.executable).with_name("jupyter")
    print(f"Open it in JupyterLab: {venv_jupyter} lab {executed.resolve()}")
    return 0
