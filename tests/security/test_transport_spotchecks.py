"""Transport safety seen from the outside (issue 8, item 6), beyond tests/client/test_client_transport.py.

That file checks the client's constructor; these check every httpx client the package really
builds (service calls, async calls, IAM token fetches, the magic's own client) and the magic's
one-line answers to plain http:// and to an untrusted certificate.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from sweep import AK, DOMAIN, GOOD, PASSWORD, PROJECT_ID, SK, USER

from modelarts_magic.auth import PasswordAuth
from modelarts_magic.client import AsyncModelArtsClient, ModelArtsClient
from modelarts_magic.emulator import Emulator


@pytest.fixture
def built_clients(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """(kind, timeout, verify) of every httpx.Client / AsyncClient constructed during the test."""
    seen: list[tuple[str, Any, Any]] = []
    for cls in (httpx.Client, httpx.AsyncClient):
        original = cls.__init__

        def spy(
            self: Any, *args: Any, _original: Any = original, _name: str = cls.__name__, **kwargs: Any
        ) -> None:
            _original(self, *args, **kwargs)
            seen.append((_name, self.timeout, kwargs.get("verify", True)))

        monkeypatch.setattr(cls, "__init__", spy)
    return seen


def _phases(timeout: httpx.Timeout) -> list[float | None]:
    return [timeout.connect, timeout.read, timeout.write, timeout.pool]


def test_every_http_client_the_package_builds_has_timeouts_and_verifies_tls(
    emu: Emulator, built_clients: list[tuple[str, Any, Any]]
) -> None:
    import asyncio

    with ModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=SK) as client:
        client.register_image(swr_path=GOOD)
    with ModelArtsClient(
        emu.url,
        username=USER,
        password=PASSWORD,
        domain=DOMAIN,
        project_name="eu-de",
        iam_endpoint=emu.iam_url,
    ) as client:
        list(client.list_images())  # fetches a token with its own httpx client

    async def async_calls() -> None:
        async with AsyncModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=SK) as client:
            await client.get_image(emu.store.images()[0]["id"])
        auth = PasswordAuth(emu.iam_url, USER, PASSWORD, DOMAIN, project_id=PROJECT_ID)
        await auth.afetch_token()

    asyncio.run(async_calls())
    kinds = {kind for kind, _, _ in built_clients}
    assert kinds == {"Client", "AsyncClient"} and len(built_clients) >= 5, built_clients
    for kind, timeout, verify in built_clients:
        assert None not in _phases(timeout), f"{kind} built with {timeout!r}"
        assert verify is not False, f"{kind} built with verify=False"


@pytest.fixture
def plain_shell(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch) -> InteractiveShell:
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("MODELARTS_PROJECT_ID", PROJECT_ID)
    return shell


def test_the_magic_refuses_plain_http_to_a_remote_host_in_one_line(plain_shell: InteractiveShell) -> None:
    with pytest.raises(UsageError) as info:
        plain_shell.run_cell_magic(
            "register_image", "--endpoint http://modelarts.eu-de.otc.t-systems.com", f"swr_path: {GOOD}\n"
        )
    message = str(info.value)
    assert "\n" not in message and "https://" in message and "allow_insecure_http" in message


def test_the_magic_allows_plain_http_only_when_configured(
    plain_shell: InteractiveShell, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    magics = plain_shell.magics_manager.registry["RegisterImageMagics"]
    assert magics.context({"endpoint": "https://modelarts.example.com"}).get("verify") is True
    magics.allow_insecure_http = True
    plain_shell.run_cell_magic(
        "register_image", "--dry-run --endpoint http://modelarts.internal.example", f"swr_path: {GOOD}\n"
    )  # built, not refused (and nothing sent: dry run)


@pytest.fixture
def https_url(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTPS server with a self-signed certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_magic_says_in_one_line_when_a_certificate_is_not_trusted(
    plain_shell: InteractiveShell, https_url: str
) -> None:
    with pytest.raises(UsageError) as info:
        plain_shell.run_line_magic("modelarts", f"images --endpoint {https_url}")
    message = str(info.value)
    assert "\n" not in message and "certificate" in message.lower() and "verify" in message
    assert SK not in message
