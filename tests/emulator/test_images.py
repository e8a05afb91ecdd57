"""Register, show, list, group and delete images on the emulator: documented answers and rule codes."""

from __future__ import annotations

import httpx
import pytest
from emulator_http import MY_TEAM_PATH, SEED_REQUEST, SEED_SWR_PATH, error_of, images_path, signed_client

from modelarts_magic.emulator import Emulator
from modelarts_magic.models import Image, ImagePage

SEED_RESPONSE_FIELDS = {
    "arch": "x86_64",
    "description": "",
    "dev_services": ["NOTEBOOK", "SSH"],
    "name": "pytorch_1_8",
    "namespace": "op_svc_modelarts_container2",
    "origin": "CUSTOMIZE",
    "resource_categories": ["CPU"],
    "service_type": "UNKNOWN",
    "size": 3376133259,
    "status": "ACTIVE",
    "swr_path": SEED_SWR_PATH,
    "tag": "train-pytorch_1.8.0-cuda_10.2-py_3.7",
    "type": "DEDICATED",
    "visibility": "PRIVATE",
    "workspace_id": "0",
}


@pytest.fixture
def api(fast_emulator: Emulator) -> httpx.Client:
    with signed_client(fast_emulator.url) as client:
        yield client


def register(api: httpx.Client, swr_path: str = MY_TEAM_PATH, **fields: object) -> httpx.Response:
    return api.post(images_path(), json={"swr_path": swr_path, **fields})


def test_seed_example_registers_as_documented(api: httpx.Client, fast_emulator: Emulator) -> None:
    response = api.post(images_path(), json=SEED_REQUEST)
    assert response.status_code == 200, response.text
    image = response.json()
    assert {key: image[key] for key in SEED_RESPONSE_FIELDS} == SEED_RESPONSE_FIELDS
    assert image["create_at"] == image["update_at"] and image["create_at"] > 1_600_000_000_000
    assert len(image["id"]) == 36
    # Extra fields of newer service versions come along, as on the real service.
    assert image["show_name"] == "pytorch_1_8" and image["tags"] == []
    assert Image.model_validate(image).size_bytes == 3376133259
    assert [i["id"] for i in fast_emulator.store.images()] == [image["id"]]


def test_request_names_map_to_response_names_and_defaults_apply(api: httpx.Client) -> None:
    minimal = register(api).json()
    assert minimal["dev_services"] == ["NOTEBOOK", "SSH"]
    assert minimal["resource_categories"] == ["CPU", "GPU"]
    assert (minimal["origin"], minimal["visibility"], minimal["workspace_id"]) == (
        "CUSTOMIZE",
        "PRIVATE",
        "0",
    )
    full = register(
        api,
        "swr.eu-de.otc.t-systems.com/my-team/sklearn-notebook:1.4",
        arch="aarch64",
        services=["SSH"],
        resource_category="GPU",
        service_type="train",
        visibility="PUBLIC",
        workspace_id="ws-1",
        description="team notebook",
        tags=["team=ml"],
    ).json()
    assert full["dev_services"] == ["SSH"] and full["resource_categories"] == ["GPU"]
    assert (full["arch"], full["service_type"], full["visibility"]) == ("aarch64", "TRAIN", "PUBLIC")
    assert full["workspace_id"] == "ws-1" and full["tags"] == [{"key": "team", "value": "ml"}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"swr_path": "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3"}, "swr_path"),
        ({"swr_path": MY_TEAM_PATH, "description": "x" * 513}, "description"),
        ({"swr_path": MY_TEAM_PATH, "arch": "ARM"}, "arch"),
        ({"swr_path": MY_TEAM_PATH, "visbility": "PUBLIC"}, "visbility"),
        ({"arch": "X86_64"}, "swr_path"),
        ([MY_TEAM_PATH], "body"),
    ],
)
def test_invalid_fields_are_refused_with_0101_naming_the_field(
    api: httpx.Client, fast_emulator: Emulator, body: object, field: str
) -> None:
    response = api.post(images_path(), json=body)
    assert error_of(response) == (400, "ModelArts.0101")
    assert field in response.json()["error_msg"]
    assert fast_emulator.store.images() == []


def test_body_that_is_not_json_is_refused(api: httpx.Client) -> None:
    response = api.post(
        images_path(), content=b"{swr_path: oops", headers={"Content-Type": "application/json"}
    )
    assert error_of(response) == (400, "ModelArts.0101")
    assert "not valid JSON" in response.json()["error_msg"]


