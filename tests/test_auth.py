"""The httpx auth flows over real loopback HTTP: AK/SK signatures checked server-side, IAM tokens.

Most tests use a small stand-in server defined here (IAM `POST /v3/auth/tokens` plus one
protected route that checks signatures and tokens), because it records what came in and can be
made slow or stubborn (concurrent fetches, a persistent 401). The last section runs the flows
against the real emulator (`emulator` fixture) too.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from modelarts_magic import signing
from modelarts_magic.auth import AkSkAuth, IAMToken, PasswordAuth, TokenAuth, require_secure_url
from modelarts_magic.exceptions import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InsecureTransportError,
)
from modelarts_magic.masking import mask, redact

AK = "AKIAEXAMPLE0123456789"
SK = "sk-Ex4mple-Secret-Key-0123456789abcdefghij"
SECURITY_TOKEN = "gQpzZXEtdG9rZW4tZm9yLXRlc3Rz-security"
USER, PASSWORD, DOMAIN = "alice", "Pa55-word!-not-shown", "acme"
PROJECTS = {"eu-de": "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", "eu-nl": "9f8e7d6c5b4a39281706f5e4d3c2b1a0"}


class Stand:
    """State of the stand-in: who may log in, the tokens issued, and what came in."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lifetime = timedelta(hours=24)
        self.iam_delay = 0.0
        self.iam_bodies: list[dict[str, Any]] = []
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.revoked: set[str] = set()
        self.always_401 = False
        self.service_calls: list[dict[str, Any]] = []


STAND = Stand()


async def iam_tokens(request: Request) -> Response:
    if STAND.iam_delay:
        await asyncio.sleep(STAND.iam_delay)
    body = json.loads(await request.body())
    STAND.iam_bodies.append(body)
    user = body["auth"]["identity"]["password"]["user"]
    if (user["name"], user["password"], user["domain"]["name"]) != (USER, PASSWORD, DOMAIN):
        return JSONResponse(
            {
                "error": {
                    "code": 401,
                    "message": "The username or password is wrong.",
                    "title": "Unauthorized",
                }
            },
            status_code=401,
            headers={"X-Request-Id": "req-iam-1"},
        )
    project = body["auth"]["scope"]["project"]
    project_id = project.get("id") or PROJECTS[project["name"]]
    value = f"MIIT-{len(STAND.tokens) + 1}-" + "x" * 40
    expires = datetime.now(timezone.utc) + STAND.lifetime
    STAND.tokens[value] = (project_id, expires)
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return JSONResponse(
        {"token": {"expires_at": stamp, "methods": ["password"], "project": {"id": project_id, "name": "x"}}},
        status_code=201,
        headers={"X-Subject-Token": value},
    )


async def service(request: Request) -> Response:
    """A protected route: verifies AK/SK like the gateway, or a token; echoes what it saw."""
    body = await request.body()
    seen: dict[str, Any] = {"method": request.method, "headers": dict(request.headers)}
    STAND.service_calls.append(seen)
    if "authorization" in request.headers:
        ak, names, sig = signing.parse_authorization(request.headers["authorization"])
        canonical = signing.canonical_request(
            request.method,
            request.scope["raw_path"].decode("ascii"),
            request.query_params.multi_items(),
            dict(request.headers),
            body,
            names,
        )
        expected = signing.signature(SK, request.headers["x-sdk-date"], canonical)
        seen.update(ak=ak, signed=names, valid=ak == AK and hmac.compare_digest(sig, expected))
        return JSONResponse(seen, status_code=200 if seen["valid"] else 403)
    token = request.headers.get("x-auth-token", "")
    entry = STAND.tokens.get(token)
    if STAND.always_401 or entry is None or token in STAND.revoked:
        return JSONResponse({"error_code": "ModelArts.0202", "error_msg": "token expired"}, status_code=401)
    seen.update(project=entry[0], valid=True)
    return JSONResponse(seen)


