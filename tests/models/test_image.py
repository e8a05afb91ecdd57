"""The Image as the service returns it: lenient, as the real service's quirks demand."""

import json
from datetime import datetime, timezone
from pathlib import Path

from modelarts_magic.models import Arch, DevService, Image, ImageListQuery, ImagePage, ImageStatus

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"


def load(name):
    return json.loads((EXAMPLES / name).read_text())


def test_seed_response_parses_with_helpers():
    image = Image.model_validate(load("register-response.json"))
    assert image.id == "708ca95d-c601-4dc7-86b9-670adfd5e818"
    assert image.arch is Arch.X86_64  # the service says "x86_64"
    assert image.status is ImageStatus.ACTIVE
    assert image.created_at == datetime(2022, 12, 22, 11, 30, 30, 448000, tzinfo=timezone.utc)
    assert image.created_at.tzinfo is not None
    assert image.size_bytes == 3376133259
    assert image.offers_ssh and image.offers_notebook
    assert image.is_final and not image.is_failed
    assert image.display_name == "pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7"


def test_list_example_keeps_unknown_values_and_tolerates_missing_fields():
    page = ImagePage.model_validate(load("list-response.json"))
    assert (page.current, page.pages, page.size, page.total) == (4, 54, 2, 107)
    modelbox = page.data[0]
    assert modelbox.dev_services == ["AI_FLOW", DevService.SSH]
    assert modelbox.offers_ssh and not modelbox.offers_notebook
    assert modelbox.namespace is None and modelbox.visibility is None and modelbox.size is None
    assert modelbox.to_json()["dev_services"] == ["AI_FLOW", "SSH"]


def test_delete_example_parses_as_deleted():
    image = Image.model_validate(load("delete-response.json"))
    assert image.status is ImageStatus.DELETED
    assert image.is_final


def test_unknown_fields_and_values_are_kept_not_fatal():
    image = Image.model_validate(
        {"id": "x", "status": "MIGRATING", "arch": "riscv64", "show_name": "n", "brand_new": {"a": 1}}
    )
    assert image.status == "MIGRATING" and not image.is_final
    assert image.arch == "riscv64"
    assert image.to_json()["brand_new"] == {"a": 1}
    assert image.status_text == "MIGRATING"


def test_only_id_is_required():
    image = Image.model_validate({"id": "only"})
    assert image.display_name == "only"
    assert image.created_at is None and image.size_bytes is None and not image.offers_ssh
    assert image.to_json() == {"id": "only"}


def test_list_query_pairs_are_upper_case_and_booleans_lower():
    query = ImageListQuery.from_user(
        {"name": "x", "name_fuzzy_match": False, "type": "dedicated", "limit": 5}
    )
    assert query.to_params() == [
        ("limit", "5"),
        ("name", "x"),
        ("name_fuzzy_match", "false"),
        ("type", "DEDICATED"),
    ]