def test_unknown_namespace_is_2885(api: httpx.Client) -> None:
    response = register(api, "swr.eu-de.otc.t-systems.com/no-such-team/pytorch:1.0")
    assert error_of(response) == (400, "ModelArts.2885")
    assert "no-such-team" in response.json()["error_msg"]


def test_image_missing_from_a_known_namespace_is_6797(api: httpx.Client) -> None:
    response = register(api, "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:no-such-tag")
    assert error_of(response) == (400, "ModelArts.6797")


def test_registry_host_is_not_checked(api: httpx.Client) -> None:
    response = register(api, "swr.ap-southeast-1.myhuaweicloud.com/my-team/pytorch_2_3:cuda12")
    assert response.status_code == 200


def test_same_name_and_tag_twice_is_2884_until_deleted(api: httpx.Client, fast_emulator: Emulator) -> None:
    first = register(api).json()
    again = register(api, MY_TEAM_PATH.replace("swr.eu-de", "swr.eu-nl"))
    assert error_of(again) == (400, "ModelArts.2884")
    assert len(fast_emulator.store.images()) == 1
    assert api.delete(f"{images_path()}/{first['id']}").status_code == 200
    assert register(api).status_code == 200


def test_too_large_image_is_6771(api: httpx.Client, fast_emulator: Emulator) -> None:
    fast_emulator.store.add_swr_image("my-team", "giant-llm", "70b", 60 * 1024**3)
    response = register(api, "swr.eu-de.otc.t-systems.com/my-team/giant-llm:70b")
    assert error_of(response) == (400, "ModelArts.6771")
    assert str(60 * 1024**3) in response.json()["error_msg"]


def test_added_swr_image_and_namespace_can_be_registered(api: httpx.Client, fast_emulator: Emulator) -> None:
    fast_emulator.store.add_swr_image("new-team", "tool", "2.0", 123456789)
    image = register(api, "swr.eu-de.otc.t-systems.com/new-team/tool:2.0").json()
    assert (image["namespace"], image["size"]) == ("new-team", 123456789)


def test_sandbox_holds_every_name_and_tag(api: httpx.Client) -> None:
    sizes = set()
    for i in range(20):
        response = register(api, f"swr.eu-de.otc.t-systems.com/sandbox/batch-{i}:v{i}")
        assert response.status_code == 200, response.text
        sizes.add(response.json()["size"])
    assert len(sizes) == 20 and all(s > 100 * 1024**2 for s in sizes)


def test_show_returns_the_image_and_404_for_unknown(api: httpx.Client) -> None:
    image = register(api).json()
    shown = api.get(f"{images_path()}/{image['id']}")
    assert shown.status_code == 200 and shown.json()["id"] == image["id"]
    missing = api.get(f"{images_path()}/00000000-0000-0000-0000-000000000000")
    assert error_of(missing) == (404, "ModelArts.6404")


