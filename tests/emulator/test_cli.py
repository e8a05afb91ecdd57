"""`modelarts-magic emulator` / `python -m modelarts_magic.emulator` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from emulator_http import MY_TEAM_PATH, images_path, signed_client

from modelarts_magic.cli import main
from modelarts_magic.emulator import DEMO

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "modelarts_magic.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            return process, lines
    process.kill()
    raise AssertionError("the emulator did not start:\n" + "\n".join(lines))


def endpoint(lines: list[str]) -> str:
    first = lines[0]
    assert first.startswith("ModelArts emulator serving on http://127.0.0.1:")
    return first.split()[4]


def test_serves_prints_how_to_use_it_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, lines = start("--init-seconds", "0", "--creating-seconds", "0", "--state-dir", str(tmp_path))
    try:
        url = endpoint(lines)
        text = "\n".join(lines)
        assert f"export MODELARTS_ENDPOINT={url}" in text
        assert f"export HUAWEICLOUD_SDK_AK={DEMO.ak}" in text and DEMO.sk in text  # demo values are public
        assert "demo-password" in text
        with signed_client(url) as api:
            assert api.post(images_path(), json={"swr_path": MY_TEAM_PATH}).json()["status"] == "ACTIVE"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
    assert process.returncode == 0
    assert (tmp_path / "emulator-state.json").exists()


def test_user_supplied_secrets_are_masked() -> None:
    sk = "a-very-real-looking-secret-key-123456789"
    password = "S3cret-Passw0rd!"
    process, lines = start("--ak", "MYACCESSKEY000000001", "--sk", sk, "--password", password)
    try:
        text = "\n".join(lines)
        assert sk not in text and password not in text
        assert "MYACCESSKEY000000001" in text and "<your SK>" in text
        url = endpoint(lines)
        assert httpx.get(f"{url}/_emulator/health").status_code == 200
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode == 0


def test_bad_state_file_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    status = main(["emulator", "--port", "0", "--state-dir", str(tmp_path), "--state-file", "../x.json"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "state_file" in err and "inside" in err


def test_no_command_prints_help(capsys) -> None:
    assert main([]) == 2
    assert "emulator" in capsys.readouterr().out
