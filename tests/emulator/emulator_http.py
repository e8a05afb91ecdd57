"""Talking to the emulator over loopback with plain httpx and `signing.py` (never the client).

`SignedAuth` signs like Huawei's SDK (Host, X-Sdk-Date, X-Project-Id, Content-Type); its knobs
make the deliberately wrong requests the gatekeeper tests need.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx

from modelarts_magic import signing
from modelarts_magic.emulator import DEMO

SEED_SWR_PATH = "swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7"
SEED_REQUEST = {"description": "", "resource_category": ["CPU"], "arch": "X86_64", "swr_path": SEED_SWR_PATH}
MY_TEAM_PATH = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


class SignedAuth(httpx.Auth):
    """AK/SK `SDK-HMAC-SHA256` signing for httpx, with knobs for wrong requests."""

    requires_request_body = True

    def __init__(
        self,
        ak: str = DEMO.ak,
        sk: str = DEMO.sk,
        project_id: str | None = DEMO.project_id,
        *,
        date: str | None = None,
        sign_host: bool = True,
        body_after_signing: bytes | None = None,
    ) -> None:
        self.ak, self.sk, self.project_id = ak, sk, project_id
        self.date = date
        self.sign_host = sign_host
        self.body_after_signing = body_after_signing

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Sdk-Date"] = self.date or signing.sdk_date()
        if self.project_id is not None:
            request.headers["X-Project-Id"] = self.project_id
        names = ["X-Sdk-Date", "X-Project-Id", "Content-Type"] + (["Host"] if self.sign_host else [])
        to_sign = {name: request.headers[name] for name in names if name in request.headers}
        path = request.url.raw_path.split(b"?", 1)[0].decode()
        date = to_sign["X-Sdk-Date"]
        signed = signing.signed_header_names(to_sign)
        canonical = signing.canonical_request(
            request.method, path, request.url.params.multi_items(), to_sign, request.content, signed
        )
        request.headers["Authorization"] = (
            f"{signing.ALGORITHM} Access={self.ak}, SignedHeaders={';'.join(signed)}, "
            f"Signature={signing.signature(self.sk, date, canonical)}"
        )
        if self.body_after_signing is not None:
            request.stream = httpx.ByteStream(self.body_after_signing)
            request.headers["Content-Length"] = str(len(self.body_after_signing))
        yield request


def images_path(project_id: str = DEMO.project_id) -> str:
    """`/v1/{project_id}/images`."""
    return f"/v1/{project_id}/images"


def signed_client(url: str, **auth: Any) -> httpx.Client:
    """An httpx client on `url` signing every request with `SignedAuth(**auth)`."""
    return httpx.Client(base_url=url, auth=SignedAuth(**auth), timeout=10)


def token_body(
    user: str = DEMO.user,
    password: str = DEMO.password,
    domain: str = DEMO.domain,
    project: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A Keystone v3 password-auth body."""
    body: dict[str, Any] = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}},
            }
        }
    }
    if project is not None:
        body["auth"]["scope"] = {"project": project}
    return body


def get_token(url: str, **body: Any) -> str:
    """A token from the emulator's IAM (scoped to the demo project by name unless told otherwise)."""
    body.setdefault("project", {"name": DEMO.project_name})
    response = httpx.post(f"{url}/v3/auth/tokens", json=token_body(**body))
    assert response.status_code == 201, response.text
    return response.headers["X-Subject-Token"]


def error_of(response: httpx.Response) -> tuple[int, str]:
    """`(status, error_code)` of an error answer."""
    return response.status_code, response.json().get("error_code", "")
