"""The Image card as a MIME bundle: all three types, escaping, unknown values, include/exclude."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modelarts_magic import display
from modelarts_magic.display import (
    IMAGE_MIME_TYPE,
    format_size,
    format_time,
    image_mimebundle,
    images_table,
    request_preview,
)
from modelarts_magic.models import DEV_SERVICE_OFFERS, Image

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "examples"
ROOT = Path(__file__).resolve().parents[2]

# The documented register response, exactly as the API returns it.
ACTIVE = json.loads((EXAMPLES / "register-response.json").read_text())

HOSTILE = "<script>alert('x')</script>"


def image(**changes: object) -> Image:
    return Image.model_validate({**ACTIVE, **changes})


def visible_text(markup: str) -> str:
    """The text a reader sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def test_bundle_has_the_three_types_through_repr_mimebundle() -> None:
    bundle = image()._repr_mimebundle_()
    assert set(bundle) == {IMAGE_MIME_TYPE, "text/html", "text/plain"}
    assert bundle[IMAGE_MIME_TYPE]["id"] == ACTIVE["id"]
    assert bundle[IMAGE_MIME_TYPE]["arch"] == "X86_64"  # normalised, JSON-serialisable
    json.dumps(bundle)


def test_ipython_formatter_shows_all_three_types() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    data, _ = InteractiveShell.instance().display_formatter.format(image())
    assert {IMAGE_MIME_TYPE, "text/html", "text/plain"} <= set(data)


def test_card_shows_what_the_issue_lists() -> None:
    card = image()._repr_mimebundle_()["text/html"]
    text = visible_text(card)
    for expected in (
        "pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7",
        "op_svc_modelarts_container2",
        ACTIVE["id"],
        "ACTIVE",
        "open JupyterLab over HTTPS",
        "connect from a local IDE",
        "CPU",
        "X86_64",
        "UNKNOWN",
        "PRIVATE",
        "CUSTOMIZE",
        "DEDICATED",
        "3.14 GiB",
        "2022-12-22 11:30:30 UTC",
        ACTIVE["swr_path"],
    ):
        assert expected in text, expected
    assert 'title="3376133259 bytes"' in card
    assert 'title="2022-12-22T11:30:30.448Z"' in card
    assert "#1a7f37" in card  # the ACTIVE badge is green


def test_card_is_self_contained() -> None:
    card = image(status="CREATE_FAILED", status_message="boom")._repr_mimebundle_()["text/html"]
    assert "<script" not in card.lower()
    assert "<style" not in card.lower()
    assert not re.search(r"(src|href)\s*=", card, re.I)
    assert "url(" not in card
    assert "class=" in card and "style=" in card


@pytest.mark.parametrize(
    ("status", "colour"),
    [("INIT", "#0969da"), ("CREATING", "#0969da"), ("CREATE_FAILED", "#cf222e"), ("ERROR", "#cf222e")],
)
def test_status_badge_is_coloured_by_state(status: str, colour: str) -> None:
    card = image(status=status)._repr_mimebundle_()["text/html"]
    assert colour in card
    assert f'data-status="{status}"' in card


def test_failed_image_shows_why() -> None:
    failed = image(status="CREATE_FAILED", status_message="layer sha256:abc failed to download")
    bundle = failed._repr_mimebundle_()
    assert "Why it failed" in bundle["text/html"]
    assert "layer sha256:abc failed to download" in visible_text(bundle["text/html"])
    assert "[CREATE_FAILED]" in bundle["text/plain"]
    assert "layer sha256:abc failed to download" in bundle["text/plain"]


@pytest.mark.parametrize("field", ["description", "name", "status_message", "namespace", "swr_path", "tag"])
def test_hostile_values_are_escaped(field: str) -> None:
    card = image(**{field: HOSTILE}, status="CREATE_FAILED")._repr_mimebundle_()["text/html"]
    assert "<script>" not in card
    assert "&lt;script&gt;" in card


def test_hostile_unknown_dev_service_and_extra_field_are_escaped() -> None:
    hostile = image(dev_services=['"><img src=x onerror=alert(1)>', "SSH"], flavor_type=HOSTILE)
    card = hostile._repr_mimebundle_()["text/html"]
    assert "<img" not in card
    assert "&quot;&gt;&lt;img" in card
    assert "<script>" not in card


def test_attribute_values_cannot_break_out() -> None:
    card = image(size='1" onmouseover="alert(1)', create_at='" onclick="x')._repr_mimebundle_()["text/html"]
    assert 'onmouseover="' not in card
    assert 'onclick="' not in card


