"""The emulator's IAM: Keystone v3 password tokens and the project lookup."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest
from emulator_http import error_of, signed_client, token_body

from modelarts_magic.emulator import DEMO, Emulator


def post_token(url: str, body: object, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/v3/auth/tokens", json=body, params=params)


@pytest.mark.parametrize("scope", [{"name": DEMO.project_name}, {"id": DEMO.project_id}])
def test_password_token_scoped_to_the_project(emulator: Emulator, scope: dict[str, str]) -> None:
    response = post_token(emulator.url, token_body(project=scope))
    assert response.status_code == 201
    token = response.json()["token"]
    assert response.headers["X-Subject-Token"].startswith("MII")
    assert token["project"]["id"] == DEMO.project_id and token["project"]["name"] == "eu-de"
    expires = datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
    hours = (expires - datetime.now(timezone.utc)).total_seconds() / 3600
    assert 23.9 < hours <= 24
    modelarts = next(s for s in token["catalog"] if s["type"] == "modelarts")
    assert modelarts["endpoints"][0]["url"] == emulator.url
    assert response.headers["X-Subject-Token"] not in response.text


def test_catalog_can_be_left_out(emulator: Emulator) -> None:
    response = post_token(emulator.url, token_body(project={"name": "eu-de"}), nocatalog="true")
    assert "catalog" not in response.json()["token"]


@pytest.mark.parametrize(
    "body",
    [
        token_body(password="wrong", project={"name": "eu-de"}),
        token_body(user="someone-else", project={"name": "eu-de"}),
        token_body(domain="other-domain", project={"name": "eu-de"}),
        token_body(project={"name": "ap-southeast-1"}),
    ],
)
def test_wrong_credentials_or_scope_get_keystones_401(emulator: Emulator, body: dict[str, object]) -> None:
    response = post_token(emulator.url, body)
    assert response.status_code == 401
    error = response.json()["error"]
    assert (error["code"], error["title"]) == (401, "Unauthorized")
    assert "X-Subject-Token" not in response.headers
    assert "wrong" not in response.text


def test_malformed_token_request_is_400(emulator: Emulator) -> None:
    assert post_token(emulator.url, {"auth": {}}).status_code == 400
    assert httpx.post(f"{emulator.url}/v3/auth/tokens", content=b"not json").status_code == 400


def test_projects_lookup_by_name_with_token_or_aksk(emulator: Emulator) -> None:
    token = post_token(emulator.url, token_body(project={"name": "eu-de"})).headers["X-Subject-Token"]
    by_token = httpx.get(
        f"{emulator.url}/v3/projects", params={"name": "eu-de"}, headers={"X-Auth-Token": token}
    )
    assert [p["id"] for p in by_token.json()["projects"]] == [DEMO.project_id]
    with signed_client(emulator.url, project_id=None) as client:
        by_aksk = client.get("/v3/projects", params={"name": "eu-de"})
        other = client.get("/v3/projects", params={"name": "cn-north-4"})
    assert by_aksk.json()["projects"][0]["name"] == "eu-de"
    assert other.json()["projects"] == []
    assert error_of(httpx.get(f"{emulator.url}/v3/projects")) == (401, "ModelArts.0201")
