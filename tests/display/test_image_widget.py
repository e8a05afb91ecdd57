"""The live Image widget against the emulator: follows INIT -> ACTIVE, shows CREATE_FAILED, deletes."""

from __future__ import annotations

import time

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from modelarts_magic.client import ModelArtsClient
from modelarts_magic.display import IMAGE_MIME_TYPE
from modelarts_magic.emulator import Emulator
from modelarts_magic.exceptions import NotFoundError
from modelarts_magic.models import Image
from modelarts_magic.widgets import ImageWidget, show_image

SWR = "swr.eu-de.otc.t-systems.com/my-team/"


def card_data(widget: ImageWidget) -> dict:
    (output,) = widget.card.outputs
    return output["data"]


def test_refresh_follows_init_to_active(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "my-image:1.0")
    widget = ImageWidget(image, client=client, follow=False)
    assert widget.image.status == "INIT"
    assert widget.progress.value == 1
    assert card_data(widget)[IMAGE_MIME_TYPE]["status"] == "INIT"

    seen = [widget.image.status_text]
    deadline = time.monotonic() + 10
    while not widget.image.is_final and time.monotonic() < deadline:
        time.sleep(0.05)
        seen.append(widget.refresh().status_text)
    assert seen[0] == "INIT"
    assert "CREATING" in seen
    assert seen[-1] == "ACTIVE"
    assert widget.progress.value == 3
    assert widget.progress.bar_style == "success"
    data = card_data(widget)
    assert data[IMAGE_MIME_TYPE]["status"] == "ACTIVE"
    assert "#1a7f37" in data["text/html"]
    assert "ready to use" in widget.status_line.value


def test_background_follow_reaches_active_and_stops(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "sklearn-notebook:1.4")
    widget = ImageWidget(image, client=client, interval=0.05, max_interval=0.2)
    assert widget.following  # not final, so it follows by itself
    assert widget.wait(timeout=10).status == "ACTIVE"
    assert not widget.following
    assert widget.image.status == "ACTIVE"
    assert card_data(widget)[IMAGE_MIME_TYPE]["status"] == "ACTIVE"
    assert 1 <= widget.checks < 30  # backed off, did not hammer the service


def test_create_failed_is_shown_with_its_message(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "broken-cuda:1.0")
    widget = ImageWidget(image, client=client, interval=0.05, max_interval=0.2)
    final = widget.wait(timeout=10)
    assert final.status == "CREATE_FAILED"
    assert final.status_message and "libcuda.so.1" in final.status_message
    html = card_data(widget)["text/html"]
    assert "Why it failed" in html
    assert "libcuda.so.1" in html
    assert "libcuda.so.1" in widget.status_line.value
    assert widget.progress.bar_style == "danger"
    assert not widget.following


def test_stop_ends_following_of_a_slow_image(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "slow-build:1.0")
    widget = ImageWidget(image, client=client, interval=0.05, max_interval=0.1)
    time.sleep(0.5)
    assert widget.following
    widget.stop()
    widget.wait(timeout=5)
    assert not widget.following
    assert widget.image.status == "CREATING"


def test_following_gives_up_at_its_time_limit(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "slow-build:1.0")
    widget = ImageWidget(image, client=client, interval=0.05, max_interval=0.1, timeout=0.3)
    widget.wait(timeout=5)
    assert not widget.following
    assert "press Refresh" in widget.status_line.value


def test_delete_asks_first_then_deletes(client: ModelArtsClient, emu: Emulator) -> None:
    image = client.register_image(swr_path=SWR + "my-image:1.0")
    widget = ImageWidget(image, client=client, follow=False)

    widget.delete_button.click()
    assert widget.confirming
    assert "my-image:1.0" in widget.confirm_label.value
    assert emu.requests_seen.get("delete", 0) == 0

    widget.cancel_button.click()
    assert not widget.confirming
    assert emu.requests_seen.get("delete", 0) == 0
    assert not widget.delete_button.disabled

    widget.delete_button.click()
    widget.confirm_button.click()
    assert emu.requests_seen.get("delete", 0) == 1
    assert widget.image.status == "DELETED"
    assert card_data(widget)[IMAGE_MIME_TYPE]["status"] == "DELETED"
    assert widget.delete_button.disabled
    with pytest.raises(NotFoundError):
        client.get_image(image.id)


def test_refresh_button_updates_the_card(client: ModelArtsClient) -> None:
    image = client.register_image(swr_path=SWR + "my-image:1.0")
    widget = ImageWidget(image, client=client, follow=False)
    time.sleep(0.7)
    widget.refresh_button.click()
    assert widget.image.status == "ACTIVE"
    assert card_data(widget)[IMAGE_MIME_TYPE]["status"] == "ACTIVE"


def test_service_errors_during_refresh_are_shown(client: ModelArtsClient, emu: Emulator) -> None:
    image = client.register_image(swr_path=SWR + "my-image:1.0")
    widget = ImageWidget(image, client=client, follow=False)
    emu.faults.fail_next(1, status=503, methods=("GET",))
    widget.refresh_button.click()
    assert "503" in widget.status_line.value
    assert widget.image.id == image.id


def test_without_a_client_it_is_read_only() -> None:
    widget = ImageWidget(Image(id="abc", status="CREATING"))
    assert not widget.following
    assert widget.refresh_button.disabled
    assert widget.delete_button.disabled
    assert "read-only" in widget.status_line.value


def test_show_image_outside_a_kernel_displays_the_bundle_only(client: ModelArtsClient) -> None:
    InteractiveShell.instance()
    image = client.register_image(swr_path=SWR + "my-image:1.0")
    with capture_output() as captured:
        result = show_image(image, client=client)
    assert result is None
    (output,) = captured.outputs
    assert output.data[IMAGE_MIME_TYPE]["id"] == image.id
    assert "text/html" in output.data


@pytest.mark.parametrize("live", [False, None])
def test_show_image_without_client_or_live_false_shows_no_widget(live) -> None:
    InteractiveShell.instance()
    with capture_output() as captured:
        assert show_image(Image(id="x", status="ACTIVE"), live=live) is None
    assert IMAGE_MIME_TYPE in captured.outputs[0].data
