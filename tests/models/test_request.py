"""The register request: what a user may send, and the one-line errors when it is wrong."""

import json
from pathlib import Path

import pytest

from modelarts_magic.exceptions import InvalidRequestError
from modelarts_magic.models import (
    Arch,
    DevService,
    RegisterImageRequest,
    ResourceCategory,
    field_specs,
    parse_swr_path,
    validate_request,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


def test_seed_example_serialises_to_exactly_the_documented_body():
    documented = json.loads((EXAMPLES / "register-request.json").read_text())
    request = RegisterImageRequest.from_user(documented)
    assert request.to_body() == documented
    # same keys in the same order, so a dry run shows the body exactly as documented
    assert json.dumps(request.to_body()) == json.dumps(documented)


def test_only_given_fields_are_sent_and_no_nulls():
    body = RegisterImageRequest.from_user({"swr_path": GOOD}).to_body()
    assert body == {"swr_path": GOOD}


def test_every_documented_and_newer_field_is_accepted():
    data = {
        "swr_path": GOOD,
        "arch": "aarch64",
        "description": "PyTorch 2.3",
        "origin": "image_save",
        "resource_category": ["cpu", "GPU"],
        "service_type": "train",
        "services": ["ssh"],
        "visibility": "Public",
        "workspace_id": "0",
        "flavor_type": "modelarts.vm.cpu.2u",
        "tags": ["team-a", "gpu"],
        "swr_instance_id": "inst-1",
        "read_me": "# hello\nworld",
    }
    body = RegisterImageRequest.from_user(data).to_body()
    assert body["arch"] == "AARCH64"
    assert body["origin"] == "IMAGE_SAVE"
    assert body["resource_category"] == ["CPU", "GPU"]
    assert body["service_type"] == "TRAIN"
    assert body["services"] == ["SSH"]
    assert body["visibility"] == "PUBLIC"
    assert body["tags"] == ["team-a", "gpu"]
    assert body["read_me"] == "# hello\nworld"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("GPU", ["GPU"]), ("cpu, gpu", ["CPU", "GPU"]), (["gpu", "GPU"], ["GPU"])],
)
def test_a_single_value_or_comma_list_is_accepted_where_a_list_is_expected(value, expected):
    request = RegisterImageRequest.from_user({"swr_path": GOOD, "resource_category": value})
    assert request.to_body()["resource_category"] == expected
    assert request.resource_category == [ResourceCategory(v) for v in expected]


def test_workspace_id_given_as_a_number_is_sent_as_text():
    assert (
        RegisterImageRequest.from_user({"swr_path": GOOD, "workspace_id": 0}).to_body()["workspace_id"] == "0"
    )


def test_missing_tag_says_add_tag():
    with pytest.raises(InvalidRequestError) as info:
        RegisterImageRequest.from_user({"swr_path": "swr.eu-de.otc.t-systems.com/my-team/pytorch"})
    message = str(info.value)
    assert message.startswith("swr_path:")
    assert "add :tag" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("", "empty"),
        ("https://swr.eu-de.otc.t-systems.com/team/img:1", "drop 'https://'"),
        ("swr.eu-de.otc.t-systems.com/team/img@sha256:abcd", "use a tag"),
        ("swr.eu-de.otc.t-systems.com//img:1", "empty path segment"),
        ("swr.eu-de.otc.t-systems.com/team/img:", "empty tag"),
        ("swr.eu-de.otc.t-systems.com/Team/img:1", "try 'team'"),
        ("swr.eu-de.otc.t-systems.com/team/Img:1", "try 'img'"),
        ("swr.eu-de.otc.t-systems.com:99999/team/img:1", "port"),
        ("swr.eu-de.otc.t-systems.com/a/b/c/img:1", "at most 3"),
        ("swr.eu-de.otc.t-systems.com/team/img:-bad", "invalid tag"),
        ("swr.eu-de.otc.t-systems.com/team/im g:1", "white space"),
        ("swr.eu-de.otc.t-systems.com/team/img:1\nx: y", "control character"),
        ("img:1", "no namespace"),
        ("t/i:1", "at least 16"),
        ("swr.x.com/team/" + "a" * 2100 + ":1", "at most 2048"),
    ],
)
def test_malformed_swr_paths_name_the_fix(path, words):
    request, errors = validate_request({"swr_path": path})
    assert request is None
    assert len(errors) == 1
    message = str(errors[0])
    assert message.startswith("swr_path:")
    assert words in message
    assert "\n" not in message


def test_swr_path_parts():
    swr = parse_swr_path("swr.example.com:5000/team/img:1.0")
    assert (swr.host, swr.port, swr.namespace, swr.name, swr.tag) == (
        "swr.example.com",
        5000,
        "team",
        "img",
        "1.0",
    )
    assert swr.registry == "swr.example.com:5000"
    assert str(swr) == "swr.example.com:5000/team/img:1.0"
    assert parse_swr_path("my-team/pytorch-cuda:12").host is None


def test_description_over_512_characters_says_how_much_to_cut():
    _, errors = validate_request({"swr_path": GOOD, "description": "x" * 530})
    assert str(errors[0]).startswith("description: is 530 characters long, at most 512")
    assert "shorten it by 18" in str(errors[0])
    assert validate_request({"swr_path": GOOD, "description": "x" * 512})[0] is not None


def test_bad_enum_lists_the_allowed_values_any_case():
    _, errors = validate_request({"swr_path": GOOD, "arch": "arm64"})
    assert "arch:" in str(errors[0])
    assert "X86_64, AARCH64" in str(errors[0])
    _, errors = validate_request({"swr_path": GOOD, "services": ["NOTEBOOK", "VNC"]})
    assert "'VNC'" in str(errors[0])
    assert "NOTEBOOK, SSH" in str(errors[0])


def test_unknown_field_suggests_the_right_one():
    _, errors = validate_request({"swr_path": GOOD, "resource_categories": ["CPU"]})
    assert str(errors[0]).startswith("resource_categories: is not a field")
    assert "did you mean 'resource_category'" in str(errors[0])


def test_every_field_error_is_reported_for_the_form():
    _, errors = validate_request({"swr_path": "nope", "arch": "z80", "description": 5.5j})
    assert {e.field for e in errors} == {"swr_path", "arch", "description"}


def test_wrong_types_are_refused_with_a_fix():
    for data in (
        {"swr_path": ["a"]},
        {"swr_path": GOOD, "description": ["x"]},
        {"swr_path": GOOD, "tags": {"a": 1}},
    ):
        request, errors = validate_request(data)
        assert request is None
        assert errors and "\n" not in str(errors[0])


def test_a_non_mapping_body_is_refused():
    _, errors = validate_request(["swr_path", GOOD])  # type: ignore[arg-type]
    assert errors[0].field == "body"


def test_request_enums_are_the_documented_upper_case():
    request = RegisterImageRequest.from_user({"swr_path": GOOD, "arch": "x86_64", "services": "notebook"})
    assert request.arch is Arch.X86_64
    assert request.services == [DevService.NOTEBOOK]


def test_field_specs_are_read_from_the_model():
    specs = {spec.name: spec for spec in field_specs()}
    assert list(specs) == list(RegisterImageRequest.model_fields)
    assert specs["swr_path"].required
    assert specs["arch"].choices == ("X86_64", "AARCH64")
    assert specs["services"].kind == "multi"
    assert specs["description"].max_length == 512
