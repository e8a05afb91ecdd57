"""The client's calls against the emulator over loopback HTTP: register, get, list, delete, wait."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
import pytest
from clienthelpers import SANDBOX, SEED_SWR, fast_backoff, registered

from modelarts_magic.auth import PasswordAuth
from modelarts_magic.client import AsyncModelArtsClient, ModelArtsClient
from modelarts_magic.emulator import DEMO, Emulator
from modelarts_magic.exceptions import (
    AuthenticationError,
    ConflictError,
    ImageFailedError,
    InvalidRequestError,
    NotFoundError,
    WaitTimeoutError,
)
from modelarts_magic.models import ImageStatus, RegisterImageRequest


def test_register_the_documented_example(client: ModelArtsClient, emulator: Emulator) -> None:
    image = client.register_image(
        {"description": "", "resource_category": ["CPU"], "arch": "X86_64", "swr_path": SEED_SWR}
    )
    assert image.name == "pytorch_1_8"
    assert image.tag == "train-pytorch_1.8.0-cuda_10.2-py_3.7"
    assert image.swr_path == SEED_SWR
    assert len(registered(emulator, SEED_SWR)) == 1
    assert emulator.requests_seen["register"] == 1


def test_register_takes_a_model_a_mapping_or_keywords(client: ModelArtsClient, emulator: Emulator) -> None:
    model = RegisterImageRequest.from_user({"swr_path": f"{SANDBOX}/a:1"})
    assert client.register_image(model).tag == "1"
    assert client.register_image({"swr_path": f"{SANDBOX}/a:2"}, description="two").description == "two"
    assert client.register_image(swr_path=f"{SANDBOX}/a:3", arch="aarch64").arch == "AARCH64"
    assert emulator.requests_seen["register"] == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"swr_path": f"{SANDBOX}/a:1", "archh": "X86_64"}, "archh"),
        ({"swr_path": f"{SANDBOX}/no-tag"}, "swr_path"),
        ({"swr_path": f"{SANDBOX}/a:1", "arch": "sparc"}, "arch"),
        ({"swr_path": f"{SANDBOX}/a:1", "description": "x" * 513}, "description"),
        ({}, "swr_path"),
    ],
)
def test_a_wrong_field_is_refused_before_sending(
    client: ModelArtsClient, emulator: Emulator, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        client.register_image(**fields)
    assert info.value.field == field
    assert "\n" not in str(info.value)
    assert emulator.requests_seen == {}


def test_get_image_and_not_found(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=f"{SANDBOX}/get:1")
    assert client.get_image(image.id).id == image.id
    assert client.get_image(image).swr_path == f"{SANDBOX}/get:1"
    with pytest.raises(NotFoundError) as info:
        client.get_image("00000000-0000-0000-0000-000000000000")
    assert info.value.status_code == 404
    assert info.value.request_id
    assert info.value.hint


def test_an_image_id_with_a_slash_is_refused_before_sending(
    client: ModelArtsClient, emulator: Emulator
) -> None:
    with pytest.raises(InvalidRequestError, match="image_id"):
        client.get_image("../other-project")
    assert emulator.requests_seen == {}


def test_list_images_iterates_across_pages(client: ModelArtsClient, emulator: Emulator) -> None:
    for tag in range(7):
        client.register_image(swr_path=f"{SANDBOX}/paged:{tag}")
    client.register_image(swr_path=f"{SANDBOX}/other:1")
    images = list(client.list_images(namespace="sandbox", name="paged", name_fuzzy_match=False, limit=3))
    assert sorted(image.tag for image in images) == [str(tag) for tag in range(7)]
    assert emulator.requests_seen["list"] == 3  # 3 + 3 + 1
    page = client.list_images_page(namespace="sandbox", limit=3, offset=6)
    assert page.total == 8
    assert len(page.data) == 2


def test_list_filters_are_checked_before_sending(client: ModelArtsClient, emulator: Emulator) -> None:
    with pytest.raises(InvalidRequestError) as info:
        client.list_images(namespacee="sandbox")
    assert info.value.field == "namespacee"
    with pytest.raises(InvalidRequestError):
        client.list_images_page(limit=500)
    assert emulator.requests_seen == {}


def test_delete_image(client: ModelArtsClient, emulator: Emulator) -> None:
    image = client.register_image(swr_path=f"{SANDBOX}/gone:1")
    deleted = client.delete_image(image.id)
    assert deleted is None or deleted.status == ImageStatus.DELETED
    with pytest.raises(NotFoundError):
        client.get_image(image.id)
    assert registered(emulator, f"{SANDBOX}/gone:1") == []


def test_wait_until_active_reports_progress(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SEED_SWR)
    seen: list[str] = []
    active = client.wait_until_active(image.id, timeout=20, on_progress=lambda i: seen.append(i.status_text))
    assert active.status == ImageStatus.ACTIVE
    assert seen[-1] == "ACTIVE"
    assert len(seen) >= 2  # it was INIT or CREATING first


def test_wait_raises_the_status_message_of_a_failed_image(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path="swr.eu-de.otc.t-systems.com/my-team/broken-cuda:1.0")
    with pytest.raises(ImageFailedError) as info:
        client.wait_until_active(image.id, timeout=20)
    assert info.value.image is not None
    assert info.value.image.status == ImageStatus.CREATE_FAILED
    assert info.value.image.status_message
    assert info.value.image.status_message in str(info.value)


def test_wait_gives_up_at_its_limit_with_the_last_image(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SEED_SWR)
    with pytest.raises(WaitTimeoutError) as info:
        client.wait_until_active(image.id, timeout=0.05, poll_interval=0.02)
    assert info.value.image is not None
    assert info.value.image.status in (ImageStatus.INIT, ImageStatus.CREATING)
    assert "still" in str(info.value)


def test_errors_carry_the_code_and_the_fix(client: ModelArtsClient) -> None:
    client.register_image(swr_path=f"{SANDBOX}/twice:1")
    with pytest.raises(ConflictError) as conflict:
        client.register_image(swr_path=f"{SANDBOX}/twice:1")
    assert conflict.value.error_code == "ModelArts.2884"
    assert "already registered" in (conflict.value.hint or "")
    with pytest.raises(NotFoundError) as namespace:
        client.register_image(swr_path="swr.eu-de.otc.t-systems.com/no-such-namespace/x:1")
    assert namespace.value.error_code == "ModelArts.2885"
    assert "SWR namespace is missing or ModelArts is not authorised" in str(namespace.value)
    with pytest.raises(NotFoundError) as missing:
        client.register_image(swr_path="swr.eu-de.otc.t-systems.com/my-team/never-pushed:1")
    assert missing.value.error_code == "ModelArts.6797"
    assert "push it first" in str(missing.value)


def test_wrong_sk_is_an_authentication_error_with_a_hint(
    make_client: Callable[..., ModelArtsClient], emulator: Emulator
) -> None:
    client = make_client(sk="not-the-right-secret-key-0000000000000")
    with pytest.raises(AuthenticationError) as info:
        client.register_image(swr_path=f"{SANDBOX}/a:1")
    assert info.value.error_code == "ModelArts.0206"
    assert "check the AK/SK pair" in str(info.value)
    assert "not-the-right" not in str(info.value)
    assert emulator.store.images() == []


def test_token_auth(emulator: Emulator) -> None:
    issued = httpx.post(
        f"{emulator.url}/v3/auth/tokens",
        json={
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": DEMO.user,
                            "password": DEMO.password,
                            "domain": {"name": DEMO.domain},
                        }
                    },
                },
                "scope": {"project": {"id": DEMO.project_id}},
            }
        },
    )
    token = issued.headers["X-Subject-Token"]
    with ModelArtsClient(endpoint=emulator.url, project_id=DEMO.project_id, token=token) as client:
        assert client.register_image(swr_path=f"{SANDBOX}/tok:1").tag == "1"
        assert token not in repr(client)


def test_password_auth_takes_the_project_from_the_token_scope(emulator: Emulator) -> None:
    with ModelArtsClient(
        endpoint=emulator.url,
        username=DEMO.user,
        password=DEMO.password,
        domain=DEMO.domain,
        project_name=DEMO.project_name,
        iam_endpoint=emulator.iam_url,
    ) as client:
        assert isinstance(client.auth, PasswordAuth)
        image = client.register_image(swr_path=f"{SANDBOX}/pw:1")
        assert client.project_id == DEMO.project_id
        assert client.get_image(image.id).id == image.id
        assert DEMO.password not in repr(client)
    assert emulator.requests_seen["iam_token"] == 1


def test_the_async_client_mirrors_the_sync_one(emulator: Emulator) -> None:
    async def scenario() -> None:
        async with AsyncModelArtsClient(
            endpoint=emulator.url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk
        ) as client:
            fast_backoff(client)
            image = await client.register_image(swr_path=SEED_SWR)
            assert (await client.get_image(image.id)).id == image.id
            active = await client.wait_until_active(image.id, timeout=20)
            assert active.status == ImageStatus.ACTIVE
            listed = [i async for i in client.list_images(namespace="op_svc_modelarts_container2", limit=1)]
            assert [i.id for i in listed] == [image.id]
            with pytest.raises(InvalidRequestError):
                await client.register_image(swr_path="no-tag-here/at/all/x")
            await client.delete_image(image.id)
            with pytest.raises(NotFoundError):
                await client.get_image(image.id)

    asyncio.run(scenario())


def test_dry_run_builds_a_signed_request_and_sends_nothing(
    client: ModelArtsClient, emulator: Emulator
) -> None:
    request = client.build_register_request(swr_path=f"{SANDBOX}/dry:1", arch="x86_64")
    assert emulator.requests_seen == {}
    assert request.headers["Authorization"].startswith("SDK-HMAC-SHA256 Access=")
    described = client.describe_request(request)
    assert described["method"] == "POST"
    assert described["url"] == f"{emulator.url}/v1/{DEMO.project_id}/images"
    assert described["body"] == {"swr_path": f"{SANDBOX}/dry:1", "arch": "X86_64"}
    text = repr(described)
    assert DEMO.sk not in text
    assert DEMO.ak not in text
    assert "Signature=****" in described["headers"]["authorization"]
    # The built request is a real one: sending it registers the image once.
    assert httpx.Client().send(request).status_code == 200
    assert len(registered(emulator, f"{SANDBOX}/dry:1")) == 1


def test_repr_shows_no_secret(emulator: Emulator) -> None:
    with ModelArtsClient(
        endpoint=emulator.url,
        project_id=DEMO.project_id,
        ak=DEMO.ak,
        sk=DEMO.sk,
        security_token="sts-" + "x" * 40,
    ) as client:
        text = repr(client)
    assert DEMO.sk not in text
    assert DEMO.ak not in text
    assert "x" * 40 not in text


def test_debug_logging_shows_no_secret(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with ModelArtsClient(
        endpoint=emulator.url,
        username=DEMO.user,
        password=DEMO.password,
        domain=DEMO.domain,
        project_name=DEMO.project_name,
        iam_endpoint=emulator.iam_url,
    ) as client:
        image = client.register_image(swr_path=f"{SANDBOX}/logged:1")
        emulator.expire_tokens()
        client.get_image(image.id)
        assert isinstance(client.auth, PasswordAuth) and client.auth.token is not None
        token = client.auth.token.token.get_secret_value()
    with ModelArtsClient(endpoint=emulator.url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk) as client:
        client.get_image(image.id)
    assert "modelarts_magic.client" in {record.name for record in caplog.records}
    for secret in (DEMO.password, DEMO.sk, token):
        assert secret not in caplog.text


def test_a_dry_run_opens_no_connection_and_a_closed_client_sends_nothing(emulator: Emulator) -> None:
    client = ModelArtsClient(emulator.url, DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk)
    request = client.build_register_request({"swr_path": SEED_SWR})
    assert request.headers["authorization"].startswith("SDK-HMAC-SHA256 Access=")
    assert client._http_client is None  # nothing pooled, nothing sent, for a dry run
    assert sum(emulator.requests_seen.values()) == 0
    image = client.register_image({"swr_path": SEED_SWR})  # the pool is made on the first send
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.get_image(image.id)
    assert len(emulator.store.images()) == 1


@pytest.mark.parametrize("project_id", [None, DEMO.project_id], ids=["project-from-token", "project-given"])
def test_a_password_dry_run_sends_nothing_not_even_to_iam(emulator: Emulator, project_id: str | None) -> None:
    settings = {
        "endpoint": emulator.url,
        "project_id": project_id,
        "username": DEMO.user,
        "password": DEMO.password,
        "domain": DEMO.domain,
        "project_name": DEMO.project_name,
        "iam_endpoint": emulator.iam_url,
    }
    with ModelArtsClient(**settings) as client:  # type: ignore[arg-type]
        described = [
            client.describe_request(client.build_register_request(swr_path=f"{SANDBOX}/dry:{n}"))
            for n in range(3)
        ]

    async def async_dry_run() -> dict[str, object]:
        async with AsyncModelArtsClient(**settings) as aclient:  # type: ignore[arg-type]
            return aclient.describe_request(await aclient.build_register_request(swr_path=f"{SANDBOX}/dry:9"))

    described.append(asyncio.run(async_dry_run()))
    assert emulator.requests_seen == {}  # no IAM token request, no API request
    for item in described:
        assert item["headers"]["x-auth-token"].startswith("****")
        assert "fetched from IAM" in item["headers"]["x-auth-token"]
        assert "sent" in item["note"]
        assert DEMO.password not in repr(item)
        assert item["url"] == f"{emulator.url}/v1/{project_id or '{project_id}'}/images"
    # The real call still fetches the token once and registers.
    with ModelArtsClient(**settings) as client:  # type: ignore[arg-type]
        assert client.register_image(swr_path=f"{SANDBOX}/dry:1").tag == "1"
    assert emulator.requests_seen["iam_token"] == 1


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"poll_interval": -1}, "poll_interval"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"poll_interval": float("nan")}, "poll_interval"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -5}, "timeout"),
        ({"timeout": "300"}, "timeout"),
    ],
)
def test_wait_refuses_a_pause_or_limit_that_is_not_positive_before_polling(
    client: ModelArtsClient, emulator: Emulator, arguments: dict[str, object], named: str
) -> None:
    image = client.register_image(swr_path=SEED_SWR)
    before = emulator.requests_seen.get("show", 0)
    with pytest.raises(InvalidRequestError) as info:
        client.wait_until_active(image.id, **arguments)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{named}: must be a positive number of seconds")
    assert f"give e.g. {named}=" in message

    async def async_wait() -> None:
        async with AsyncModelArtsClient(emulator.url, DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk) as aclient:
            await aclient.wait_until_active(image.id, **arguments)  # type: ignore[arg-type]

    with pytest.raises(InvalidRequestError, match=named):
        asyncio.run(async_wait())
    assert emulator.requests_seen.get("show", 0) == before  # refused before any poll


def test_a_tiny_poll_interval_still_pauses_between_polls(client: ModelArtsClient, emulator: Emulator) -> None:
    image = client.register_image(swr_path=SEED_SWR)
    started = time.monotonic()
    assert client.wait_until_active(image.id, timeout=20, poll_interval=1e-6).status == ImageStatus.ACTIVE
    elapsed = time.monotonic() - started
    # At least 0.04 s (the 0.05 s floor, jittered) between polls: no busy loop against the service.
    assert emulator.requests_seen["show"] <= elapsed / 0.04 + 2
