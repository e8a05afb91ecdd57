"""The state file: kept inside its folder, and images (and tokens) survive a restart on the same port."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from emulator_http import MY_TEAM_PATH, error_of, get_token, images_path, signed_client

from modelarts_magic.emulator import Emulator
from modelarts_magic.exceptions import ConfigurationError


@pytest.mark.parametrize("name", ["../escape.json", "sub/../../escape.json", "/tmp/escape.json", "~/x.json"])
def test_state_file_outside_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    with pytest.raises(ConfigurationError, match="state_file") as caught:
        Emulator(state_dir=folder, state_file=name)
    assert "inside" in str(caught.value) and "\n" not in str(caught.value)
    assert not (tmp_path / "escape.json").exists()


def test_symlink_leading_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    outside = tmp_path / "outside.json"
    (folder / "state.json").symlink_to(outside)
    with pytest.raises(ConfigurationError, match="outside the state folder"):
        Emulator(state_dir=folder, state_file="state.json")
    assert not outside.exists()


def test_state_file_in_a_subfolder_is_fine(tmp_path: Path) -> None:
    with Emulator(
        state_dir=tmp_path, state_file="nested/state.json", init_seconds=0, creating_seconds=0
    ) as emu:
        with signed_client(emu.url) as api:
            assert api.post(images_path(), json={"swr_path": MY_TEAM_PATH}).status_code == 200
    saved = json.loads((tmp_path / "nested" / "state.json").read_text())
    assert [image["name"] for image in saved["images"]] == ["pytorch_2_3"]


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        Emulator(state_dir=tmp_path, state_file="state.json")


def test_restart_keeps_images_tokens_and_port(tmp_path: Path) -> None:
    settings = {"state_dir": tmp_path, "state_file": "emu.json", "init_seconds": 0, "creating_seconds": 0}
    first = Emulator(**settings).start()
    port = first.port
    with signed_client(first.url) as api:
        image = api.post(images_path(), json={"swr_path": MY_TEAM_PATH}).json()
    first.store.add_swr_image("late-team", "tool", "1", 1000)
    token = get_token(first.url)
    first.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_emulator/health")

    with Emulator(port=port, **settings) as second:
        assert second.url == f"http://127.0.0.1:{port}"
        with signed_client(second.url) as api:
            shown = api.get(f"{images_path()}/{image['id']}")
            assert shown.status_code == 200 and shown.json()["status"] == "ACTIVE"
            assert error_of(api.post(images_path(), json={"swr_path": MY_TEAM_PATH})) == (
                400,
                "ModelArts.2884",
            )
            assert api.post(images_path(), json={"swr_path": "swr.x.com/late-team/tool:1"}).status_code == 200
        headers = {"X-Auth-Token": token}
        assert httpx.get(second.url + images_path(), headers=headers).status_code == 200
        second.expire_tokens()

    with Emulator(port=port, **settings) as third:
        assert len(third.store.images()) == 2
        assert error_of(httpx.get(third.url + images_path(), headers=headers)) == (401, "ModelArts.0202")


def test_without_a_state_file_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    with Emulator(init_seconds=0, creating_seconds=0) as emu, signed_client(emu.url) as api:
        api.post(images_path(), json={"swr_path": MY_TEAM_PATH})
    assert list(work.iterdir()) == []


def test_swr_catalogue_file_extends_the_seed(tmp_path: Path) -> None:
    catalogue = tmp_path / "swr.yaml"
    catalogue.write_text(
        "images:\n"
        "  - {namespace: data-team, name: spark, tag: '3.5', size_bytes: 4000000000}\n"
        "  - {namespace: data-team, name: flaky, tag: '1', fails_with: 'no shell in image'}\n"
    )
    with (
        Emulator(swr_catalogue=catalogue, init_seconds=0, creating_seconds=0) as emu,
        signed_client(emu.url) as api,
    ):
        spark = api.post(images_path(), json={"swr_path": "swr.x.com/data-team/spark:3.5"}).json()
        flaky = api.post(images_path(), json={"swr_path": "swr.x.com/data-team/flaky:1"}).json()
        seed = api.post(images_path(), json={"swr_path": MY_TEAM_PATH})
    assert spark["size"] == 4000000000
    assert (flaky["status"], flaky["status_message"]) == ("CREATE_FAILED", "no shell in image")
    assert seed.status_code == 200


def test_bad_swr_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "swr.json"
    bad.write_text('[{"namespace": "a", "name": "b"}]')
    with pytest.raises(ValueError, match="lacks tag"):
        Emulator(swr_catalogue=bad)
    with pytest.raises(ValueError, match="cannot read"):
        Emulator(swr_catalogue=tmp_path / "missing.json")
