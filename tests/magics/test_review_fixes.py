"""Defects a reviewer met using the magics: each is a one-line error or the documented behaviour now."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from modelarts_magic.context import resolve_context
from modelarts_magic.exceptions import ConfigurationError

GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"
SLOW = "swr.eu-de.otc.t-systems.com/my-team/slow-build:1.0"


def _register(cell, body: str = f"swr_path: {GOOD}\n"):
    run = cell("", body)
    assert run.error is None, run.error
    return run.result


def _one_line(run) -> str:
    assert run.error is not None, run.text
    message = str(run.error)
    assert "\n" not in message
    return message


# --- 2 / 16: the form and a bad body ---------------------------------------------------------------


def test_form_with_an_unknown_field_is_one_line_naming_it(cell, emulator_env):
    message = _one_line(cell("--form", f"swr_path: {GOOD}\nresource_categroy: gpu\n"))
    assert "resource_categroy" in message and "resource_category" in message
    assert sum(emulator_env.requests_seen.values()) == 0


def test_form_keeps_register_disabled_while_a_given_value_is_not_allowed(cell, ip, emulator_env):
    run = cell("--form -o form", f"swr_path: {GOOD}\nresource_category: tpu\n")
    assert run.error is None
    form = ip.user_ns.pop("form")
    assert "resource_category" in form.errors and "'tpu'" in form.errors["resource_category"]
    assert form.register_button.disabled and form.dry_run_button.disabled
    assert "⚠" in form.notes["resource_category"].value
    assert form.validate() is None
    form.fields["resource_category"].value = ("GPU",)
    assert form.errors == {} and not form.register_button.disabled


# --- 3: %config traits in seconds ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["poll_interval", "timeout", "wait_timeout"])
@pytest.mark.parametrize("value", ["-1", "0"])
def test_config_refuses_a_non_positive_number_of_seconds(ip, magics, caplog, name, value):
    before = getattr(magics, name)
    ip.run_line_magic("config", f"RegisterImageMagics.{name} = {value}")  # %config logs what it refused
    assert len(caplog.records) == 1, caplog.records
    text = caplog.records[0].getMessage()
    assert "\n" not in text and caplog.records[0].exc_info is None
    assert f"RegisterImageMagics.{name}" in text and "positive number of seconds" in text
    assert getattr(magics, name) == before


def test_config_poll_interval_is_used_and_shown(ip, line, magics, emulator_env):
    ip.run_line_magic("config", "RegisterImageMagics.poll_interval = 0.25")
    rows = line("modelarts", "context").texts[0]
    assert re.search(r"poll_interval +0\.25 +%config RegisterImageMagics\.poll_interval", rows), rows


# --- 4 / 7 / 10: %modelarts wait, show, delete -----------------------------------------------------


def test_wait_stores_out_even_when_the_image_is_already_active(line, cell, ip, emulator_env):
    image = _register(cell)
    assert line("modelarts", f"wait {image.id} --timeout 30").result.status == "ACTIVE"
    run = line("modelarts", f"wait {image.id} -o img")
    assert run.error is None and ip.user_ns["img"].id == image.id
    assert ip.user_ns["img"].status == "ACTIVE"


def test_wait_on_a_deleted_image_is_a_failure(line, cell, ip, emulator_env, monkeypatch):
    image = _register(cell)
    store = emulator_env.store
    original = store.get
    monkeypatch.setattr(store, "get", lambda image_id: {**original(image_id), "status": "DELETED"})
    message = _one_line(line("modelarts", f"wait {image.id} -o img"))
    assert "DELETED" in message and image.id in message and "register it again" in message
    assert ip.user_ns["img"].status == "DELETED"


def test_wait_on_a_failed_image_is_a_failure_without_waiting(line, cell, emulator_env):
    broken = cell("--wait 30", "swr_path: swr.eu-de.otc.t-systems.com/my-team/broken-cuda:1.0\n")
    assert broken.error is not None
    image_id = emulator_env.store.images()[0]["id"]
    message = _one_line(line("modelarts", f"wait {image_id}"))
    assert "CREATE_FAILED" in message and "libcuda.so.1" in message


def test_wait_timeout_names_the_option_of_the_command(line, cell, emulator_env):
    registered = _one_line(cell("--wait 0.3", f"swr_path: {SLOW}\n"))
    assert "raise the limit with --wait SECONDS" in registered and "get_image" not in registered
    image_id = emulator_env.store.images()[0]["id"]
    message = _one_line(line("modelarts", f"wait {image_id} --timeout 0.3"))
    assert "raise the limit with --timeout SECONDS" in message and "--wait" not in message
    assert "get_image" not in message and "timeout=" not in message


def test_show_wait_delete_accept_an_image_object(line, cell, ip, emulator_env):
    image = _register(cell)
    ip.user_ns["img"] = image
    assert line("modelarts", "show {{ img }}").result.id == image.id
    assert line("modelarts", "wait {{ img }} --timeout 30").result.status == "ACTIVE"
    assert line("modelarts", "delete {{ img }}").error is None
    assert emulator_env.store.images() == []
    ip.user_ns["img"] = {"id": image.id, "secret_looking": "x" * 200}
    message = _one_line(line("modelarts", "show {{ img }}"))
    assert message.startswith("ID: a dict is not an image ID") and "x" * 20 not in message


# --- 5 / 14: the line form's option line -----------------------------------------------------------


def test_line_form_takes_a_placeholder_before_wait(line, ip, emulator_env):
    ip.user_ns["path"] = GOOD
    try:
        run = line("register_image", "{{ path }} --wait 30 -o img")
    finally:
        ip.user_ns.pop("path")
    assert run.error is None, run.error
    assert ip.user_ns["img"].status == "ACTIVE" and ip.user_ns["img"].swr_path == GOOD


def test_a_path_after_wait_says_to_put_it_first(line, emulator_env):
    message = _one_line(line("register_image", f"--wait {GOOD}"))
    assert "put SWR_PATH before --wait, or give --wait a number of seconds" in message


# --- 6 / 16b: the emulator ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options", ["--region eu-de", "--endpoint https://modelarts.eu-de.otc.t-systems.com"]
)
def test_emulator_credentials_never_go_to_another_endpoint(line, cell, magics, options):
    line("modelarts", "emulator")
    message = _one_line(line("register_image", f"{GOOD} --dry-run {options}"))
    assert "%modelarts emulator --stop" in message and "demo credentials" in message
    assert _one_line(line("modelarts", f"images {options}")).startswith("endpoint ")
    note = line("modelarts", f"context {options}").texts[0]
    assert "Not ready: endpoint 'https://modelarts.eu-de.otc.t-systems.com'" in note
    assert line("modelarts", "images").error is None  # the emulator itself still works


def test_emulator_stop_when_none_runs_says_so(line):
    text = line("modelarts", "emulator --stop").text
    assert "No local emulator was running" in text and "Stopped" not in text


# --- 9 / 12: configuration problems ------------------------------------------------------------------


def test_a_missing_clouds_yaml_file_names_os_client_config_file(tmp_path: Path):
    env = {"OS_CLIENT_CONFIG_FILE": "/nonexistent/clouds.yaml"}
    with pytest.raises(ConfigurationError) as caught:
        resolve_context({}, {}, env, tmp_path, tmp_path)
    message = str(caught.value)
    assert "does not exist" in message and "unset OS_CLIENT_CONFIG_FILE" in message
    assert "OS_CLOUD" not in message
    assert resolve_context({}, {}, {"OS_CLIENT_CONFIG_FILE": os.devnull}, tmp_path, tmp_path).problem is None


def test_context_shows_the_table_with_the_problem_of_a_bad_setting(ip, line, emulator_env):
    ip.run_line_magic("config", "RegisterImageMagics.region = 'Not A Region'")
    run = line("modelarts", "context")
    assert run.error is None
    text = run.texts[0]
    assert "Not ready: region 'Not A Region'" in text and "%config RegisterImageMagics.region" in text
    assert "poll_interval" in text and "wait_timeout" in text
    bad_url = line("modelarts", "context --endpoint not-a-url").texts[0]
    assert "Not ready: endpoint 'not-a-url'" in bad_url


def test_context_shows_os_cloud_and_where_it_came_from(line, monkeypatch, tmp_path):
    (tmp_path / "clouds.yaml").write_text("clouds:\n  otc:\n    region_name: eu-nl\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "clouds.yaml"))
    monkeypatch.setenv("OS_CLOUD", "otc")
    text = line("modelarts", "context").texts[0]
    assert "os_cloud" in text and "env OS_CLOUD" in text and "eu-nl" in text


# --- 13: what -o stores with the form -------------------------------------------------------------


def test_form_help_says_out_stores_the_form(line):
    assert "store the form as NAME; NAME.image holds the Image" in " ".join(
        line("register_image_form", "-h").text.split()
    )
    assert "with --form: the form" in " ".join(line("register_image", "-h").text.split())
