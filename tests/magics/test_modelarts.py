"""`%modelarts` subcommands, secrets never shown, and a cheap `%load_ext`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelarts_magic.magics import ImageList
from modelarts_magic.models import Image

GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"
REPO = Path(__file__).resolve().parents[2]
AK = "HPUAXQ7EXAMPLEAK12345"
SK = "Zk3vR9pQ2wX8mN4bT6yH1jL5cF7gD0sA2eK9uV3i"
PASSWORD = "correct-horse-battery-staple-42"


def _register(cell, body: str = f"swr_path: {GOOD}\n") -> Image:
    run = cell("", body)
    assert run.error is None, run.error
    return run.result


def test_context_shows_every_setting_and_its_source(line, emulator_env):
    run = line("modelarts", "")
    assert run.error is None
    text = run.texts[0]
    assert "env MODELARTS_ENDPOINT" in text and emulator_env.url in text
    assert "sk" in text and "****" in text and emulator_env.settings.sk not in text
    assert "AK/SK signing" in text
    assert run.htmls and "<table>" in run.htmls[0]
    assert line("modelarts", "context --region eu-nl").texts[0].count("option --region") == 1


def test_context_says_what_is_missing(line):
    run = line("modelarts", "context")
    assert run.error is None and "Not ready: endpoint is not set" in run.texts[0]


def test_images_lists_a_table(line, cell, ip, emulator_env):
    image = _register(cell)
    run = line("modelarts", "images --namespace my-team -o imgs")
    assert isinstance(run.result, ImageList) and [i.id for i in run.result] == [image.id]
    assert ip.user_ns["imgs"] is run.result
    bundle = run.result._repr_mimebundle_()
    assert "pytorch_2_3:cuda12" in bundle["text/plain"] and "<table" in bundle["text/html"]
    assert len(line("modelarts", "images --limit 1").result) == 1
    message = str(line("modelarts", "images --type bogus").error)
    assert message.startswith("type:") and "BUILD_IN" in message


def test_show_and_wait(line, cell, emulator_env):
    image = _register(cell)
    shown = line("modelarts", f"show {image.id}").result
    assert shown.id == image.id
    waited = line("modelarts", f"wait {image.id} --timeout 30")
    assert waited.error is None and waited.result.status == "ACTIVE"
    missing = line("modelarts", "show 00000000-0000-0000-0000-000000000000")
    assert "ModelArts.6404" in str(missing.error) and "\n" not in str(missing.error)


def test_delete_private_and_public(line, cell, emulator_env):
    private = _register(cell)
    run = line("modelarts", f"delete {private.id}")
    assert run.error is None and "Deleted image pytorch_2_3:cuda12" in run.text
    assert emulator_env.store.images() == []

    public = _register(cell, f"swr_path: {GOOD}\nvisibility: PUBLIC\n")
    refused = line("modelarts", f"delete {public.id}")
    assert "PUBLIC" in str(refused.error) and "--yes" in str(refused.error)
    assert [i["id"] for i in emulator_env.store.images()] == [public.id]
    assert line("modelarts", f"delete {public.id} --yes").error is None
    assert emulator_env.store.images() == []


def test_emulator_start_and_stop(line, cell, magics):
    run = line("modelarts", "emulator")
    assert "NOT the real cloud" in run.text
    context = magics.context()
    assert context.is_emulator and context.source("endpoint") == "emulator"
    image = _register(cell)
    assert image.status in ("INIT", "CREATING", "ACTIVE")
    assert "NOT the real cloud" in line("modelarts", "").texts[0]
    line("modelarts", "emulator --stop")
    assert not magics.context().is_emulator


def test_help_and_unknown_commands(line):
    assert "%modelarts delete ID" in line("modelarts", "help").text
    message = str(line("modelarts", "imges").error)
    assert "did you mean images" in message
    assert "bad option" in str(line("modelarts", "show").error)


def test_no_secret_in_any_output(ip, line, cell, emulator, monkeypatch):
    """Real-looking credentials: context, dry-run and error paths never show them."""
    monkeypatch.setenv("MODELARTS_ENDPOINT", emulator.url)
    monkeypatch.setenv("MODELARTS_PROJECT_ID", "0c2e9f4a6b8d4e1f9a3b5c7d9e1f2a3b")
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("OS_PASSWORD", PASSWORD)
    runs = [
        line("modelarts", ""),
        cell("--dry-run", f"swr_path: {GOOD}\n"),
        cell("", f"swr_path: {GOOD}\n"),  # refused by the emulator: wrong AK/SK
        cell("", "swr_path: nope\n"),
        line("modelarts", "images"),
    ]
    assert runs[2].error is not None
    everything = json.dumps([[r.text, r.htmls, str(r.error), repr(r.result)] for r in runs])
    for secret in (SK, PASSWORD, AK):
        assert secret not in everything


def test_load_ext_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "before = set(sys.modules)\n"
        "ip.run_line_magic('load_ext', 'modelarts_magic')\n"
        "assert 'register_image' in ip.magics_manager.magics['cell']\n"
        "assert 'modelarts' in ip.magics_manager.magics['line']\n"
        "print(' '.join(sorted(set(sys.modules) - before)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    heavy = ("httpx", "pydantic", "ipywidgets", "yaml", "modelarts_magic.emulator", "modelarts_magic.client")
    assert [m for m in loaded if m.split(".")[0] in heavy or m.startswith(heavy)] == []
    assert "modelarts_magic.magics" in loaded


@pytest.mark.parametrize(
    ("command", "expected"), [("%register_image -h", "--dry-run"), ("%modelarts help", "%modelarts delete")]
)
def test_extension_loads_from_ipython_config(tmp_path, command, expected):
    profile = tmp_path / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text("c.InteractiveShellApp.extensions = ['modelarts_magic']\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "IPYTHONDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "IPython", "--no-banner", "-c", command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert expected in done.stdout


def test_form_opens_prefilled_from_the_cell(ip, cell, line, emulator_env):
    run = cell("--form -o img", f"swr_path: {GOOD}\narch: aarch64\n")
    assert run.error is None and run.result is None
    form = ip.user_ns["img"]
    assert type(form).__name__ == "RegisterImageForm"
    assert form.values() == {"swr_path": GOOD, "arch": "AARCH64"}
    assert line("register_image_form", "").error is None
    assert emulator_env.store.images() == []


def test_an_image_id_can_come_from_a_python_value(line, cell, ip, emulator_env):
    image = _register(cell)
    ip.user_ns["img"] = image
    assert line("modelarts", "show {{ img.id }}").result.id == image.id
    assert line("modelarts", "wait {{ img.id }} --timeout 30").result.status == "ACTIVE"
    unknown = str(line("modelarts", "show {{ nope.id }}").error)
    assert "nope" in unknown and "\n" not in unknown
    ip.user_ns["n"] = 5
    assert str(line("modelarts", "show {{ n }}").error).startswith("ID: 5 is not an image ID")
    assert line("modelarts", "delete {{ img.id }}").error is None
    assert emulator_env.store.images() == []
