"""Faults survived (issue 8, item 1): each ends with exactly one image registered, or a clear error.

Every test talks to a real emulator over loopback HTTP and uses its fault injection.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from clienthelpers import SANDBOX, fast_backoff, registered

from modelarts_magic.auth import PasswordAuth
from modelarts_magic.client import AsyncModelArtsClient, ModelArtsClient, RegistrationResult
from modelarts_magic.emulator import DEMO, Emulator
from modelarts_magic.exceptions import (
    AuthenticationError,
    ConnectError,
    RateLimitError,
    ServerError,
    TimeoutError,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _register_one(emulator: Emulator, swr_path: str, **settings: object) -> RegistrationResult:
    """Register through the async client's batch API, which reports how the image was obtained."""

    async def scenario() -> RegistrationResult:
        async with AsyncModelArtsClient(
            endpoint=emulator.url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk, **settings
        ) as client:
            fast_backoff(client)
            (result,) = await client.register_many([{"swr_path": swr_path}])
            return result

    return asyncio.run(scenario())


def test_connection_refused_is_a_connect_error_naming_the_host() -> None:
    port = _free_port()
    client = fast_backoff(
        ModelArtsClient(endpoint=f"http://127.0.0.1:{port}", project_id="p1", ak="a" * 20, sk="s" * 40)
    )
    with client, pytest.raises(ConnectError) as info:
        client.register_image(swr_path=f"{SANDBOX}/a:1")
    assert f"127.0.0.1:{port}" in str(info.value)
    assert info.value.sent is False


def test_dns_failure_names_the_host_and_is_not_retried_for_long() -> None:
    client = ModelArtsClient(
        endpoint="https://modelarts.no-such-region.invalid", project_id="p1", ak="a" * 20, sk="s" * 40
    )
    started = time.monotonic()
    with client, pytest.raises(ConnectError) as info:
        client.get_image("00000000-0000-0000-0000-000000000000")
    assert "modelarts.no-such-region.invalid" in str(info.value)
    assert "DNS" in str(info.value)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_burst_of_gateway_errors_on_register_ends_in_one_image(emulator: Emulator, status: int) -> None:
    emulator.faults.fail_next(2, status=status)
    result = _register_one(emulator, f"{SANDBOX}/burst:{status}")
    assert result.ok, result.error
    assert result.outcome == "registered"
    assert result.attempts == 3
    assert len(registered(emulator, f"{SANDBOX}/burst:{status}")) == 1
    # Before each re-send the client looked the image up instead of re-sending blindly.
    assert emulator.requests_seen["list"] == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_burst_of_gateway_errors_on_reads_is_retried(
    client: ModelArtsClient, emulator: Emulator, status: int
) -> None:
    image = client.register_image(swr_path=f"{SANDBOX}/read:1")
    emulator.faults.fail_next(3, status=status, methods=["GET"])
    assert client.get_image(image.id).id == image.id
    assert emulator.requests_seen["show"] == 4


def test_a_burst_longer_than_the_retries_is_a_server_error_and_registers_nothing(
    client: ModelArtsClient, emulator: Emulator
) -> None:
    emulator.faults.fail_next(10, status=503)
    with pytest.raises(ServerError) as info:
        client.register_image(swr_path=f"{SANDBOX}/down:1")
    assert info.value.status_code == 503
    assert info.value.hint
    assert emulator.store.images() == []
    assert emulator.requests_seen["register"] == 4  # the first try and max_retries=3 re-sends


def test_429_waits_for_retry_after(client: ModelArtsClient, emulator: Emulator) -> None:
    emulator.faults.fail_next(1, status=429, retry_after=0.4)
    started = time.monotonic()
    image = client.register_image(swr_path=f"{SANDBOX}/slow-down:1")
    assert time.monotonic() - started >= 0.4
    assert image.tag == "1"
    assert len(registered(emulator, f"{SANDBOX}/slow-down:1")) == 1
    assert emulator.requests_seen["register"] == 2


def test_retry_after_is_capped(client: ModelArtsClient, emulator: Emulator) -> None:
    client.retry_policy.max_retry_after = 0.1
    emulator.faults.fail_next(2, status=429, retry_after=3600, methods=["GET"])
    image = client.register_image(swr_path=f"{SANDBOX}/cap:1")
    started = time.monotonic()
    assert client.get_image(image.id).id == image.id
    assert time.monotonic() - started < 2


def test_throttling_that_never_ends_is_a_rate_limit_error(
    client: ModelArtsClient, emulator: Emulator
) -> None:
    emulator.faults.fail_next(10, status=429, retry_after=0.01)
    with pytest.raises(RateLimitError) as info:
        client.register_image(swr_path=f"{SANDBOX}/throttled:1")
    assert info.value.retry_after == pytest.approx(0.01)
    assert emulator.store.images() == []


def test_a_connection_dropped_after_commit_recovers_the_image_without_a_second_post(
    emulator: Emulator,
) -> None:
    emulator.faults.drop_after_commit(1)
    result = _register_one(emulator, f"{SANDBOX}/dropped:1")
    assert result.ok, result.error
    assert result.outcome == "recovered"
    assert result.attempts == 1
    assert emulator.requests_seen["register_dropped"] == 1
    assert emulator.requests_seen["register"] == 1
    assert len(registered(emulator, f"{SANDBOX}/dropped:1")) == 1


def test_sync_register_survives_a_dropped_connection(client: ModelArtsClient, emulator: Emulator) -> None:
    emulator.faults.drop_after_commit(1)
    image = client.register_image(swr_path=f"{SANDBOX}/dropped:2")
    assert [found["id"] for found in registered(emulator, f"{SANDBOX}/dropped:2")] == [image.id]


