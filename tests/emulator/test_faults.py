"""Fault injection: each kind does what a test of the client's resilience needs, and only that."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from emulator_http import MY_TEAM_PATH, SignedAuth, error_of, images_path, signed_client

from modelarts_magic.emulator import Emulator


def register(api: httpx.Client, path: str = MY_TEAM_PATH) -> httpx.Response:
    return api.post(images_path(), json={"swr_path": path})


def test_latency_is_added_to_every_api_request(fast_emulator: Emulator) -> None:
    fast_emulator.faults.latency = 0.1
    with signed_client(fast_emulator.url) as api:
        start = time.perf_counter()
        api.get(images_path())
        assert time.perf_counter() - start >= 0.1
        start = time.perf_counter()
        api.get("/_emulator/health")  # control routes are never slowed
        assert time.perf_counter() - start < 0.1


def test_latency_does_not_serialise_concurrent_requests(fast_emulator: Emulator) -> None:
    fast_emulator.faults.latency = 0.3

    async def main() -> list[int]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=fast_emulator.url, auth=SignedAuth(), limits=limits) as client:
            answers = await asyncio.gather(*(client.get(images_path()) for _ in range(32)))
        return [a.status_code for a in answers]

    start = time.perf_counter()
    statuses = asyncio.run(main())
    assert statuses == [200] * 32
    assert time.perf_counter() - start < 1.5  # 32 x 0.3 s would be 9.6 s if latency blocked


def test_burst_of_503_then_success(fast_emulator: Emulator) -> None:
    fast_emulator.faults.fail_next(2, status=503, retry_after=1)
    with signed_client(fast_emulator.url) as api:
        assert api.get(images_path()).status_code == 200  # only POST by default
        first, second, third = register(api), register(api), register(api)
    assert error_of(first) == (503, "ModelArts.0503") and first.headers["Retry-After"] == "1"
    assert second.status_code == 503
    assert third.status_code == 200
    assert len(fast_emulator.store.images()) == 1  # refused requests committed nothing
    assert fast_emulator.requests_seen["register_injected_error"] == 2


def test_429_carries_retry_after_and_the_gateway_code(fast_emulator: Emulator) -> None:
    fast_emulator.faults.fail_next(1, status=429, retry_after=0.5, methods=("GET",))
    with signed_client(fast_emulator.url) as api:
        response = api.get(images_path())
    assert error_of(response) == (429, "APIG.0308")
    assert response.headers["Retry-After"] == "0.5"


@pytest.mark.parametrize("status", [502, 504])
def test_other_5xx_bursts(fast_emulator: Emulator, status: int) -> None:
    fast_emulator.faults.fail_next(1, status=status, methods=("GET", "DELETE"))
    with signed_client(fast_emulator.url) as api:
        assert api.get(images_path()).status_code == status
        assert api.get(images_path()).status_code == 200


def test_random_error_rate_is_seeded_and_clearable(fast_emulator: Emulator) -> None:
    def run() -> list[int]:
        fast_emulator.faults.error_rate(status=503, probability=0.3, seed=7)
        with signed_client(fast_emulator.url) as api:
            return [api.get(images_path()).status_code for _ in range(40)]

    first, second = run(), run()
    assert first == second and 3 <= first.count(503) <= 25
    fast_emulator.faults.clear()
    with signed_client(fast_emulator.url) as api:
        assert all(api.get(images_path()).status_code == 200 for _ in range(10))


def test_dropped_connection_after_commit_leaves_exactly_one_image(fast_emulator: Emulator) -> None:
    fast_emulator.faults.drop_after_commit(n=1)
    with signed_client(fast_emulator.url) as api:
        with pytest.raises(httpx.RemoteProtocolError):
            register(api)
        # The connection is gone but the registration is committed: it can be found, once.
        found = api.get(images_path(), params={"namespace": "my-team", "name": "pytorch_2_3"}).json()
        assert [i["tag"] for i in found["data"]] == ["cuda12"]
        assert error_of(register(api)) == (400, "ModelArts.2884")
    assert len(fast_emulator.store.images()) == 1
    seen = fast_emulator.requests_seen
    assert (seen["register"], seen["register_committed"], seen["register_dropped"]) == (2, 1, 1)


def test_drop_probability(fast_emulator: Emulator) -> None:
    fast_emulator.faults.drop_after_commit(probability=0.5, seed=3)
    dropped = 0
    with signed_client(fast_emulator.url) as api:
        for i in range(30):
            try:
                register(api, f"swr.example.com/sandbox/drop-{i}:1")
            except httpx.RemoteProtocolError:
                dropped += 1
    assert 5 <= dropped <= 25
    assert len(fast_emulator.store.images()) == 30


def test_stall_is_slower_than_the_client_timeout(fast_emulator: Emulator) -> None:
    fast_emulator.faults.stall_next(1, seconds=2)
    with httpx.Client(base_url=fast_emulator.url, auth=SignedAuth(), timeout=0.3) as api:
        with pytest.raises(httpx.ReadTimeout):
            api.get(images_path())
        assert api.get(images_path()).status_code == 200


def test_clock_offset_makes_fresh_signatures_look_skewed(fast_emulator: Emulator) -> None:
    fast_emulator.faults.clock_offset = -20 * 60
    with signed_client(fast_emulator.url) as api:
        response = api.get(images_path())
    assert error_of(response) == (401, "APIG.0301")
    assert "correct the machine clock" in response.json()["error_msg"]


def test_faults_never_hit_iam(fast_emulator: Emulator) -> None:
    fast_emulator.faults.fail_next(5, status=503, methods=("POST", "GET"))
    from emulator_http import get_token

    assert get_token(fast_emulator.url)


def test_faults_and_reset_over_http(fast_emulator: Emulator) -> None:
    url = fast_emulator.url
    described = httpx.post(f"{url}/_emulator/faults", json={"fail_next": {"n": 1, "status": 503}}).json()
    assert described["pending_errors"] == 1
    with signed_client(url) as api:
        assert register(api).status_code == 503
        assert register(api).status_code == 200
    state = httpx.get(f"{url}/_emulator/state").json()
    assert len(state["images"]) == 1 and state["requests_seen"]["register"] == 2
    bad = httpx.post(f"{url}/_emulator/faults", json={"fail_next": {"bogus": 1}})
    assert bad.status_code == 400
    assert httpx.post(f"{url}/_emulator/reset").status_code == 200
    assert fast_emulator.store.images() == [] and fast_emulator.requests_seen == {}
    added = httpx.post(f"{url}/_emulator/swr", json={"namespace": "x-team", "name": "a", "tag": "1"})
    assert added.status_code == 201
    with signed_client(url) as api:
        assert register(api, "swr.example.com/x-team/a:1").status_code == 200
    token = httpx.post(f"{url}/_emulator/expire-tokens")
    assert token.status_code == 200
