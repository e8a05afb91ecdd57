"""The emulator refuses what the real gateway refuses, with the real codes (issue 8 item 5)."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from emulator_http import (
    MY_TEAM_PATH,
    SignedAuth,
    error_of,
    get_token,
    images_path,
    signed_client,
)

from modelarts_magic import signing
from modelarts_magic.emulator import DEMO, Emulator

OTHER_PROJECT = "ffffffffffffffffffffffffffffffff"


def test_signed_request_is_accepted(emulator: Emulator) -> None:
    with signed_client(emulator.url) as client:
        response = client.get(images_path(), params={"limit": 5, "name": "pytorch"})
    assert response.status_code == 200, response.text
    assert response.headers["X-Request-Id"]


def test_unsigned_request_is_refused_as_token_missing(emulator: Emulator) -> None:
    response = httpx.post(emulator.url + images_path(), json={"swr_path": MY_TEAM_PATH})
    assert error_of(response) == (401, "ModelArts.0201")
    assert emulator.store.images() == []


def test_wrong_secret_key_is_refused(emulator: Emulator) -> None:
    with signed_client(emulator.url, sk="not-the-secret-key-at-all") as client:
        response = client.post(images_path(), json={"swr_path": MY_TEAM_PATH})
    assert error_of(response) == (403, "ModelArts.0206")
    assert "signature does not match" in response.json()["error_msg"]
    assert emulator.store.images() == []


def test_body_changed_after_signing_is_refused(emulator: Emulator) -> None:
    tampered = json.dumps({"swr_path": MY_TEAM_PATH, "visibility": "PUBLIC"}).encode()
    with signed_client(emulator.url, body_after_signing=tampered) as client:
        response = client.post(images_path(), json={"swr_path": MY_TEAM_PATH})
    assert error_of(response) == (403, "ModelArts.0206")
    assert emulator.store.images() == []


def test_unknown_access_key_is_refused_and_not_echoed_whole(emulator: Emulator) -> None:
    ak = "UNKNOWNACCESSKEY12345"
    with signed_client(emulator.url, ak=ak) as client:
        response = client.get(images_path())
    assert error_of(response) == (403, "ModelArts.0206")
    assert ak not in response.text and "not known" in response.text


def test_signature_without_host_is_refused(emulator: Emulator) -> None:
    with signed_client(emulator.url, sign_host=False) as client:
        response = client.get(images_path())
    assert error_of(response) == (403, "ModelArts.0206")
    assert "host and x-sdk-date" in response.json()["error_msg"]


def test_other_authorization_scheme_is_refused(emulator: Emulator) -> None:
    response = httpx.get(emulator.url + images_path(), headers={"Authorization": "Bearer abc"})
    assert error_of(response) == (403, "ModelArts.0206")


@pytest.mark.parametrize("minutes", [-16, 16, 60 * 24])
def test_request_signed_more_than_15_minutes_off_is_refused(emulator: Emulator, minutes: int) -> None:
    date = signing.sdk_date(datetime.now(timezone.utc) + timedelta(minutes=minutes))
    with signed_client(emulator.url, date=date) as client:
        response = client.get(images_path())
    assert error_of(response) == (401, "APIG.0301")
    assert "15" in response.json()["error_msg"] and date in response.json()["error_msg"]


def test_request_signed_14_minutes_ago_is_still_accepted(emulator: Emulator) -> None:
    date = signing.sdk_date(datetime.now(timezone.utc) - timedelta(minutes=14))
    with signed_client(emulator.url, date=date) as client:
        assert client.get(images_path()).status_code == 200


def test_captured_request_replayed_after_the_skew_window_is_refused(emulator: Emulator) -> None:
    request = httpx.Request("POST", emulator.url + images_path(), json={"swr_path": MY_TEAM_PATH})
    signed = next(SignedAuth().auth_flow(request))
    with httpx.Client() as client:
        first = client.send(signed)
        assert first.status_code == 200, first.text
        emulator.store.reset()  # the image is gone, so only the gateway can refuse the replay
        emulator.faults.clock_offset = 16 * 60  # sixteen minutes later
        replay = client.send(signed)
    assert error_of(replay) == (401, "APIG.0301")
    assert emulator.store.images() == []


def test_url_project_other_than_the_credentials_project_is_refused(emulator: Emulator) -> None:
    with signed_client(emulator.url, project_id=None) as client:
        response = client.get(images_path(OTHER_PROJECT))
    assert error_of(response) == (403, "ModelArts.0210")


def test_x_project_id_other_than_the_url_project_is_refused(emulator: Emulator) -> None:
    with signed_client(emulator.url, project_id=OTHER_PROJECT) as client:
        response = client.get(images_path())
    assert error_of(response) == (403, "ModelArts.0210")
    assert OTHER_PROJECT in response.json()["error_msg"]


def test_token_is_accepted_and_scoped_to_its_project(emulator: Emulator) -> None:
    token = get_token(emulator.url)
    ok = httpx.get(emulator.url + images_path(), headers={"X-Auth-Token": token})
    assert ok.status_code == 200
    wrong = httpx.get(emulator.url + images_path(OTHER_PROJECT), headers={"X-Auth-Token": token})
    assert error_of(wrong) == (403, "ModelArts.0210")


def test_unscoped_token_is_refused_for_project_calls(emulator: Emulator) -> None:
    response = httpx.post(f"{emulator.url}/v3/auth/tokens", json={"auth": get_body_without_scope()})
    token = response.headers["X-Subject-Token"]
    answer = httpx.get(emulator.url + images_path(), headers={"X-Auth-Token": token})
    assert error_of(answer) == (403, "ModelArts.0210")


def get_body_without_scope() -> dict[str, object]:
    user = {"name": DEMO.user, "password": DEMO.password, "domain": {"name": DEMO.domain}}
    return {"identity": {"methods": ["password"], "password": {"user": user}}}


def test_forged_token_is_refused_as_invalid(emulator: Emulator) -> None:
    token = get_token(emulator.url)
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    for value in (forged, "MIIsomething-else", "garbage"):
        response = httpx.get(emulator.url + images_path(), headers={"X-Auth-Token": value})
        assert error_of(response) == (401, "ModelArts.0203")


def test_expired_tokens_are_refused_and_a_new_one_works(emulator: Emulator) -> None:
    token = get_token(emulator.url)
    emulator.expire_tokens()
    response = httpx.get(emulator.url + images_path(), headers={"X-Auth-Token": token})
    assert error_of(response) == (401, "ModelArts.0202")
    fresh = get_token(emulator.url)
    assert httpx.get(emulator.url + images_path(), headers={"X-Auth-Token": fresh}).status_code == 200


def test_tokens_expire_after_their_ttl() -> None:
    with Emulator(token_ttl=1.0) as emu:
        token = get_token(emu.url)
        headers = {"X-Auth-Token": token}
        assert httpx.get(emu.url + images_path(), headers=headers).status_code == 200
        time.sleep(1.1)
        assert error_of(httpx.get(emu.url + images_path(), headers=headers)) == (401, "ModelArts.0202")


def test_other_credentials_replace_the_demo_ones() -> None:
    with Emulator(ak="MYOWNACCESSKEY000001", sk="my-own-secret", project_id="p" * 32) as emu:
        with signed_client(emu.url, ak="MYOWNACCESSKEY000001", sk="my-own-secret", project_id="p" * 32) as c:
            assert c.get(images_path("p" * 32)).status_code == 200
        with signed_client(emu.url) as demo_client:
            assert error_of(demo_client.get(images_path("p" * 32))) == (403, "ModelArts.0206")


def test_every_answer_carries_a_request_id(emulator: Emulator) -> None:
    answers = [
        httpx.get(emulator.url + images_path()),
        httpx.get(emulator.url + "/v1/nothing/here/at/all"),
        httpx.post(f"{emulator.url}/v3/auth/tokens", json={}),
        httpx.get(f"{emulator.url}/_emulator/health"),
    ]
    ids = {answer.headers.get("X-Request-Id") for answer in answers}
    assert None not in ids and len(ids) == len(answers)


def test_unknown_route_answers_like_the_gateway(emulator: Emulator) -> None:
    response = httpx.get(emulator.url + "/v2/whatever")
    assert error_of(response) == (404, "APIG.0101")
    wrong_method = httpx.put(emulator.url + images_path())
    assert wrong_method.status_code == 405 and wrong_method.json()["error_code"] == "APIG.0101"