APP = Starlette(
    routes=[
        Route("/v3/auth/tokens", iam_tokens, methods=["POST"]),
        Route("/{rest:path}", service, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
)


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(APP, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the loopback stand-in did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture(autouse=True)
def fresh_stand() -> None:
    STAND.reset()


def password_auth(url: str, **kwargs: Any) -> PasswordAuth:
    options: dict[str, Any] = {"project_name": "eu-de", **kwargs}
    return PasswordAuth(url, USER, options.pop("password", PASSWORD), DOMAIN, **options)


# -- AK/SK ------------------------------------------------------------------------------------------


SIGNED_REQUESTS = [
    ("GET", "/v1/p/images", {"limit": 10, "name": "a b+c", "q": ["~x", "一", "%25"]}, None),
    ("GET", "/v1/p/images/with space/ünïcode~x", None, None),
    ("POST", "/v1/p/images", None, {"swr_path": "swr.x/ns/n:t", "description": "héllo wörld"}),
    ("PUT", "/v1/p/images/id", {"force": "true"}, {"k": "v"}),
    ("DELETE", "/v1/p/images/id", {"force": True}, None),
]


@pytest.mark.parametrize(("method", "path", "params", "body"), SIGNED_REQUESTS)
def test_aksk_signature_verifies_server_side(server_url, method, path, params, body) -> None:
    auth = AkSkAuth(AK, SK, project_id=PROJECTS["eu-de"], security_token=SECURITY_TOKEN)
    with httpx.Client(base_url=server_url, auth=auth) as client:
        response = client.request(method, path, params=params, json=body)
    seen = response.json()
    assert response.status_code == 200, seen
    assert seen["valid"] is True
    assert seen["signed"] == sorted(seen["signed"])
    assert {"host", "x-sdk-date", "x-project-id", "x-security-token"} <= set(seen["signed"])
    assert seen["headers"]["x-project-id"] == PROJECTS["eu-de"]
    assert seen["headers"]["x-security-token"] == SECURITY_TOKEN
    assert seen["headers"]["host"] == server_url.removeprefix("http://")
    sent_at = signing.parse_sdk_date(seen["headers"]["x-sdk-date"])
    assert abs((datetime.now(timezone.utc) - sent_at).total_seconds()) < 5


def test_aksk_wrong_secret_key_is_refused(server_url) -> None:
    auth = AkSkAuth(AK, SK[:-1] + "?")
    with httpx.Client(base_url=server_url, auth=auth) as client:
        response = client.get("/v1/p/images", params={"limit": 1})
    assert response.status_code == 403
    assert response.json()["valid"] is False


def test_aksk_async_client(server_url) -> None:
    async def main() -> list[httpx.Response]:
        auth = AkSkAuth(AK, SK, project_id="p")
        async with httpx.AsyncClient(base_url=server_url, auth=auth) as client:
            return await asyncio.gather(
                *(client.post("/v1/p/images", params={"i": i}, json={"n": i}) for i in range(5))
            )

    responses = asyncio.run(main())
    assert [r.json()["valid"] for r in responses] == [True] * 5


def test_aksk_sends_the_canonical_query_and_signs_each_send_afresh() -> None:
    # MockTransport only captures the final request bytes here; verification is the loopback test's.
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    auth = AkSkAuth(AK, SK)
    with httpx.Client(transport=transport, auth=auth) as client:
        client.get("https://modelarts.example.com:443/v1/p/images?b=2&a=x y&a=%2B")
        client.get("http://127.0.0.1:8080/v1/p/images")
    assert sent[0].url.query == b"a=%2B&a=x%20y&b=2"
    assert sent[0].headers["host"] == "modelarts.example.com"  # default port omitted
    assert sent[1].headers["host"] == "127.0.0.1:8080"
    assert "x-project-id" not in sent[1].headers
    for request in sent:
        date = request.headers["x-sdk-date"]
        _, names, sig = signing.parse_authorization(request.headers["authorization"])
        canonical = signing.canonical_request(
            "GET", request.url.path, request.url.params.multi_items(), request.headers, b"", names
        )
        assert sig == signing.signature(SK, date, canonical)


def test_aksk_project_header_set_once_even_when_the_client_sets_it(server_url) -> None:
    auth = AkSkAuth(AK, SK, project_id="p1")
    with httpx.Client(base_url=server_url, auth=auth, headers={"X-Project-Id": "p1"}) as client:
        response = client.get("/v1/p1/images")
    assert response.json()["valid"] is True
    assert response.json()["headers"]["x-project-id"] == "p1"


def test_aksk_refuses_plain_http_to_a_remote_host() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(transport=transport, auth=AkSkAuth(AK, SK)) as client:
        with pytest.raises(InsecureTransportError, match="allow_insecure_http"):
            client.get("http://modelarts.example.com/v1/p/images")
    allowed = AkSkAuth(AK, SK, allow_insecure_http=True)
    with httpx.Client(transport=transport, auth=allowed) as client:
        assert client.get("http://modelarts.example.com/v1/p/images").status_code == 200


@pytest.mark.parametrize(
    ("ak", "sk", "field"), [("", SK, "ak"), (AK, "  ", "sk"), (AK + "\n", SK + " x", "white space")]
)
def test_aksk_configuration_errors_name_the_field(ak, sk, field) -> None:
    with pytest.raises(ConfigurationError, match=field) as caught:
        AkSkAuth(ak, sk)
    assert SK not in str(caught.value)


# -- pre-issued token -----------------------------------------------------------------------------


def test_token_auth_sends_x_auth_token(server_url) -> None:
    with httpx.Client(base_url=server_url, auth=password_auth(server_url)) as client:
        client.get("/v1/warm-up")  # issue a token the stand-in knows
    token = next(iter(STAND.tokens))
    with httpx.Client(base_url=server_url, auth=TokenAuth(token)) as client:
        response = client.get("/v1/p/images")
    assert response.status_code == 200
    assert response.json()["headers"]["x-auth-token"] == token


# -- IAM password -----------------------------------------------------------------------------------


def test_password_auth_posts_the_documented_body_and_caches(server_url) -> None:
    auth = password_auth(server_url)
    assert auth.project_id is None
    with httpx.Client(base_url=server_url, auth=auth) as client:
        responses = [client.get("/v1/x/images") for _ in range(5)]
    assert all(r.status_code == 200 for r in responses)
    assert STAND.iam_bodies == [
        {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"name": USER, "password": PASSWORD, "domain": {"name": DOMAIN}}},
                },
                "scope": {"project": {"name": "eu-de"}},
            }
        }
    ]
    assert auth.fetch_count == 1
    assert auth.project_id == PROJECTS["eu-de"]  # from the token's scope


