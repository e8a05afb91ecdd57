"""The registration form, driven headless against the emulator on loopback."""

from __future__ import annotations

import base64
import json
import statistics
import time
from urllib.parse import quote, quote_plus

import pytest

from modelarts_magic.client import ModelArtsClient
from modelarts_magic.context import Context
from modelarts_magic.emulator import Emulator
from modelarts_magic.exceptions import InvalidRequestError
from modelarts_magic.models import DEV_SERVICE_OFFERS, field_specs
from modelarts_magic.widgets import ImageWidget, RegisterImageForm, iter_widgets

GOOD = "swr.eu-de.otc.t-systems.com/my-team/my-image:1.0"


def registered(emu: Emulator) -> list[dict]:
    return emu.store.images()


def test_fields_are_generated_from_the_model() -> None:
    form = RegisterImageForm()
    specs = field_specs()
    assert list(form.fields) == [spec.name for spec in specs]
    for spec in specs:
        field = form.fields[spec.name]
        if spec.kind == "choice":
            assert [value for _, value in field.options] == ["", *spec.choices]
        elif spec.kind == "multi":
            assert field.choices == spec.choices
    # services say what each offers
    services = form.fields["services"]
    for name, offer in DEV_SERVICE_OFFERS.items():
        assert offer in services.buttons[name].description


def test_fill_and_register_creates_the_image(context: Context, emu: Emulator) -> None:
    form = RegisterImageForm(context=context, follow_interval=0.05)
    assert form.register_button.disabled  # swr_path is required
    form.fields["swr_path"].value = GOOD
    form.fields["arch"].value = "X86_64"
    form.fields["resource_category"].value = ("CPU", "GPU")
    form.fields["services"].value = ("NOTEBOOK", "SSH")
    form.fields["visibility"].value = "PRIVATE"
    form.fields["description"].value = "from the form"
    assert form.errors == {}
    assert not form.register_button.disabled

    form.register_button.click()

    assert form.image is not None
    (stored,) = registered(emu)
    assert stored["id"] == form.image.id
    assert stored["name"] == "my-image" and stored["tag"] == "1.0"
    assert stored["description"] == "from the form"
    assert sorted(stored["dev_services"]) == ["NOTEBOOK", "SSH"]
    assert stored["workspace_id"] == "ws-team-a"  # pre-filled from the context
    assert emu.requests_seen["register"] == 1
    assert "registered my-image:1.0" in form.message_text
    (widget,) = form.result.children
    assert isinstance(widget, ImageWidget)
    assert widget is form.image_widget
    assert widget.wait(timeout=10).status == "ACTIVE"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("swr.eu-de.otc.t-systems.com/My-Team/img:1.0", "invalid namespace"),
        ("swr.eu-de.otc.t-systems.com/my-team/img", "has no tag"),
        ("https://swr.eu-de.otc.t-systems.com/my-team/img:1", "scheme"),
        ("   ", "is required"),
    ],
)
def test_invalid_swr_path_keeps_register_disabled_and_says_why(
    value: str, words: str, context: Context, emu: Emulator
) -> None:
    form = RegisterImageForm(context=context)
    form.fields["swr_path"].value = value
    assert form.register_button.disabled
    assert form.dry_run_button.disabled
    assert words in form.errors["swr_path"]
    assert words in form.notes["swr_path"].value
    form.register_button.click()  # a click that slips through still sends nothing
    assert emu.requests_seen.get("register", 0) == 0
    assert form.image is None
    assert "fix the 1 field" in form.message_text


def test_error_appears_when_typed_and_goes_when_fixed(context: Context) -> None:
    form = RegisterImageForm(context=context)
    assert form.notes["swr_path"].value == ""  # a pristine required field is not shouted at
    form.fields["swr_path"].value = "swr.eu-de.otc.t-systems.com/my-team/img:"
    assert "empty tag" in form.notes["swr_path"].value
    form.fields["swr_path"].value = GOOD
    assert "swr_path" not in form.errors
    assert "namespace <b>my-team</b>" in form.notes["swr_path"].value
    assert not form.register_button.disabled


def test_description_counter_and_limit(context: Context) -> None:
    form = RegisterImageForm(context=context, initial={"swr_path": GOOD})
    assert form.counter_text == "0/512"
    form.fields["description"].value = "héllo wörld"
    assert form.counter_text == "11/512"
    form.fields["description"].value = "x" * 513
    assert form.counter_text == "513/512"
    assert "at most 512" in form.notes["description"].value
    assert form.register_button.disabled
    form.fields["description"].value = "x" * 512
    assert not form.register_button.disabled


