"""The main job: `modelarts-magic demo` runs the quick start on the emulator and shows the Image."""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_runs_the_quickstart_and_shows_the_registered_image(tmp_path):
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "modelarts_magic.cli", "demo", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "not the real cloud" in run.stdout
    assert "[ACTIVE]" in run.stdout and "NOTEBOOK (open JupyterLab over HTTPS)" in run.stdout
    executed = out / "01-quickstart.ipynb"
    assert f"Executed notebook: {executed}" in run.stdout
    assert (out / "01-quickstart.html").read_text().count("modelarts") > 0
    notebook = json.loads(executed.read_text())
    errors = [o for c in notebook["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    assert "Traceback" not in run.stderr


def test_demo_says_what_to_do_without_the_notebook(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "modelarts_magic.cli", "demo", "--notebook", str(tmp_path / "missing.ipynb")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert "not found" in run.stdout and run.stdout.count("\n") == 1


def test_demo_without_the_notebook_runner_says_what_to_install_in_one_line(tmp_path):
    # What a plain `pip install modelarts-magic` leaves out (the `test` extra): nbclient cannot be imported.
    blocked = (
        "import sys; sys.modules['nbclient'] = None; "
        "from modelarts_magic.cli import main; sys.exit(main(['demo']))"
    )
    run = subprocess.run(
        [sys.executable, "-c", blocked], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout.count("\n") == 1
    assert "nbclient is not installed" in run.stdout and "./scripts/demo" in run.stdout
    assert "modelarts-magic[test]" in run.stdout