def test_password_auth_scopes_by_id_when_given(server_url) -> None:
    auth = password_auth(server_url, project_name=None, project_id=PROJECTS["eu-nl"])
    token = auth.fetch_token()
    assert STAND.iam_bodies[0]["auth"]["scope"] == {"project": {"id": PROJECTS["eu-nl"]}}
    assert token.project_id == auth.project_id == PROJECTS["eu-nl"]


def test_fetch_token_eagerly_and_expiry_margin(server_url) -> None:
    auth = password_auth(server_url)
    token = auth.fetch_token()
    assert isinstance(token, IAMToken)
    assert auth.project_id == PROJECTS["eu-de"]
    left = token.expires_at - datetime.now(timezone.utc)
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)
    assert token.expires_at - token.refresh_at == timedelta(minutes=5)
    assert auth.fetch_token() is token
    assert auth.fetch_token(force=True) is not token
    assert auth.fetch_count == 2


def test_password_auth_refreshes_shortly_before_expiry(server_url) -> None:
    STAND.lifetime = timedelta(seconds=1.2)  # cached for half its life when that is under 5 min
    auth = password_auth(server_url)
    with httpx.Client(base_url=server_url, auth=auth) as client:
        client.get("/v1/a")
        client.get("/v1/b")
        assert auth.fetch_count == 1
        time.sleep(0.7)
        assert client.get("/v1/c").status_code == 200
    assert auth.fetch_count == 2


def test_password_auth_refreshes_once_on_401_then_retries(server_url) -> None:
    auth = password_auth(server_url)
    with httpx.Client(base_url=server_url, auth=auth) as client:
        client.get("/v1/a")
        STAND.revoked.update(STAND.tokens)  # the token ends mid-session
        response = client.post("/v1/p/images", json={"swr_path": "x"})
    assert response.status_code == 200
    assert auth.fetch_count == 2
    retried = STAND.service_calls[-2:]
    assert [call["method"] for call in retried] == ["POST", "POST"]
    assert retried[0]["headers"]["x-auth-token"] != retried[1]["headers"]["x-auth-token"]
    assert retried[1]["headers"]["content-length"] == retried[0]["headers"]["content-length"]


def test_password_auth_does_not_loop_on_a_persistent_401(server_url) -> None:
    auth = password_auth(server_url)
    STAND.always_401 = True
    with httpx.Client(base_url=server_url, auth=auth) as client:
        response = client.get("/v1/p/images")
    assert response.status_code == 401
    assert len(STAND.service_calls) == 2
    assert auth.fetch_count == 2