def test_initial_values_and_context_prefill(context: Context) -> None:
    form = RegisterImageForm(
        context=context,
        initial={"swr_path": GOOD, "arch": "aarch64", "services": "ssh", "resource_category": ["gpu"]},
    )
    assert form.values() == {
        "swr_path": GOOD,
        "arch": "AARCH64",
        "resource_category": ["GPU"],
        "services": ["SSH"],
        "workspace_id": "ws-team-a",
    }
    assert "MODELARTS_WORKSPACE_ID" in form.notes["workspace_id"].value
    assert "the local emulator" not in form.header.value  # resolved from env, not %modelarts emulator


def test_bad_initial_value_is_shown_not_raised(context: Context) -> None:
    form = RegisterImageForm(context=context, initial={"swr_path": GOOD, "arch": "sparc"})
    assert form.fields["arch"].value == ""
    assert "ignored" in form.notes["arch"].value
    with pytest.raises(InvalidRequestError, match="swr_pth"):
        RegisterImageForm(context=context, initial={"swr_pth": GOOD})


def test_dry_run_shows_the_request_and_sends_nothing(
    context: Context, emu: Emulator, credentials: tuple[str, str]
) -> None:
    form = RegisterImageForm(context=context, initial={"swr_path": GOOD, "arch": "X86_64"})
    form.dry_run_button.click()
    assert emu.requests_seen == {}
    assert form.image is None
    preview = form.last_preview
    assert preview is not None
    assert preview["method"] == "POST"
    assert preview["url"].endswith(f"/v1/{context.get('project_id')}/images")
    assert preview["body"]["swr_path"] == GOOD
    (output,) = form.preview.outputs
    text = output["data"]["text/plain"]
    assert "nothing was sent" in text
    assert f'"swr_path": "{GOOD}"' in text
    assert credentials[1] not in json.dumps(output)
    assert "nothing was sent" in form.message_text


def test_service_error_is_shown_with_its_hint(context: Context, emu: Emulator) -> None:
    form = RegisterImageForm(
        context=context, initial={"swr_path": "swr.eu-de.otc.t-systems.com/no-such-ns/x:1"}
    )
    form.register_button.click()
    assert form.image is None
    assert form.service_error is not None
    assert "ModelArts.2885" in form.message_text
    assert "grant access" in form.message_text  # the client's fix hint
    assert "ModelArts.2885" in form.notes["swr_path"].value  # next to the field it concerns
    assert not form.register_button.disabled  # the user may fix SWR permissions and retry
    assert registered(emu) == []


def test_conflict_is_reported_and_not_registered_twice(client: ModelArtsClient, emu: Emulator) -> None:
    client.register_image(swr_path=GOOD)
    form = RegisterImageForm(client=client, initial={"swr_path": GOOD})
    form.register_button.click()
    assert "ModelArts.2884" in form.message_text
    assert len(registered(emu)) == 1


def test_no_context_or_client_is_a_clear_message() -> None:
    form = RegisterImageForm(initial={"swr_path": GOOD})
    form.register_button.click()
    assert "no client or context" in form.message_text


def test_register_button_is_disabled_while_in_flight(client: ModelArtsClient, emu: Emulator) -> None:
    emu.faults.latency = 0.4
    form = RegisterImageForm(client=client, initial={"swr_path": GOOD}, background=True)
    form.register_button.click()
    assert form.register_button.disabled
    form.register_button.click()  # a second click while busy does nothing
    deadline = time.monotonic() + 10
    while form.busy and time.monotonic() < deadline:
        time.sleep(0.02)
    assert form.image is not None
    assert not form.register_button.disabled
    assert emu.requests_seen["register"] == 1
    form.image_widget.stop()


def _secret_forms(secret: str) -> set[str]:
    raw = secret.encode()
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


def test_no_credential_in_any_widget_state(
    context: Context, emu: Emulator, credentials: tuple[str, str]
) -> None:
    form = RegisterImageForm(context=context, initial={"swr_path": GOOD}, follow_interval=0.05)
    form.dry_run_button.click()
    form.register_button.click()
    assert form.image_widget is not None
    form.image_widget.wait(timeout=10)
    form.fields["swr_path"].value = "swr.eu-de.otc.t-systems.com/no-such-ns/x:1"
    form.register_button.click()  # a service error path too

    states = [json.dumps(widget.get_state(), default=str) for widget in iter_widgets(form)]
    assert len(states) > 40  # the walk reached the fields, the preview and the image widget
    blob = "\n".join(states)
    assert '"status": "ACTIVE"' in blob  # the card's MIME bundle is in the Output's state
    assert "nothing was sent" in blob  # and so is the dry-run preview
    for secret in credentials:
        for shown in _secret_forms(secret):
            assert shown not in blob, "a credential is kept in widget state"


def test_validation_per_keystroke_is_under_2_ms(context: Context) -> None:
    form = RegisterImageForm(context=context, initial={"description": "d" * 300, "services": "SSH"})
    field = form.fields["swr_path"]
    text = GOOD
    for char in text[:10]:  # warm-up
        field.value += char
    field.value = ""
    timings = []
    for char in text * 3:
        start = time.perf_counter()
        field.value += char
        timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.002
