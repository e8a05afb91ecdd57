"""The package root: cheap to import, and its public names are honest."""

import subprocess
import sys

import modelarts_magic


def test_import_pulls_in_no_heavy_dependency():
    code = (
        "import sys, modelarts_magic;"
        "heavy = [m for m in ('httpx', 'pydantic', 'ipywidgets', 'yaml', 'starlette', 'uvicorn',"
        " 'modelarts_magic.emulator') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_public_name_resolves():
    for name in modelarts_magic.__all__:
        assert getattr(modelarts_magic, name) is not None, name


def test_labextension_path_points_at_the_shipped_build():
    assert modelarts_magic._jupyter_labextension_paths() == [
        {"src": "labextension", "dest": "modelarts-magic"}
    ]