def test_a_response_slower_than_the_timeout_ends_in_one_image(
    make_client: Callable[..., ModelArtsClient], emulator: Emulator
) -> None:
    client = make_client(timeout=httpx.Timeout(0.5, connect=0.5))
    emulator.faults.stall_next(1, seconds=1.5)  # the first POST is held past the client's timeout
    image = client.register_image(swr_path=f"{SANDBOX}/stalled:1")
    time.sleep(1.5)  # let the stalled POST reach the store too: it must not make a second image
    assert [found["id"] for found in registered(emulator, f"{SANDBOX}/stalled:1")] == [image.id]


def test_a_service_slower_than_the_timeout_gives_a_clear_timeout_error(
    make_client: Callable[..., ModelArtsClient], emulator: Emulator
) -> None:
    client = make_client(timeout=httpx.Timeout(0.3, connect=0.3), max_retries=1)
    emulator.faults.latency = 1.0
    with pytest.raises(TimeoutError) as info:
        client.register_image(swr_path=f"{SANDBOX}/latent:1")
    message = str(info.value)
    assert "0.3 s" in message
    assert "may or may not have been committed" in message
    emulator.faults.latency = 0
    time.sleep(1.2)
    # The error said the outcome is unknown; whatever the server did, it did it at most once.
    assert len(registered(emulator, f"{SANDBOX}/latent:1")) <= 1
    assert emulator.requests_seen["register"] == 1


def test_a_password_token_expiring_mid_session_is_refreshed_once(emulator: Emulator) -> None:
    with ModelArtsClient(
        endpoint=emulator.url,
        username=DEMO.user,
        password=DEMO.password,
        domain=DEMO.domain,
        project_name=DEMO.project_name,
        iam_endpoint=emulator.iam_url,
    ) as client:
        image = client.register_image(swr_path=f"{SANDBOX}/session:1")
        emulator.expire_tokens()
        assert client.get_image(image.id).id == image.id
        second = client.register_image(swr_path=f"{SANDBOX}/session:2")
        assert isinstance(client.auth, PasswordAuth)
        assert client.auth.fetch_count == 2
    assert second.tag == "2"
    assert len(emulator.store.images()) == 2


def test_an_expired_pre_issued_token_says_how_to_fix_it(emulator: Emulator) -> None:
    auth = PasswordAuth(
        emulator.iam_url, DEMO.user, DEMO.password, DEMO.domain, project_name=DEMO.project_name
    )
    token = auth.fetch_token().token.get_secret_value()
    emulator.expire_tokens()
    with ModelArtsClient(endpoint=emulator.url, project_id=DEMO.project_id, token=token) as client:
        with pytest.raises(AuthenticationError) as info:
            client.register_image(swr_path=f"{SANDBOX}/expired:1")
    assert info.value.error_code == "ModelArts.0202"
    assert "expired" in str(info.value)
    assert token not in str(info.value)
    assert emulator.store.images() == []


def test_clock_skew_reported_by_the_gateway(client: ModelArtsClient, emulator: Emulator) -> None:
    emulator.faults.clock_offset = 20 * 60
    with pytest.raises(AuthenticationError) as info:
        client.register_image(swr_path=f"{SANDBOX}/skew:1")
    assert info.value.error_code == "APIG.0301"
    assert "clock" in str(info.value) and "NTP" in str(info.value)
    assert emulator.requests_seen["register"] == 1  # not retried: it cannot heal by itself
    assert emulator.store.images() == []


def test_the_emulator_restarted_between_calls(tmp_path: Path) -> None:
    port = _free_port()
    first = Emulator(port=port, state_dir=tmp_path, state_file="state.json").start()
    client = fast_backoff(
        ModelArtsClient(endpoint=first.url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk)
    )
    try:
        image = client.register_image(swr_path=f"{SANDBOX}/restart:1")
        first.stop()
        with pytest.raises(ConnectError):
            client.register_image(swr_path=f"{SANDBOX}/restart:2")  # down: nothing can be registered
        second = Emulator(port=port, state_dir=tmp_path, state_file="state.json").start()
        try:
            assert client.get_image(image.id).id == image.id  # the pooled connection was dead
            again = client.register_image(swr_path=f"{SANDBOX}/restart:2")
            tags = sorted(found["tag"] for found in second.store.images())
            assert tags == ["1", "2"]
            assert again.tag == "2"
        finally:
            second.stop()
    finally:
        client.close()


def test_what_the_readme_says_is_retried_is_what_is_retried(
    make_client: Callable[..., ModelArtsClient], emulator: Emulator
) -> None:
    from modelarts_magic._retry import RETRY_STATUSES

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    said = " ".join(readme[readme.index("Retries (at most") :].split("never registered twice")[0].split())
    assert "429, 502, 503 and 504" in said and "500 included, is raised at once" in said
    assert sorted(RETRY_STATUSES) == [429, 502, 503, 504]
    assert "5xx are retried" not in " ".join(readme.split())
    client = make_client()
    image = client.register_image(swr_path=f"{SANDBOX}/retried:1")
    shows = emulator.requests_seen.get("show", 0)
    emulator.faults.fail_next(1, status=503, methods=("GET",))
    assert client.get_image(image.id).id == image.id  # a 503 is retried
    emulator.faults.fail_next(1, status=500, methods=("GET",))
    with pytest.raises(ServerError):
        client.get_image(image.id)  # a 500 is not
    assert emulator.requests_seen["show"] - shows == 3
