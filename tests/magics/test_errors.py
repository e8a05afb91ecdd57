"""Each user mistake is one line naming the field and the fix, raised before anything is sent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))
from bad_inputs import CASES

GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


def _nothing_sent(emulator) -> bool:
    seen = emulator.requests_seen
    return not any(seen.get(route, 0) for route in ("register", "show", "list", "delete"))


def _one_line(run) -> str:
    assert run.error is not None, f"no error; returned {run.result!r}"
    message = str(run.error)
    assert message and "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"swr_path: {GOOD}\ndescription: a: b\n", ["line 2", "description: a: b"]),
        (f"swr_path: {GOOD}\nservices: [NOTEBOOK, SSH\n", ["line 3", "YAML"]),
        ('{"swr_path": "' + GOOD + '",,}', ["JSON", "line 1"]),
        (f"swr_path: {GOOD}\nswr_path: {GOOD}\n", ["swr_path", "twice", "line 2"]),
    ],
)
def test_bad_yaml_or_json_names_the_line(cell, emulator_env, body, expected):
    message = _one_line(cell("", body))
    for part in expected:
        assert part in message
    assert _nothing_sent(emulator_env)


def test_unknown_field_suggests_the_right_one(cell, emulator_env):
    message = _one_line(cell("", f"swr_path: {GOOD}\nvisibilty: PUBLIC\n"))
    assert message.startswith("visibilty:") and "did you mean 'visibility'" in message
    assert _nothing_sent(emulator_env)


def test_bad_enum_lists_the_allowed_values(cell, emulator_env):
    message = _one_line(cell("", f"swr_path: {GOOD}\narch: arm64\n"))
    assert message.startswith("arch:") and "X86_64" in message and "AARCH64" in message
    message = _one_line(cell("", f"swr_path: {GOOD}\nservices: [NOTEBOOK, VNC]\n"))
    assert message.startswith("services:") and "'VNC'" in message and "NOTEBOOK, SSH" in message
    assert _nothing_sent(emulator_env)


def test_description_too_long_gives_its_length(cell, emulator_env):
    message = _one_line(cell("", f"swr_path: {GOOD}\ndescription: {'x' * 600}\n"))
    assert message.startswith("description:") and "600" in message and "512" in message
    assert _nothing_sent(emulator_env)


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("swr.eu-de.otc.t-systems.com/my-team/pytorch", "tag"),
        ("https://swr.eu-de.otc.t-systems.com/my-team/pytorch:1", "https://"),
        ("swr.eu-de.otc.t-systems.com/My-Team/pytorch:1", "my-team"),
    ],
)
def test_malformed_swr_path(cell, line, emulator_env, path, hint):
    message = _one_line(cell("", f"swr_path: {path}\n"))
    assert message.startswith("swr_path:") and hint in message
    message = _one_line(line("register_image", path))
    assert "option SWR_PATH" in message and hint in message
    assert _nothing_sent(emulator_env)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("--bogus", "--bogus"),
        ("--dryrun", "did you mean --dry-run"),
        ("--wait abc", "'abc' is not a number"),
        ("-o", "expected one argument"),
        ("-o 1abc", "not a Python variable name"),
        ("--endpoint", "expected one argument"),
        ("--endpoint ftp://modelarts.example.com", "not a URL"),
        ("'unterminated", "No closing quotation"),
    ],
)
def test_bad_option_lines_are_one_line_not_argparse_exits(cell, emulator_env, options, expected):
    message = _one_line(cell(options, f"swr_path: {GOOD}\n"))
    assert "option" in message and expected in message
    assert _nothing_sent(emulator_env)


def test_a_field_given_twice_is_refused(cell, emulator_env):
    message = _one_line(cell("--arch AARCH64", f"swr_path: {GOOD}\narch: X86_64\n"))
    assert "--arch" in message and "once" in message


def test_field_option_errors_name_the_option(line, emulator_env):
    message = _one_line(line("register_image", f"{GOOD} --visibility internal"))
    assert message.startswith("option --visibility 'internal'") and "PRIVATE, PUBLIC" in message


def test_help_prints_usage_and_is_not_an_error(line, emulator_env):
    run = line("register_image", "-h")
    assert run.error is None and "--dry-run" in run.stdout and "--resource-category" in run.stdout
    assert "CPU,GPU" in run.stdout  # the choices come from the models' field rules


def test_service_error_shows_code_message_and_request_id(cell, emulator_env):
    body = f"swr_path: {GOOD}\n"
    assert cell("", body).error is None
    message = _one_line(cell("", body))  # the same name:tag again
    assert "ModelArts.2884" in message and "request id" in message


def test_missing_settings_name_option_trait_and_variable(cell):
    message = _one_line(cell("", f"swr_path: {GOOD}\n"))
    assert "--endpoint" in message
    assert "%config RegisterImageMagics.endpoint" in message
    assert "MODELARTS_ENDPOINT" in message


def test_usage_error_shows_one_line_without_traceback_in_a_cell(ip, emulator_env, capsys):
    result = ip.run_cell(f"%%register_image\nswr_path: {GOOD}\narch: arm\n")
    assert result.error_in_exec is not None
    captured = capsys.readouterr()
    shown = [row for row in (captured.out + captured.err).splitlines() if row.strip()]
    assert len(shown) == 1 and shown[0].startswith("UsageError: arch:")


@pytest.mark.parametrize(
    ("case_id", "line", "cell_body", "namespace", "field"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input_corpus(ip, emulator_env, case_id, line, cell_body, namespace, field):
    ip.user_ns.update(namespace)
    try:
        if cell_body is None:
            call = lambda: ip.run_line_magic("register_image", line)  # noqa: E731
        else:
            call = lambda: ip.run_cell_magic("register_image", line, cell_body)  # noqa: E731
        from IPython.core.error import UsageError

        try:
            call()
        except UsageError as err:
            message = str(err)
            assert message and "\n" not in message
            assert field in message, message
        else:
            assert field == "", "accepted a bad input"
            return
        assert _nothing_sent(emulator_env)
    finally:
        for name in namespace:
            ip.user_ns.pop(name, None)
