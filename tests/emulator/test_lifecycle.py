"""Images move INIT -> CREATING -> ACTIVE by elapsed time; some SWR images fail or never finish."""

from __future__ import annotations

import time

import httpx
from emulator_http import MY_TEAM_PATH, images_path, signed_client

from modelarts_magic.emulator import Emulator


def status_of(api: httpx.Client, image_id: str) -> dict[str, object]:
    return api.get(f"{images_path()}/{image_id}").json()


def test_status_moves_from_init_through_creating_to_active(emulator: Emulator) -> None:
    with signed_client(emulator.url) as api:
        image = api.post(images_path(), json={"swr_path": MY_TEAM_PATH}).json()
        start = time.monotonic()
        assert image["status"] == "INIT"
        seen = [image["status"]]
        while time.monotonic() - start < 3:
            current = status_of(api, image["id"])
            if current["status"] != seen[-1]:
                seen.append(current["status"])
            if current["status"] == "ACTIVE":
                break
            time.sleep(0.02)
    assert seen == ["INIT", "CREATING", "ACTIVE"]
    assert 0.45 <= time.monotonic() - start < 2.5
    assert current["update_at"] == image["create_at"] + 500  # 0.2 s INIT + 0.3 s CREATING
    assert "status_message" not in current


def test_zero_delays_answer_active_at_once(fast_emulator: Emulator) -> None:
    with signed_client(fast_emulator.url) as api:
        assert api.post(images_path(), json={"swr_path": MY_TEAM_PATH}).json()["status"] == "ACTIVE"


def test_broken_image_ends_in_create_failed_with_a_reason(fast_emulator: Emulator) -> None:
    with signed_client(fast_emulator.url) as api:
        image = api.post(
            images_path(), json={"swr_path": "swr.eu-de.otc.t-systems.com/my-team/broken-cuda:1.0"}
        )
        shown = status_of(api, image.json()["id"])
    assert image.status_code == 200
    assert shown["status"] == "CREATE_FAILED"
    assert "libcuda" in str(shown["status_message"])


def test_slow_build_stays_creating(fast_emulator: Emulator) -> None:
    with signed_client(fast_emulator.url) as api:
        image = api.post(
            images_path(), json={"swr_path": "swr.eu-de.otc.t-systems.com/my-team/slow-build:1.0"}
        )
        time.sleep(0.1)
        assert status_of(api, image.json()["id"])["status"] == "CREATING"


def test_lifecycle_delays_are_configurable_per_swr_image(fast_emulator: Emulator) -> None:
    fast_emulator.store.add_swr_image(
        "my-team", "custom", "1", 10**9, fails_with="bad layer", creating_seconds=0.2
    )
    with signed_client(fast_emulator.url) as api:
        image = api.post(
            images_path(), json={"swr_path": "swr.eu-de.otc.t-systems.com/my-team/custom:1"}
        ).json()
        assert image["status"] == "CREATING"
        time.sleep(0.25)
        final = status_of(api, image["id"])
    assert (final["status"], final["status_message"]) == ("CREATE_FAILED", "bad layer")