def test_delete_answers_the_image_as_deleted_then_it_is_gone(api: httpx.Client) -> None:
    image = register(api).json()
    deleted = api.delete(f"{images_path()}/{image['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["status"] == "DELETED" and deleted.json()["id"] == image["id"]
    assert error_of(api.get(f"{images_path()}/{image['id']}")) == (404, "ModelArts.6404")
    assert error_of(api.delete(f"{images_path()}/{image['id']}")) == (404, "ModelArts.6404")


@pytest.mark.parametrize("how", ["query", "sdk-body"])
def test_forced_delete_removes_the_swr_content(api: httpx.Client, how: str) -> None:
    image = register(api).json()
    url = f"{images_path()}/{image['id']}"
    if how == "query":
        response = api.delete(url, params={"force": "true"})
    else:
        response = api.request("DELETE", url, json={"is_force": True})
    assert response.status_code == 200
    assert error_of(register(api)) == (400, "ModelArts.6797")


def test_unforced_delete_keeps_the_swr_content(api: httpx.Client) -> None:
    image = register(api).json()
    api.request("DELETE", f"{images_path()}/{image['id']}", json={"is_force": False})
    assert register(api).status_code == 200


def test_bad_force_values_are_refused(api: httpx.Client) -> None:
    image = register(api).json()
    url = f"{images_path()}/{image['id']}"
    assert error_of(api.delete(url, params={"force": "yes"})) == (400, "ModelArts.0101")
    assert error_of(api.request("DELETE", url, json={"is_force": "yes"})) == (400, "ModelArts.0101")


def test_built_in_images_are_listed_with_their_quirks_and_cannot_be_deleted(api: httpx.Client) -> None:
    page = api.get(images_path(), params={"type": "BUILD_IN"}).json()
    assert page["total"] >= 2
    built_in = page["data"][0]
    assert "namespace" not in built_in and "visibility" not in built_in and "size" not in built_in
    assert "origin" not in built_in and "AI_FLOW" in built_in["dev_services"]
    assert ImagePage.model_validate(page).data[0].type == "BUILD_IN"
    assert error_of(api.delete(f"{images_path()}/{built_in['id']}")) == (403, "ModelArts.0108")


def test_list_filters(api: httpx.Client) -> None:
    register(api)
    register(api, "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cpu", service_type="TRAIN")
    register(api, "swr.eu-de.otc.t-systems.com/my-team/sklearn-notebook:1.4", workspace_id="ws-9")
    register(api, SEED_SWR_PATH)

    def names(**params: object) -> list[str]:
        page = api.get(images_path(), params=params).json()
        return sorted(f"{i.get('namespace')}/{i['name']}:{i['tag']}" for i in page["data"])

    assert names(namespace="my-team") == [
        "my-team/pytorch_2_3:cpu",
        "my-team/pytorch_2_3:cuda12",
        "my-team/sklearn-notebook:1.4",
    ]
    assert len(names(name="pytorch")) == 4  # fuzzy by default: includes built-in pytorch1.8-...
    assert names(name="pytorch_2_3", name_fuzzy_match="false") == [
        "my-team/pytorch_2_3:cpu",
        "my-team/pytorch_2_3:cuda12",
    ]
    assert names(name="PYTORCH_2", type="dedicated") == [
        "my-team/pytorch_2_3:cpu",
        "my-team/pytorch_2_3:cuda12",
    ]
    assert names(service_type="train") == ["my-team/pytorch_2_3:cpu"]
    assert names(workspace_id="ws-9") == ["my-team/sklearn-notebook:1.4"]
    assert names(type="DEDICATED", namespace="op_svc_modelarts_container2") == [
        "op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7"
    ]


def test_list_pages_and_sorts(api: httpx.Client) -> None:
    paths = [f"swr.eu-de.otc.t-systems.com/sandbox/page-{i:02d}:1" for i in range(7)]
    for path in paths:
        register(api, path)
    query = {"namespace": "sandbox", "limit": 3}
    first = api.get(images_path(), params={**query, "sort_key": "create_at", "sort_dir": "ASC"}).json()
    assert (first["current"], first["pages"], first["size"], first["total"]) == (1, 3, 3, 7)
    assert [i["name"] for i in first["data"]] == ["page-00", "page-01", "page-02"]
    last = api.get(images_path(), params={**query, "offset": 6, "sort_key": "createTime", "sort_dir": "asc"})
    assert (last.json()["current"], last.json()["size"]) == (3, 1)
    assert last.json()["data"][0]["name"] == "page-06"
    newest_first = api.get(images_path(), params={**query, "sort_key": "name"}).json()
    assert [i["name"] for i in newest_first["data"]] == ["page-06", "page-05", "page-04"]
    default = api.get(images_path(), params={"namespace": "sandbox"}).json()
    assert default["size"] == 7 and default["data"][0]["name"] == "page-06"  # DESC by update time


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"sort_dir": "UP"}, {"sort_key": "colour"}, {"type": "X"}],
)
def test_bad_list_parameters_are_0101(api: httpx.Client, params: dict[str, object]) -> None:
    assert error_of(api.get(images_path(), params=params)) == (400, "ModelArts.0101")


def test_image_groups(api: httpx.Client) -> None:
    register(api)
    register(api, "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cpu")
    register(api, "swr.eu-de.otc.t-systems.com/my-team/sklearn-notebook:1.4")
    page = api.get(f"{images_path()}/group", params={"namespace": "my-team"}).json()
    counts = {group["name"]: group["version_count"] for group in page["data"]}
    assert counts == {"pytorch_2_3": 2, "sklearn-notebook": 1}
    assert page["total"] == 2