def test_unknown_enum_values_are_shown_as_they_come() -> None:
    odd = image(dev_services=["AI_FLOW", "SSH"], status="QUARANTINED", service_type="ROBOTICS")
    bundle = odd._repr_mimebundle_()
    text = visible_text(bundle["text/html"])
    assert "AI_FLOW" in text
    assert "QUARANTINED" in text
    assert "ROBOTICS" in text
    assert "A status this version does not know" in bundle["text/html"]
    assert "[QUARANTINED]" in bundle["text/plain"]
    assert "AI_FLOW" in bundle["text/plain"]
    assert bundle[IMAGE_MIME_TYPE]["dev_services"] == ["AI_FLOW", "SSH"]


def test_list_example_with_ai_flow_and_missing_fields() -> None:
    page = json.loads((EXAMPLES / "list-response.json").read_text())
    for item in page["data"]:
        bundle = Image.model_validate(item)._repr_mimebundle_()
        assert item["name"] in bundle["text/html"]
        assert "Size" not in visible_text(bundle["text/html"])  # built-in images send no size


def test_missing_fields_are_fine() -> None:
    bundle = Image.model_validate({"id": "only-an-id"})._repr_mimebundle_()
    assert "only-an-id" in bundle["text/html"]
    assert "UNKNOWN" in bundle["text/html"]
    assert bundle["text/plain"].startswith("Image only-an-id [UNKNOWN]")
    assert "none (no notebook access)" in bundle["text/html"]


def test_plain_text_is_short_and_terminal_safe() -> None:
    plain = image(name="evil\x1b[31mred\nnext")._repr_mimebundle_()["text/plain"]
    assert plain.splitlines()[0].startswith("Image evil\\x1b[31mred\\nnext:")
    assert "\x1b" not in plain
    assert len(plain.splitlines()) <= 6
    assert "NOTEBOOK (open JupyterLab over HTTPS), SSH (connect from a local IDE)" in plain


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        (None, None, {IMAGE_MIME_TYPE, "text/html", "text/plain"}),
        (["text/plain"], None, {"text/plain"}),
        (None, ["text/html"], {IMAGE_MIME_TYPE, "text/plain"}),
        ([IMAGE_MIME_TYPE, "text/html"], ["text/html"], {IMAGE_MIME_TYPE}),
        ([], None, set()),
    ],
)
def test_include_exclude_are_honoured(include, exclude, expected) -> None:
    assert set(image_mimebundle(image(), include=include, exclude=exclude)) == expected


def test_ipython_display_respects_exclude() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    data, _ = InteractiveShell.instance().display_formatter.format(image(), exclude={"text/html"})
    assert "text/html" not in data
    assert IMAGE_MIME_TYPE in data


def test_offers_are_the_models_offers() -> None:
    assert display._DEV_SERVICE_OFFERS == DEV_SERVICE_OFFERS


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.00 KiB"), (3376133259, "3.14 GiB"), ("2048", "2.00 KiB")],
)
def test_sizes_use_binary_units(value, text) -> None:
    assert format_size(value) == text


def test_bad_sizes_and_times_are_none() -> None:
    assert format_size(-1) is None
    assert format_size("lots") is None
    assert format_time("yesterday") is None
    assert format_time(1671708630) == format_time(1671708630000)  # seconds are accepted too


def test_images_table_lists_every_image() -> None:
    page = json.loads((EXAMPLES / "list-response.json").read_text())
    images = [Image.model_validate(item) for item in page["data"]] + [image(name=HOSTILE)]
    bundle = images_table(images)
    assert set(bundle) == {"text/html", "text/plain"}
    assert "3 images" in bundle["text/plain"]
    assert "<script>" not in bundle["text/html"]
    assert "AI_FLOW" in bundle["text/html"]
    lines = bundle["text/plain"].splitlines()
    assert lines[1].split()[:2] == ["Image", "Status"]
    assert len(lines) == 3 + len(images)
    assert images_table([])["text/plain"].endswith("No images.")


def test_request_preview_shows_method_url_headers_and_pretty_body() -> None:
    bundle = request_preview(
        {
            "method": "POST",
            "url": "https://modelarts.example/v1/p1/images",
            "headers": {"X-Auth-Token": "MIIE…Xw", "Content-Type": "application/json"},
            "body": json.dumps({"swr_path": "swr.example/ns/<b>img</b>:1", "arch": "X86_64"}),
        }
    )
    plain = bundle["text/plain"]
    assert "POST https://modelarts.example/v1/p1/images" in plain
    assert "X-Auth-Token: MIIE…Xw" in plain
    assert '  "arch": "X86_64"' in plain  # pretty JSON
    assert "nothing was sent" in plain
    assert "<b>img</b>" not in bundle["text/html"]
    assert "&lt;b&gt;img" in bundle["text/html"]


def test_display_imports_nothing_heavy() -> None:
    code = (
        "import sys, modelarts_magic.display as d; "
        "d.image_mimebundle({'id': 'x', 'status': 'ACTIVE'}); "
        "print(sorted(m for m in ('pydantic', 'httpx', 'ipywidgets', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