def test_password_auth_one_fetch_across_threads(server_url) -> None:
    STAND.iam_delay = 0.3
    auth = password_auth(server_url)
    codes: list[int] = []

    def call() -> None:
        with httpx.Client(base_url=server_url, auth=auth) as client:
            codes.append(client.get("/v1/p/images").status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 8
    assert auth.fetch_count == 1


def test_password_auth_async_one_fetch_and_refresh(server_url) -> None:
    STAND.iam_delay = 0.2
    auth = password_auth(server_url)

    async def main() -> tuple[list[int], int]:
        async with httpx.AsyncClient(base_url=server_url, auth=auth) as client:
            first = await asyncio.gather(*(client.get(f"/v1/p/{i}") for i in range(10)))
            STAND.revoked.update(STAND.tokens)
            again = await client.get("/v1/p/again")
        return [r.status_code for r in first], again.status_code

    codes, again = asyncio.run(main())
    assert codes == [200] * 10
    assert again == 200
    assert auth.fetch_count == 2
    # a second event loop (a notebook re-running asyncio) works with the same object
    assert asyncio.run(auth.afetch_token()).project_id == PROJECTS["eu-de"]


def test_wrong_password_is_an_authentication_error_with_a_hint(server_url) -> None:
    auth = password_auth(server_url, password="Wrong-pass-word-1")
    with httpx.Client(base_url=server_url, auth=auth) as client, pytest.raises(AuthenticationError) as caught:
        client.get("/v1/p/images")
    error = caught.value
    assert error.status_code == 401
    assert error.request_id == "req-iam-1"
    assert "password" in (error.hint or "")
    assert "\n" not in str(error)
    assert "Wrong-pass-word-1" not in str(error) + repr(error) + repr(error.args)
    assert STAND.service_calls == []


def test_unreachable_iam_is_a_connect_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    auth = PasswordAuth(f"http://127.0.0.1:{port}", USER, PASSWORD, DOMAIN, project_name="eu-de")
    with pytest.raises(ConnectError, match="IAM") as caught:
        auth.fetch_token()
    assert PASSWORD not in str(caught.value)


def test_iam_endpoint_given_with_v3(server_url) -> None:
    assert password_auth(server_url + "/v3/").token_url == server_url + "/v3/auth/tokens"


def test_password_over_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(InsecureTransportError, match="iam_endpoint"):
        PasswordAuth("http://iam.example.com", USER, PASSWORD, DOMAIN, project_name="eu-de")
    PasswordAuth("http://iam.example.com", USER, PASSWORD, DOMAIN, "eu-de", allow_insecure_http=True)
    require_secure_url("http://localhost:8000")
    require_secure_url("http://[::1]:8000")
    with pytest.raises(ConfigurationError, match="http"):
        require_secure_url("ftp://iam.example.com")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"password": ""}, "password"),
        ({"project_name": None}, "project_name and project_id"),
    ],
)
def test_password_configuration_errors_name_the_field(server_url, kwargs, field) -> None:
    with pytest.raises(ConfigurationError, match=field):
        password_auth(server_url, **kwargs)


# -- secrets never shown ------------------------------------------------------------------------------


def test_no_repr_shows_a_secret(server_url) -> None:
    aksk = AkSkAuth(AK, SK, project_id="p", security_token=SECURITY_TOKEN)
    password = password_auth(server_url)
    token = password.fetch_token()
    issued = token.token.get_secret_value()
    shown = " ".join(
        text
        for obj in (aksk, TokenAuth(issued), password, token, vars(aksk), vars(password))
        for text in (repr(obj), str(obj))
    )
    for secret in (SK, SECURITY_TOKEN, PASSWORD, issued):
        assert redact(secret, secret) == "****"
        assert secret not in shown
    assert AK not in shown
    assert f"ak='{mask(AK)}'" in repr(aksk)
    assert mask(AK) == "AKIA…89"


def test_mask() -> None:
    assert mask("AKIAIOSFODNN7EXAMPLE") == "AKIA…LE"
    assert mask("short-secret") == "****"
    assert mask("") == mask(None) == ""


def test_redact_covers_encoded_forms() -> None:
    import base64
    from urllib.parse import quote

    text = f"a {PASSWORD} b {quote(PASSWORD, safe='')} c {base64.b64encode(PASSWORD.encode()).decode()}"
    cleaned = redact(text, PASSWORD)
    assert PASSWORD not in cleaned and "UGE1NS" not in cleaned
    assert cleaned.count("****") == 3


# -- against the emulator ---------------------------------------------------------------------------


