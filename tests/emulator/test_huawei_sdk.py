"""Huawei's own Python SDK (huaweicloudsdkmodelarts, AK/SK) works against the emulator unchanged."""

from __future__ import annotations

import pytest

from modelarts_magic.emulator import DEMO, Emulator

sdk_core = pytest.importorskip("huaweicloudsdkcore")
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkmodelarts.v1 import (  # noqa: E402
    DeleteImageRequest,
    DeleteImageRequestBody,
    ImageRegRequest,
    ListImageRequest,
    ModelArtsClient,
    RegisterImageRequest,
    ShowImageRequest,
)


def sdk_client(url: str, ak: str = DEMO.ak, sk: str = DEMO.sk) -> ModelArtsClient:
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    return (
        ModelArtsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(ak, sk, DEMO.project_id))
        .with_endpoints([url])
        .build()
    )


def test_register_show_list_delete_with_the_sdk(fast_emulator: Emulator) -> None:
    client = sdk_client(fast_emulator.url)
    body = ImageRegRequest(
        swr_path="swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12",
        arch="X86_64",
        resource_category=["GPU"],
        services=["NOTEBOOK"],
        description="registered by Huawei's SDK",
        tags=["team=ml"],
    )
    registered = client.register_image(RegisterImageRequest(body=body))
    assert registered.status == "ACTIVE" and registered.arch == "x86_64"
    assert registered.size == 8123456789 and registered.dev_services == ["NOTEBOOK"]

    shown = client.show_image(ShowImageRequest(id=registered.id))
    assert (shown.name, shown.tag, shown.namespace) == ("pytorch_2_3", "cuda12", "my-team")

    listed = client.list_image(ListImageRequest(namespace="my-team", name="pytorch", limit=10, offset=0))
    assert listed.total == 1 and listed.data[0].id == registered.id

    deleted = client.delete_image(
        DeleteImageRequest(id=registered.id, body=DeleteImageRequestBody(is_force=True))
    )
    assert deleted.status == "DELETED"
    assert fast_emulator.store.images() == []
    assert fast_emulator.requests_seen["register"] == 1 and fast_emulator.requests_seen["delete"] == 1

    with pytest.raises(ClientRequestException) as gone:
        client.show_image(ShowImageRequest(id=registered.id))
    assert (gone.value.status_code, gone.value.error_code) == (404, "ModelArts.6404")
    with pytest.raises(ClientRequestException) as swr_gone:  # forced delete removed the SWR content
        client.register_image(RegisterImageRequest(body=body))
    assert swr_gone.value.error_code == "ModelArts.6797"


def test_sdk_sees_the_real_error_codes(fast_emulator: Emulator) -> None:
    with pytest.raises(ClientRequestException) as wrong_sk:
        sdk_client(fast_emulator.url, sk="wrong-secret").list_image(ListImageRequest())
    assert (wrong_sk.value.status_code, wrong_sk.value.error_code) == (403, "ModelArts.0206")
    assert wrong_sk.value.request_id

    client = sdk_client(fast_emulator.url)
    body = ImageRegRequest(swr_path="swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12")
    client.register_image(RegisterImageRequest(body=body))
    with pytest.raises(ClientRequestException) as duplicate:
        client.register_image(RegisterImageRequest(body=body))
    assert (duplicate.value.status_code, duplicate.value.error_code) == (400, "ModelArts.2884")


def test_sdk_boolean_filters_and_image_groups(fast_emulator: Emulator) -> None:
    from huaweicloudsdkmodelarts.v1 import ListImageGroupRequest

    client = sdk_client(fast_emulator.url)
    exact = client.list_image(
        ListImageRequest(
            name="pytorch1.8-cuda10.2-cudnn7-ubuntu18.04", name_fuzzy_match=False, type="BUILD_IN"
        )
    )
    assert exact.total == 1 and exact.data[0].dev_services == ["AI_FLOW", "SSH"]
    none = client.list_image(ListImageRequest(name="pytorch1.8", name_fuzzy_match=False))
    assert none.total == 0
    groups = client.list_image_group(
        ListImageGroupRequest(name="pytorch", name_fuzzy_match=True, type="BUILD_IN")
    )
    assert groups.total == 1 and groups.data[0].version_count == 1
