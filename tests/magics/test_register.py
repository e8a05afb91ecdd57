"""`%%register_image` / `%register_image` against the emulator over loopback, as a notebook user sees it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelarts_magic.models import Image

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "examples" / "register-request.json"
SEED_BODY = json.loads(SEED.read_text()) if SEED.exists() else None
GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


@pytest.fixture
def seed_body() -> dict:
    if SEED_BODY is None:
        pytest.skip("the shared seed fixture is not on this machine")
    return SEED_BODY


def test_seed_example_registers_and_returns_the_image(cell, emulator_env, seed_body):
    run = cell("", json.dumps(seed_body, indent=1))
    assert run.error is None
    image = run.result
    assert isinstance(image, Image)
    assert image.swr_path == seed_body["swr_path"]
    assert image.name == "pytorch_1_8"
    assert [str(c) for c in image.resource_categories] == ["CPU"]
    assert [i["id"] for i in emulator_env.store.images()] == [image.id]


def test_seed_example_as_yaml_sends_the_same_body(cell, emulator_env, seed_body):
    body = "\n".join(f"{key}: {json.dumps(value)}" for key, value in seed_body.items())
    run = cell("--dry-run", body)
    assert run.error is None
    assert _shown_body(run) == seed_body


def _shown_body(run) -> dict:
    text = run.texts[-1]
    return json.loads(text[text.index("\n{") :])


def test_dry_run_shows_the_documented_request_and_sends_nothing(cell, emulator_env, seed_body, demo):
    run = cell("--dry-run", json.dumps(seed_body))
    assert run.error is None and run.result is None
    text = run.texts[-1]
    assert "nothing was sent" in text
    assert f"POST {emulator_env.url}/v1/{demo.project_id}/images" in text
    assert _shown_body(run) == seed_body
    assert "SDK-HMAC-SHA256 Access=" in text and "Signature=****" in text
    assert demo.sk not in "\n".join(run.texts + run.htmls)
    assert emulator_env.requests_seen.get("register", 0) == 0
    assert emulator_env.store.images() == []


def test_dry_run_with_out_stores_the_request_description(cell, ip, emulator_env, seed_body):
    cell("--dry-run -o described", json.dumps(seed_body))
    described = ip.user_ns["described"]
    assert described["method"] == "POST" and described["body"] == seed_body


def test_wait_reaches_active_with_progress_updated_in_place(cell, ip, emulator_env):
    run = cell("--wait -o img", f"swr_path: {GOOD}\nresource_category: GPU\nservices: [NOTEBOOK, SSH]\n")
    assert run.error is None
    assert run.result.status == "ACTIVE"
    assert ip.user_ns["img"].status == "ACTIVE"
    progress = [t for t in run.texts if "pytorch_2_3:cuda12" in t]
    assert progress[0].startswith("Waiting for pytorch_2_3:cuda12")
    assert "ACTIVE after" in progress[-1]
    assert any("CREATING" in t for t in progress)


def test_wait_reports_create_failed_with_its_status_message(cell, ip, emulator_env):
    run = cell("--wait 30 -o img", "swr_path: swr.eu-de.otc.t-systems.com/my-team/broken-cuda:1.0\n")
    assert run.error is not None
    message = str(run.error)
    assert "\n" not in message
    assert "CREATE_FAILED" in message and "libcuda.so.1" in message
    assert ip.user_ns["img"].status == "CREATE_FAILED"  # the failed image is kept for inspection


def test_wait_past_its_limit_says_how_to_keep_waiting(cell, emulator_env):
    run = cell("--wait 0.5", "swr_path: swr.eu-de.otc.t-systems.com/my-team/slow-build:1.0\n")
    assert run.error is not None
    assert "%modelarts wait" in str(run.error) and "\n" not in str(run.error)


def test_out_stores_the_image_in_the_namespace(cell, ip, emulator_env):
    run = cell("-o img", f"swr_path: {GOOD}\n")
    assert ip.user_ns["img"] is run.result


def test_line_form_with_field_options(line, emulator_env):
    run = line(
        "register_image",
        f"{GOOD} --arch aarch64 --resource-category CPU,GPU --services NOTEBOOK "
        "--visibility PUBLIC --description 'two words'",
    )
    assert run.error is None
    image = run.result
    assert image.arch == "AARCH64"
    assert [str(c) for c in image.resource_categories] == ["CPU", "GPU"]
    assert [str(s) for s in image.dev_services] == ["NOTEBOOK"]
    assert image.visibility == "PUBLIC" and image.description == "two words"


def test_workspace_from_the_context_goes_into_the_request(cell, emulator_env, monkeypatch):
    monkeypatch.setenv("MODELARTS_WORKSPACE_ID", "ws-team-a")
    run = cell("--dry-run", f"swr_path: {GOOD}\n")
    assert _shown_body(run)["workspace_id"] == "ws-team-a"
    run = cell("--dry-run --workspace-id ws-b", f"swr_path: {GOOD}\n")
    assert _shown_body(run)["workspace_id"] == "ws-b"


# --- placeholders ---------------------------------------------------------------------------------


def test_placeholders_fill_values_and_keep_python_types(cell, ip, emulator_env):
    ip.user_ns.update(cats=["CPU", "GPU"], cfg={"team": "my-team", "tags": {"v": "cuda12"}})
    body = (
        "swr_path: swr.eu-de.otc.t-systems.com/{{ cfg['team'] }}/pytorch_2_3:{{ cfg['tags']['v'] }}\n"
        "resource_category: {{ cats }}\n"
    )
    run = cell("--dry-run", body)
    assert run.error is None
    assert _shown_body(run) == {"swr_path": GOOD, "resource_category": ["CPU", "GPU"]}


@pytest.mark.parametrize(
    "evil",
    [
        "x\nvisibility: PUBLIC",
        "x: y",
        '", "visibility": "PUBLIC',
        "{{ cats }}",
        "# not a comment",
        "'; rm -rf /",
    ],
)
def test_placeholder_values_stay_data(cell, ip, emulator_env, evil):
    ip.user_ns.update(evil=evil, cats=["GPU"])
    run = cell("", f"swr_path: {GOOD}\ndescription: {{{{ evil }}}}\n")
    assert run.error is None
    assert run.result.description == evil
    assert run.result.visibility == "PRIVATE"
    (stored,) = emulator_env.store.images()
    assert stored["description"] == evil and stored["visibility"] == "PRIVATE"


def test_placeholders_work_in_json_bodies_and_option_values(cell, ip, emulator_env):
    ip.user_ns["base"] = "PyTorch 2.3"
    run = cell("--dry-run --description '{{ base }} + CUDA'", json.dumps({"swr_path": GOOD}))
    assert _shown_body(run) == {"swr_path": GOOD, "description": "PyTorch 2.3 + CUDA"}


def test_unknown_placeholder_name_is_one_line_naming_it(cell, emulator_env):
    run = cell("", f"swr_path: {GOOD}\ndescription: built from {{{{ no_such_var }}}}\n")
    assert run.error is not None
    message = str(run.error)
    assert "no_such_var" in message and "description" in message and "\n" not in message
    assert emulator_env.requests_seen.get("register", 0) == 0


def test_placeholders_cannot_evaluate_code(cell, ip, emulator_env):
    ip.user_ns["cfg"] = {"a": 1}
    for expression in ("cfg.__class__", "__import__('os')", "cfg.get('a')", "1 + 1"):
        run = cell("", f"swr_path: {GOOD}\ndescription: '{{{{ {expression} }}}}'\n")
        assert run.error is not None, expression
        assert "\n" not in str(run.error)
    assert emulator_env.requests_seen.get("register", 0) == 0