def test_password_auth_against_the_emulator(emulator, demo) -> None:
    auth = PasswordAuth(
        emulator.iam_url, demo.user, demo.password, demo.domain, project_name=demo.project_name
    )
    token = auth.fetch_token()
    assert token.project_id == auth.project_id == demo.project_id
    with httpx.Client(auth=auth) as client:
        url = f"{emulator.url}/v1/{auth.project_id}/images"
        assert client.get(url, params={"limit": 2}).status_code == 200
        emulator.expire_tokens()  # the token ends mid-session: one refresh, one retry
        assert client.get(url).status_code == 200
    assert auth.fetch_count == 2


def test_wrong_password_against_the_emulator(emulator, demo) -> None:
    auth = PasswordAuth(emulator.iam_url, demo.user, "not-the-password", demo.domain, "eu-de")
    with pytest.raises(AuthenticationError) as caught:
        auth.fetch_token()
    assert caught.value.status_code == 401
    assert "not-the-password" not in str(caught.value)


def test_aksk_against_the_emulator(emulator, demo) -> None:
    url = f"{emulator.url}/v1/{demo.project_id}/images"
    params = {"limit": 5, "offset": 0, "name": "a b+c~ü"}
    with httpx.Client(auth=AkSkAuth(demo.ak, demo.sk, demo.project_id)) as client:
        assert client.get(url, params=params).status_code == 200
    with httpx.Client(auth=AkSkAuth(demo.ak, demo.sk[::-1], demo.project_id)) as client:
        refused = client.get(url, params=params)
    assert refused.status_code == 403
    assert "0206" in refused.text


_SHAPE_HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["X-Foo", "x-foo", "X_Not_Signed", "Content-Type", "Accept", "User-Agent"]),
        st.text(alphabet="abc 123-_:/", max_size=6),
    ),
    max_size=4,
    unique_by=lambda item: item[0].lower(),  # one value per header name, as the client sends them
)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    path=st.sampled_from(["/v1/p/images", "/v1/p/images/abc", "/a b/%7E", "/"]),
    query=st.sampled_from(["", "?b=2&a=1", "?x=a+b&y=%20", "?z"]),
    headers=_SHAPE_HEADERS,
    bodies=st.lists(st.sampled_from([b"", b"{}", b'{"a":1}', "é".encode()]), min_size=1, max_size=3),
    host=st.sampled_from(["127.0.0.1:8000", "modelarts.example.com"]),
    config=st.sampled_from([(None, None), ("proj1", None), ("proj1", "temporary-token")]),
)
def test_aksk_cached_signing_matches_the_pure_algorithm(method, path, query, headers, bodies, host, config):
    """AkSkAuth reuses per-shape templates; every signature must still be the pure algorithm's."""
    project_id, security_token = config
    auth = AkSkAuth(AK, SK, project_id, security_token, allow_insecure_http=True)
    for second, body in enumerate(bodies):  # the same shape again: served from the cache
        request = httpx.Request(method, f"http://{host}{path}{query}", headers=headers, content=body or None)
        auth.sign(request, datetime(2026, 1, 1, 0, 0, second, tzinfo=timezone.utc))
        assert request.headers["x-sdk-date"] == f"20260101T00000{second}Z"
        if project_id:
            assert request.headers["x-project-id"] == project_id
        if security_token:
            assert request.headers["x-security-token"] == security_token
        # verify as the gateway does: recompute over the headers the Authorization says it signed
        ak, names, sig = signing.parse_authorization(request.headers["authorization"])
        assert ak == AK
        must_sign = {"host", "x-sdk-date"} | {
            k for k in request.headers if k.startswith("x-") and "_" not in k
        }
        assert must_sign - {"x-sdk-date"} <= set(names) and "x-sdk-date" in names
        canonical = signing.canonical_request(
            method, request.url.path, request.url.params.multi_items(), request.headers, body, names
        )
        assert sig == signing.signature(SK, request.headers["x-sdk-date"], canonical)


def test_aksk_changing_the_project_is_signed_at_once() -> None:
    auth = AkSkAuth(AK, SK, allow_insecure_http=True)
    first = httpx.Request("GET", "http://127.0.0.1:8000/v1/a/images")
    auth.sign(first)
    assert "x-project-id" not in first.headers
    auth.project_id = "project-b"
    second = httpx.Request("GET", "http://127.0.0.1:8000/v1/a/images")
    auth.sign(second)
    assert second.headers["x-project-id"] == "project-b"
    assert "x-project-id" in signing.parse_authorization(second.headers["authorization"])[1]
