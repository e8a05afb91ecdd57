"""Transport safety (issue 8, item 6): TLS verified, plain http refused off loopback, timeouts always set.

Also the construction errors a user meets first, and the error body shapes and hints table.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from modelarts_magic._transport import ERROR_HINTS, api_error, hint_for, parse_error_body
from modelarts_magic.client import DEFAULT_TIMEOUT, ModelArtsClient
from modelarts_magic.exceptions import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    TLSError,
)

AK, SK = "AKEXAMPLEEXAMPLE0001", "sk-example-example-example-example-0001"


class _ImageHandler(BaseHTTPRequestHandler):
    """Answers any GET with an image whose id is the last path segment."""

    def do_GET(self) -> None:
        body = json.dumps({"id": self.path.rsplit("/", 1)[-1], "status": "ACTIVE"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTPS server with a self-signed certificate: (url, path of the certificate)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_by_default_and_failure_says_what_to_do(https_server: tuple[str, Path]) -> None:
    url, _ = https_server
    with ModelArtsClient(endpoint=url, project_id="p1", ak=AK, sk=SK, max_retries=0) as client:
        with pytest.raises(TLSError) as info:
            client.get_image("abc")
    message = str(info.value)
    assert "127.0.0.1" in message
    assert "verify=" in message
    assert SK not in message


def test_a_private_ca_bundle_is_accepted(https_server: tuple[str, Path]) -> None:
    url, cert = https_server
    with ModelArtsClient(endpoint=url, project_id="p1", ak=AK, sk=SK, verify=str(cert)) as client:
        assert client.get_image("abc").id == "abc"


def test_a_missing_ca_bundle_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="verify="):
        ModelArtsClient(
            endpoint="https://modelarts.example.com",
            project_id="p1",
            ak=AK,
            sk=SK,
            verify=str(tmp_path / "none.pem"),
        )


def test_plain_http_to_a_remote_host_is_refused_at_construction() -> None:
    with pytest.raises(InsecureTransportError) as info:
        ModelArtsClient(endpoint="http://modelarts.eu-de.otc.t-systems.com", project_id="p1", ak=AK, sk=SK)
    assert "https://" in str(info.value)
    assert "allow_insecure_http" in str(info.value)


def test_plain_http_is_allowed_to_loopback_or_when_asked() -> None:
    ModelArtsClient(endpoint="http://127.0.0.1:9", project_id="p1", ak=AK, sk=SK).close()
    ModelArtsClient(endpoint="http://localhost:9", project_id="p1", ak=AK, sk=SK).close()
    ModelArtsClient(
        endpoint="http://modelarts.internal", project_id="p1", ak=AK, sk=SK, allow_insecure_http=True
    ).close()


@pytest.mark.parametrize("timeout", [None, httpx.Timeout(None), httpx.Timeout(10, read=None), 0, "30"])
def test_a_call_can_never_be_left_without_a_timeout(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        ModelArtsClient(
            endpoint="https://modelarts.example.com", project_id="p1", ak=AK, sk=SK, timeout=timeout
        )  # type: ignore[arg-type]


def test_the_default_timeout_sets_every_phase() -> None:
    assert None not in (
        DEFAULT_TIMEOUT.connect,
        DEFAULT_TIMEOUT.read,
        DEFAULT_TIMEOUT.write,
        DEFAULT_TIMEOUT.pool,
    )


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"ak": AK}, "sk is missing"),
        ({"ak": AK, "sk": SK, "token": "t" * 30}, "several schemes"),
        ({}, "no credentials"),
        ({"ak": AK, "sk": SK, "project_id": None}, "project_id is missing"),
        ({"ak": AK, "sk": SK, "project_id": "a/b"}, "not a project ID"),
        ({"username": "u", "password": "p", "domain": "d", "project_name": "eu-de"}, "iam_endpoint"),
        ({"ak": AK, "sk": SK, "max_retries": -1}, "max_retries"),
    ],
)
def test_construction_mistakes_say_what_to_give(settings: dict[str, object], words: str) -> None:
    full: dict[str, object] = {"project_id": "p1", **settings}
    with pytest.raises(ConfigurationError) as info:
        ModelArtsClient(endpoint="https://private.example.com", **full)  # type: ignore[arg-type]
    assert words in str(info.value)
    assert SK not in str(info.value)


def test_the_iam_endpoint_follows_the_modelarts_one() -> None:
    client = ModelArtsClient(
        endpoint="https://modelarts.eu-de.otc.t-systems.com",
        username="u",
        password="secret-password",
        domain="d",
        project_name="eu-de",
    )
    with client:
        assert "iam.eu-de.otc.t-systems.com" in repr(client)
        assert "secret-password" not in repr(client)


# -- error bodies and hints (pure functions, no network) ----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": "ModelArts.2885", "error_msg": "no namespace", "error_solution": "create it"},
        {"errorCode": "ModelArts.2885", "errorMsg": "no namespace"},
        {"code": "ModelArts.2885", "message": "no namespace"},
    ],
)
def test_all_three_error_body_shapes_are_read(body: dict[str, str]) -> None:
    code, message, _ = parse_error_body(json.dumps(body).encode())
    assert (code, message) == ("ModelArts.2885", "no namespace")


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "https://modelarts.example.com/v1/p1/images")
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "ModelArts.2884", ConflictError),
        (400, "ModelArts.2885", NotFoundError),
        (400, "ModelArts.6797", NotFoundError),
        (403, "ModelArts.0206", AuthenticationError),
        (401, "APIG.0301", AuthenticationError),
        (401, "ModelArts.0202", AuthenticationError),
        (403, "ModelArts.0210", PermissionDeniedError),
        (404, "ModelArts.6404", NotFoundError),
        (503, "APIG.0203", ServerError),
    ],
)
def test_errors_map_to_the_hierarchy(status: int, code: str, kind: type[Exception]) -> None:
    error = api_error(_response(status, {"error_code": code, "error_msg": "m"}, {"X-Request-Id": "rid-1"}))
    assert type(error) is kind
    assert error.request_id == "rid-1"
    assert error.hint


def test_a_non_json_error_body_is_shown_as_text_on_one_line() -> None:
    error = api_error(_response(502, b"<html>\n<body>Bad gateway</body>\n</html>"))
    assert isinstance(error, ServerError)
    assert "\n" not in str(error)
    assert "Bad gateway" in str(error)


@pytest.mark.parametrize(
    "code",
    [
        "0101", "0102", "0104", "0107", "0108", "0201", "0202", "0203", "0206", "0210",
        "2810", "2845", "2884", "2885", "6737", "6771", "6797", "6404",
    ],
)  # fmt: skip
def test_every_documented_code_has_a_hint(code: str) -> None:
    assert f"ModelArts.{code}" in ERROR_HINTS
    assert hint_for(code) == hint_for(f"ModelArts.{code}")


def test_the_documented_hints_say_the_fix() -> None:
    assert "check the AK/SK pair" in (hint_for("ModelArts.0206") or "")
    assert "clock" in (hint_for("APIG.0301") or "") and "NTP" in (hint_for("APIG.0301") or "")
    assert "create it in SWR / grant access" in (hint_for("2885") or "")
    assert "already registered" in (hint_for("2884") or "")


def test_the_hints_fit_what_the_user_did(client: ModelArtsClient) -> None:
    from clienthelpers import SANDBOX

    from modelarts_magic.emulator import DEMO

    # Deleting a built-in image: nobody may, so "ask for rights" alone would send the user astray.
    builtin = next(iter(client.list_images(type="BUILD_IN", limit=1)))
    with pytest.raises(PermissionDeniedError) as denied:
        client.delete_image(builtin.id)
    assert "built-in (BUILD_IN) images cannot be deleted" in str(denied.value)
    # A refused sort_key or a force delete of a PUBLIC image: no swr_path / enum advice.
    public = client.register_image(swr_path=f"{SANDBOX}/shared:1", visibility="PUBLIC")
    refused = []
    for call in (
        lambda: client.list_images_page(sort_key="colour"),
        lambda: client.delete_image(public.id, force=True),
    ):
        with pytest.raises(APIError) as info:
            call()
        assert info.value.error_code == "ModelArts.0101"
        refused.append(str(info.value))
    for text in refused:
        assert "swr_path" not in text and "upper case" not in text
        assert "the message names it" in text
    # Both audiences: the magic's command and the Python call.
    with pytest.raises(NotFoundError) as missing:
        client.get_image("0" * 32)
    assert "`%modelarts images` (or client.list_images())" in str(missing.value)
    with pytest.raises(ConflictError) as twice:
        client.register_image(swr_path=f"{SANDBOX}/shared:1")
    assert "%modelarts images --name" in str(twice.value) and "client.list_images(" in str(twice.value)
    assert DEMO.sk not in str(twice.value)


def test_the_insecure_http_refusal_names_the_notebook_setting_too() -> None:
    with pytest.raises(InsecureTransportError) as info:
        ModelArtsClient(endpoint="http://modelarts.internal", project_id="p1", ak=AK, sk=SK)
    assert "%config RegisterImageMagics.allow_insecure_http = True" in str(info.value)
