"""`ModelArtsClient` and `AsyncModelArtsClient`: the ModelArts image API over one pooled httpx client.

```python
with ModelArtsClient(endpoint="https://modelarts.eu-de.otc.t-systems.com",
                     project_id="...", ak="...", sk="...") as client:
    image = client.register_image(swr_path="swr.eu-de.otc.t-systems.com/team/img:1.0")
    image = client.wait_until_active(image.id)
```

Both clients share every decision (request building, response parsing, error mapping, retries,
the never-twice register, waiting): those live in `_retry.py` / `_transport.py` as sans-IO
generators; the clients only perform the I/O. Errors are the hierarchy of `exceptions.py`;
`ERROR_HINTS` is the "how to fix" table per error code. Secrets never appear in a repr, a log
line or an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from . import __version__
from ._retry import (
    Attempts,
    RegisterOutcome,
    Reply,
    RetryPolicy,
    Send,
    Step,
    check_wait,
    register_safely,
    send_idempotent,
    wait_for_active,
)
from ._transport import (
    ERROR_HINTS,
    PROJECT_AT_SEND,
    STATUS_HINTS,
    api_error,
    check_timeout,
    describe_request,
    hint_for,
    install_log_redaction,
)
from .auth import AkSkAuth, PasswordAuth, TokenAuth, is_loopback_host, require_secure_url
from .exceptions import APIError, ConfigurationError, InvalidRequestError, ModelArtsMagicError
from .models import Image, ImageListQuery, ImagePage, ImageStatus, RegisterImageRequest, SwrPath

__all__ = [
    "DEFAULT_TIMEOUT",
    "ERROR_HINTS",
    "STATUS_HINTS",
    "AsyncModelArtsClient",
    "ModelArtsClient",
    "RegistrationResult",
    "RetryPolicy",
    "describe_request",
    "hint_for",
]

T = TypeVar("T")

#: 30 s for an answer, 10 s to connect: a call never hangs.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: The list call's largest page.
PAGE_SIZE = 200
_USER_AGENT = f"modelarts-magic/{__version__} httpx/{httpx.__version__}"
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_IMAGE_ID = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=64)
#: Requests in flight per httpx client in `register_many`: httpcore's pool does work proportional
#: to its connections on every request start and end, so a batch spreads over several small pools.
_BATCH_POOL = 4
_BATCH_LIMITS = httpx.Limits(max_connections=_BATCH_POOL, max_keepalive_connections=_BATCH_POOL)
# What httpx says when a closed client is used (also when it was closed before it ever sent).
_CLOSED = "Cannot send a request, as the client has been closed."
# One encoder for every body: `json.dumps` with non-default arguments builds a new one per call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_log = logging.getLogger("modelarts_magic.client")
install_log_redaction()

Registrable = RegisterImageRequest | Mapping[str, Any]
_AsyncSend = Callable[[httpx.Request], Awaitable[httpx.Response]]


# -------------------------------------------------------------------------------------------------
# Settings: endpoint, project, auth (resolved once per client)
# -------------------------------------------------------------------------------------------------


def _iam_endpoint_for(endpoint: httpx.URL) -> str:
    """IAM of the same cloud: `modelarts.<region>.<domain>` -> `iam.<region>.<domain>`; loopback: itself."""
    host = endpoint.host
    if is_loopback_host(host):
        return str(endpoint.copy_with(path="/", query=None)).rstrip("/")
    if host.startswith("modelarts."):
        return f"https://iam.{host[len('modelarts.') :]}"
    raise ConfigurationError(
        "iam_endpoint is missing; give the IAM URL of your cloud, e.g. "
        "iam_endpoint='https://iam.eu-de.otc.t-systems.com' (OS_AUTH_URL)"
    )


def _verify_setting(verify: Any) -> Any:
    if isinstance(verify, (str, Path)):
        path = Path(verify)
        if not path.is_file():
            raise ConfigurationError(
                f"verify={str(verify)!r} is not a file; give the path of a PEM CA bundle, or True"
            )
        return ssl.create_default_context(cafile=str(path))
    return verify


def _make_auth(
    *,
    endpoint: httpx.URL,
    project_id: str | None,
    ak: Any,
    sk: Any,
    security_token: Any,
    token: Any,
    username: str | None,
    password: Any,
    domain: str | None,
    project_name: str | None,
    iam_endpoint: str | None,
    auth: httpx.Auth | None,
    verify: Any,
    timeout: httpx.Timeout,
    allow_insecure_http: bool,
) -> httpx.Auth:
    schemes = [
        name
        for name, given in (
            ("auth=", auth is not None),
            ("ak/sk", ak is not None or sk is not None),
            ("token", token is not None),
            ("username/password", username is not None or password is not None),
        )
        if given
    ]
    if len(schemes) > 1:
        raise ConfigurationError(
            f"credentials for several schemes were given ({', '.join(schemes)}); give exactly one: "
            "ak + sk, token, username + password + domain, or auth="
        )
    if auth is not None:
        if isinstance(auth, AkSkAuth) and auth.project_id is None and project_id:
            auth.project_id = project_id  # the gateway wants X-Project-Id with AK/SK
        return auth
    if ak is not None or sk is not None:
        if ak is None or sk is None:
            missing = "ak" if ak is None else "sk"
            raise ConfigurationError(
                f"{missing} is missing; AK/SK signing needs both (ak=..., sk=... or HUAWEICLOUD_SDK_AK/SK)"
            )
        return AkSkAuth(ak, sk, project_id, security_token, allow_insecure_http=allow_insecure_http)
    if token is not None:
        return TokenAuth(token, allow_insecure_http=allow_insecure_http)
    if username is not None or password is not None:
        return PasswordAuth(
            iam_endpoint or _iam_endpoint_for(endpoint),
            username or "",
            password or "",
            domain or "",
            project_name=project_name,
            project_id=project_id,
            allow_insecure_http=allow_insecure_http,
            verify=verify,
            timeout=float(timeout.read or 30.0),
        )
    raise ConfigurationError(
        "no credentials were given; pass ak=... and sk=... (or token=..., or username=..., "
        "password=..., domain=...), e.g. from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK"
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie store, minus the ~15 us of urllib objects it builds for a response setting none."""

    def extract_cookies(self, response: httpx.Response) -> None:
        """Store the cookies a response sets (the standard library finds none without these headers)."""
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


HttpClient = TypeVar("HttpClient", httpx.Client, httpx.AsyncClient)


def _lean(client: HttpClient) -> HttpClient:
    """`client` with `_Cookies` as its store (httpx reads every response's cookies, ModelArts sets none)."""
    if type(getattr(client, "_cookies", None)) is httpx.Cookies and not client.cookies:
        client._cookies = _Cookies()
    return client


def _prepared_headers(headers: dict[str, str]) -> httpx.Headers | dict[str, str]:
    """`headers` as httpx.Headers, which a request copies as they are instead of checking each again."""
    try:
        return httpx.Headers(headers)
    except UnicodeEncodeError:  # e.g. a non-ASCII user_agent: let each request raise httpx's error
        return headers


def _same_image(image: Image, swr: SwrPath) -> bool:
    """True when a listed image is the registration of `swr` (name, tag, namespace and registry)."""
    if image.name != swr.name or image.tag != swr.tag or image.status == ImageStatus.DELETED:
        return False
    if image.namespace is not None and image.namespace != swr.namespace:
        return False
    if swr.registry and image.swr_path:
        head = image.swr_path.split("/")
        if len(head) == 3 and head[0].lower() != swr.registry.lower():
            return False
    return True


def _coerce_request(request: Registrable | None, fields: Mapping[str, Any]) -> RegisterImageRequest:
    """A validated request from a model, a mapping and/or keyword fields (a model is not re-validated)."""
    if isinstance(request, RegisterImageRequest):
        if not fields:
            return request
        return RegisterImageRequest.from_user({**request.to_body(), **fields})
    if request is None:
        return RegisterImageRequest.from_user(dict(fields))
    if not isinstance(request, Mapping):
        return RegisterImageRequest.from_user(request)  # raises the "must be a mapping" error
    return RegisterImageRequest.from_user({**request, **fields} if fields else request)


def _check_image_id(image_id: Any) -> str:
    if isinstance(image_id, Image):
        image_id = image_id.id
    if not isinstance(image_id, str) or not _IMAGE_ID.fullmatch(image_id):
        raise InvalidRequestError(
            "image_id", image_id, "is not an image ID", "give the image's id (a UUID), e.g. image.id"
        )
    return image_id


class _Core:
    """Settings, request building and response parsing shared by both clients; performs no I/O."""

    def __init__(
        self,
        endpoint: str,
        project_id: str | None,
        *,
        ak: Any,
        sk: Any,
        security_token: Any,
        token: Any,
        username: str | None,
        password: Any,
        domain: str | None,
        project_name: str | None,
        iam_endpoint: str | None,
        auth: httpx.Auth | None,
        timeout: Any,
        verify: Any,
        allow_insecure_http: bool,
        max_retries: int,
        user_agent: str | None,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint.strip():
            raise ConfigurationError(
                "endpoint is missing; give the ModelArts URL, e.g. https://modelarts.eu-de.otc.t-systems.com"
            )
        text = endpoint.strip().rstrip("/")
        if text.endswith("/v1"):
            text = text[:-3]
        require_secure_url(text, allow_insecure_http=allow_insecure_http, what="endpoint")
        self.endpoint = text
        url = httpx.URL(text)
        if project_id is not None:
            project_id = project_id.strip()
            if not _PROJECT_ID.fullmatch(project_id):
                raise ConfigurationError(
                    f"project_id {project_id!r} is not a project ID; copy it from IAM > My Credentials > "
                    "Projects (32 hexadecimal digits)"
                )
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries={max_retries!r} must be a whole number >= 0, e.g. 3")
        self.timeout = check_timeout(timeout)
        self.verify = _verify_setting(verify)
        self._tls: ssl.SSLContext | None = None
        self._tls_lock = threading.Lock()
        self.allow_insecure_http = allow_insecure_http
        self.auth = _make_auth(
            endpoint=url,
            project_id=project_id,
            ak=ak,
            sk=sk,
            security_token=security_token,
            token=token,
            username=username,
            password=password,
            domain=domain,
            project_name=project_name,
            iam_endpoint=iam_endpoint,
            auth=auth,
            verify=self.verify,
            timeout=self.timeout,
            allow_insecure_http=allow_insecure_http,
        )
        project_id = project_id or getattr(self.auth, "project_id", None)
        if not project_id and not isinstance(self.auth, PasswordAuth):
            raise ConfigurationError(
                "project_id is missing; give project_id=... (HUAWEICLOUD_SDK_PROJECT_ID or OS_PROJECT_ID), "
                "from IAM > My Credentials > Projects"
            )
        self.policy = RetryPolicy(max_retries=max_retries)
        self.headers = _prepared_headers(
            {"User-Agent": user_agent or _USER_AGENT, "Accept": "application/json"}
        )
        self.post_headers = _prepared_headers(
            {
                "User-Agent": user_agent or _USER_AGENT,
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        )
        self.project_id: str | None = None
        self._images_url = httpx.URL()
        self._images_path = ""
        if project_id:
            self.set_project(project_id)

    def tls(self) -> ssl.SSLContext:
        """The TLS context of every httpx client on these settings, made once (it costs ~45 ms of CPU)."""
        if self._tls is None:
            with self._tls_lock:
                if self._tls is None:
                    if self.verify is True and self.endpoint.lower().startswith("http://"):
                        # Every request goes to the plain-http endpoint (redirects are not followed):
                        # skip loading the CA bundle. This context trusts no certificate at all, so
                        # an https:// URL could only fail through it, never pass unverified.
                        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    else:
                        self._tls = httpx.create_ssl_context(verify=self.verify)
        return self._tls

    def set_project(self, project_id: str) -> None:
        """Fix the project every URL is built for."""
        self.project_id = project_id
        self._images_path = f"{self.endpoint}/v1/{quote(project_id, safe='')}/images"
        self._images_url = httpx.URL(self._images_path)

    def project_from_auth(self) -> None:
        """Take the project from the token's scope (PasswordAuth, after a token was fetched)."""
        project_id = getattr(self.auth, "project_id", None)
        if not project_id:
            raise ConfigurationError(
                "project_id is missing and the IAM token names no project; give project_id=... or "
                "project_name=... (the region, e.g. eu-de)"
            )
        self.set_project(project_id)

    def repr_args(self) -> str:
        return f"endpoint={self.endpoint!r}, project_id={self.project_id!r}, auth={self.auth!r}"

    # -- requests ---------------------------------------------------------------------------------

    def post_request(self, content: bytes) -> httpx.Request:
        return httpx.Request("POST", self._images_url, headers=self.post_headers, content=content)

    def get_request(self, image_id: str) -> httpx.Request:
        return httpx.Request("GET", f"{self._images_path}/{image_id}", headers=self.headers)

    def list_request(self, params: list[tuple[str, str]]) -> httpx.Request:
        return httpx.Request("GET", self._images_url, params=tuple(params), headers=self.headers)

    def delete_request(self, image_id: str, force: bool) -> httpx.Request:
        params = httpx.QueryParams({"force": "true"}) if force else None
        return httpx.Request(
            "DELETE",
            f"{self._images_path}/{image_id}",
            params=httpx.QueryParams(params),
            headers=self.headers,
        )

    def unsent_register_request(self, request: RegisterImageRequest) -> httpx.Request | None:
        """The register request with a placeholder token when the auth would fetch one (else None).

        A dry run must send nothing: with a password, the token (and, when not configured, the
        project it is scoped to) comes from IAM only when the request is really sent.
        """
        if not isinstance(self.auth, PasswordAuth):
            return None
        url = self._images_url if self.project_id else f"{self.endpoint}/v1/{PROJECT_AT_SEND}/images"
        return self.auth.unsent(
            httpx.Request("POST", url, headers=self.post_headers, content=self.body(request))
        )

    @staticmethod
    def body(request: RegisterImageRequest) -> bytes:
        return _JSON.encode(request.to_body()).encode()

    # -- responses --------------------------------------------------------------------------------

    @staticmethod
    def _unexpected(response: httpx.Response, what: str) -> APIError:
        return APIError(
            response.status_code,
            None,
            f"the answer is not {what}",
            request_id=response.headers.get("X-Request-Id"),
            hint="check that endpoint is the ModelArts API, e.g. https://modelarts.eu-de.otc.t-systems.com",
            method=response.request.method,
            url=str(response.request.url),
        )

    def parse_image(self, response: httpx.Response) -> Image:
        if response.status_code >= 400:
            raise api_error(response)
        try:
            return Image.model_validate_json(response.content)
        except ValueError:
            raise self._unexpected(response, "an image") from None

    def parse_page(self, response: httpx.Response) -> ImagePage:
        if response.status_code >= 400:
            raise api_error(response)
        try:
            return ImagePage.model_validate_json(response.content)
        except ValueError:
            raise self._unexpected(response, "a page of images") from None

    # -- operations (sans-IO generators) -----------------------------------------------------------

    def op_get(self, image_id: str) -> Step[Image]:
        response, _ = yield from send_idempotent(
            lambda: self.get_request(image_id), self.policy, self.timeout
        )
        return self.parse_image(response)

    def op_page(self, params: list[tuple[str, str]]) -> Step[ImagePage]:
        response, _ = yield from send_idempotent(lambda: self.list_request(params), self.policy, self.timeout)
        return self.parse_page(response)

    def op_delete(self, image_id: str, force: bool) -> Step[Image | None]:
        response, maybe_applied = yield from send_idempotent(
            lambda: self.delete_request(image_id, force), self.policy, self.timeout
        )
        if response.status_code == 404 and maybe_applied:
            return None  # an earlier attempt deleted it; its answer was lost
        if response.status_code == 204 or (response.status_code < 300 and not response.content.strip()):
            return None
        return self.parse_image(response)

    def op_find(self, request: RegisterImageRequest) -> Step[Image | None]:
        """The registration of `request.swr_path`, if one exists (exact name, namespace and tag)."""
        swr = request.swr
        offset = 0
        while True:
            params = [
                ("limit", str(PAGE_SIZE)),
                ("offset", str(offset)),
                ("name", swr.name),
                ("name_fuzzy_match", "false"),
                ("namespace", swr.namespace),
            ]
            page = yield from self.op_page(params)
            for image in page.data:
                if _same_image(image, swr):
                    return image
            offset += len(page.data)
            if len(page.data) < PAGE_SIZE or (page.total is not None and offset >= page.total):
                return None

    def op_register(self, request: RegisterImageRequest, attempts: Attempts) -> Step[RegisterOutcome]:
        content = self.body(request)
        return (
            yield from register_safely(
                lambda: self.post_request(content),
                lambda: self.op_find(request),
                self.parse_image,
                self.policy,
                self.timeout,
                attempts,
            )
        )


def _list_params(query: ImageListQuery, offset: int, limit: int) -> list[tuple[str, str]]:
    pairs = [(key, value) for key, value in query.to_params() if key not in ("offset", "limit")]
    return [("limit", str(limit)), ("offset", str(offset)), *pairs]


def _next_offset(page: ImagePage, offset: int, limit: int) -> int | None:
    offset += len(page.data)
    if len(page.data) < limit or (page.total is not None and offset >= page.total):
        return None
    return offset


@dataclass(frozen=True)
class RegistrationResult:
    """One item of `register_many`: the request, the image or the error, what happened, POSTs sent."""

    request: Any
    image: Image | None
    error: Exception | None
    outcome: Literal["registered", "recovered", "failed"]
    attempts: int

    @property
    def ok(self) -> bool:
        """True when the image is registered (whether by this call's answer or found after a lost one)."""
        return self.error is None and self.image is not None

    def __str__(self) -> str:
        if self.image is not None:
            return f"{self.outcome}: {self.image} ({self.attempts} attempt(s))"
        return f"failed: {self.error} ({self.attempts} attempt(s))"


def _failed(item: Any, error: Exception, attempts: int) -> RegistrationResult:
    return RegistrationResult(item, None, error, "failed", attempts)


def _run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, in a helper thread when this thread already runs a loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="modelarts-register-many", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


# -------------------------------------------------------------------------------------------------
# The clients
# -------------------------------------------------------------------------------------------------


class ModelArtsClient:
    """The ModelArts image API, blocking; one pooled connection per host, safe to share between threads.

    Give the endpoint, the project and one credential scheme: `ak` + `sk` (+ `security_token`),
    a pre-issued `token`, `username` + `password` + `domain` (IAM; the project is then taken from
    the token's scope when `project_id` is not given), or any `httpx.Auth` as `auth`. TLS is
    verified (`verify=` takes a CA bundle path or an `ssl.SSLContext`); plain http:// is refused
    except to loopback hosts unless `allow_insecure_http=True`; every call has a timeout.
    """

    def __init__(
        self,
        endpoint: str,
        project_id: str | None = None,
        *,
        ak: Any = None,
        sk: Any = None,
        security_token: Any = None,
        token: Any = None,
        username: str | None = None,
        password: Any = None,
        domain: str | None = None,
        project_name: str | None = None,
        iam_endpoint: str | None = None,
        auth: httpx.Auth | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: Any = True,
        allow_insecure_http: bool = False,
        max_retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        user_agent: str | None = None,
    ) -> None:
        self._core = _Core(
            endpoint,
            project_id,
            ak=ak,
            sk=sk,
            security_token=security_token,
            token=token,
            username=username,
            password=password,
            domain=domain,
            project_name=project_name,
            iam_endpoint=iam_endpoint,
            auth=auth,
            timeout=timeout,
            verify=verify,
            allow_insecure_http=allow_insecure_http,
            max_retries=max_retries,
            user_agent=user_agent,
        )
        self._transport = transport
        # Made on the first call that sends: a dry run (build_register_request) never pays for it.
        self._http_client: httpx.Client | None = None
        self._closed = False
        self._http_lock = threading.Lock()
        self._project_lock = threading.Lock()

    @property
    def _http(self) -> httpx.Client:
        """The pooled httpx client, created on first use."""
        http = self._http_client
        if http is None:
            with self._http_lock:
                http = self._http_client
                if http is None:
                    if self._closed:
                        raise RuntimeError(_CLOSED)
                    http = self._http_client = _lean(
                        httpx.Client(
                            auth=self._core.auth,
                            timeout=self._core.timeout,
                            verify=self._core.tls() if self._transport is None else self._core.verify,
                            transport=self._transport,
                            limits=_LIMITS,
                        )
                    )
        return http

    # -- lifecycle ---------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"ModelArtsClient({self._core.repr_args()})"

    def __enter__(self) -> ModelArtsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._closed = True
        if self._http_client is not None:
            self._http_client.close()

    @property
    def endpoint(self) -> str:
        """The ModelArts endpoint, without a trailing slash."""
        return self._core.endpoint

    @property
    def project_id(self) -> str | None:
        """The project every call is made in (None until resolved from a password token)."""
        return self._core.project_id

    @property
    def auth(self) -> httpx.Auth:
        """The authentication flow in use."""
        return self._core.auth

    @property
    def retry_policy(self) -> RetryPolicy:
        """The backoff settings (mutable, e.g. for tests)."""
        return self._core.policy

    # -- the driver --------------------------------------------------------------------------------

    def _ensure_project(self) -> None:
        if self._core.project_id is None:
            with self._project_lock:
                if self._core.project_id is None:
                    assert isinstance(self._core.auth, PasswordAuth)
                    self._core.auth.fetch_token()
                    self._core.project_from_auth()

    def _run(self, step: Step[T]) -> T:
        """Drive an operation with blocking I/O."""
        self._ensure_project()
        send = self._http.send
        reply: Reply = None
        try:
            while True:
                action = step.send(reply)
                if isinstance(action, Send):
                    try:
                        reply = send(action.request)
                    except httpx.TransportError as exc:
                        reply = exc
                    if _log.isEnabledFor(logging.DEBUG):
                        _log_exchange(action.request, reply)
                else:
                    time.sleep(action.seconds)
                    reply = None
        except StopIteration as stop:
            return stop.value
        finally:
            step.close()

    # -- the API -----------------------------------------------------------------------------------

    def register_image(self, request: Registrable | None = None, **fields: Any) -> Image:
        """Register an SWR image (`swr_path` and the optional fields); checked before anything is sent.

        Never registers twice: when the answer is lost, the image is looked up before any re-send.
        """
        checked = _coerce_request(request, fields)
        return self._run(self._core.op_register(checked, Attempts())).image

    def register_many(
        self, requests: Iterable[Registrable], concurrency: int = 32
    ) -> list[RegistrationResult]:
        """Register many images concurrently (through the async client); one result per request, in order."""
        items = list(requests)
        if self._transport is not None:
            # A custom sync transport cannot serve the async client: register one after the other.
            return [self._register_result(item) for item in items]

        async def batch() -> list[RegistrationResult]:
            async with AsyncModelArtsClient._sharing(self._core) as client:
                return await client.register_many(items, concurrency=concurrency)

        self._ensure_project()
        return _run_coroutine(batch())

    def _register_result(self, item: Any) -> RegistrationResult:
        attempts = Attempts()
        try:
            checked = _coerce_request(item, {})
            outcome = self._run(self._core.op_register(checked, attempts))
        except Exception as error:  # one failure must not sink the batch
            return _failed(item, error, attempts.posts)
        return RegistrationResult(item, outcome.image, None, outcome.outcome, outcome.attempts)

    def get_image(self, image_id: str | Image) -> Image:
        """The image with this ID (NotFoundError when there is none)."""
        return self._run(self._core.op_get(_check_image_id(image_id)))

    def list_images_page(self, **filters: Any) -> ImagePage:
        """One page of the list call; filters: limit, offset, name, name_fuzzy_match, namespace, ..."""
        query = ImageListQuery.from_user(filters)
        return self._run(self._core.op_page(query.to_params()))

    def list_images(self, **filters: Any) -> Iterator[Image]:
        """Every image matching the filters, fetching page after page (`limit` is the page size)."""
        query = ImageListQuery.from_user(filters)
        return self._iterate(query)

    def _iterate(self, query: ImageListQuery) -> Iterator[Image]:
        limit = query.limit or PAGE_SIZE
        offset: int | None = query.offset or 0
        while offset is not None:
            page = self._run(self._core.op_page(_list_params(query, offset, limit)))
            yield from page.data
            offset = _next_offset(page, offset, limit)

    def delete_image(self, image_id: str | Image, force: bool = False) -> Image | None:
        """Delete a registration (`force=True` also deletes the image from SWR); the DELETED image or None."""
        return self._run(self._core.op_delete(_check_image_id(image_id), bool(force)))

    def wait_until_active(
        self,
        image_id: str | Image,
        timeout: float = 300.0,
        poll_interval: float = 5.0,
        on_progress: Callable[[Image], None] | None = None,
    ) -> Image:
        """Poll until the image is ACTIVE (0.2 s doubling to `poll_interval`, jittered).

        Raises ImageFailedError for CREATE_FAILED / ERROR / DELETED (with `status_message`) and
        WaitTimeoutError with the last image seen when `timeout` seconds pass first. Both
        `timeout` and `poll_interval` must be positive (InvalidRequestError, before any request);
        polls are at least 0.05 s apart.
        """
        checked = _check_image_id(image_id)
        timeout, poll_interval = check_wait(timeout, poll_interval)
        return self._run(
            wait_for_active(lambda: self._core.op_get(checked), timeout, poll_interval, on_progress)
        )

    def build_register_request(self, request: Registrable | None = None, **fields: Any) -> httpx.Request:
        """The register request, validated and signed / authenticated, without sending it (for --dry-run).

        Nothing is sent, to ModelArts or IAM: with a password, `X-Auth-Token` is a placeholder (the
        token is fetched when the request is sent) and `describe_request` says so.
        """
        checked = _coerce_request(request, fields)
        unsent = self._core.unsent_register_request(checked)
        if unsent is not None:
            return unsent
        self._ensure_project()
        prepared = self._core.post_request(self._core.body(checked))
        flow = self._core.auth.sync_auth_flow(prepared)
        try:
            return next(flow)
        finally:
            flow.close()

    @staticmethod
    def describe_request(request: httpx.Request) -> dict[str, Any]:
        """Method, URL, headers (credentials masked) and parsed JSON body of a request."""
        return describe_request(request)


class AsyncModelArtsClient:
    """The ModelArts image API for asyncio; the same settings and behaviour as `ModelArtsClient`."""

    def __init__(
        self,
        endpoint: str,
        project_id: str | None = None,
        *,
        ak: Any = None,
        sk: Any = None,
        security_token: Any = None,
        token: Any = None,
        username: str | None = None,
        password: Any = None,
        domain: str | None = None,
        project_name: str | None = None,
        iam_endpoint: str | None = None,
        auth: httpx.Auth | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        verify: Any = True,
        allow_insecure_http: bool = False,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        user_agent: str | None = None,
    ) -> None:
        core = _Core(
            endpoint,
            project_id,
            ak=ak,
            sk=sk,
            security_token=security_token,
            token=token,
            username=username,
            password=password,
            domain=domain,
            project_name=project_name,
            iam_endpoint=iam_endpoint,
            auth=auth,
            timeout=timeout,
            verify=verify,
            allow_insecure_http=allow_insecure_http,
            max_retries=max_retries,
            user_agent=user_agent,
        )
        self._setup(core, transport)

    def _setup(self, core: _Core, transport: httpx.AsyncBaseTransport | None) -> None:
        self._core = core
        self._transport = transport
        # Made on the first call that sends: a dry run (build_register_request) never pays for it.
        self._http_client: httpx.AsyncClient | None = None
        self._closed = False

    def _new_http(self, limits: httpx.Limits = _LIMITS) -> httpx.AsyncClient:
        core = self._core
        return _lean(
            httpx.AsyncClient(
                auth=core.auth,
                timeout=core.timeout,
                verify=core.tls() if self._transport is None else core.verify,
                transport=self._transport,
                limits=limits,
            )
        )

    @property
    def _http(self) -> httpx.AsyncClient:
        """The pooled httpx client, created on first use (one event loop thread: no lock needed)."""
        http = self._http_client
        if http is None:
            if self._closed:
                raise RuntimeError(_CLOSED)
            http = self._http_client = self._new_http()
        return http

    @classmethod
    def _sharing(cls, core: _Core) -> AsyncModelArtsClient:
        """An async client on the same settings and credentials (for the sync `register_many`)."""
        client = cls.__new__(cls)
        client._setup(core, None)
        return client

    # -- lifecycle ---------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"AsyncModelArtsClient({self._core.repr_args()})"

    async def __aenter__(self) -> AsyncModelArtsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        self._closed = True
        if self._http_client is not None:
            await self._http_client.aclose()

    @property
    def endpoint(self) -> str:
        """The ModelArts endpoint, without a trailing slash."""
        return self._core.endpoint

    @property
    def project_id(self) -> str | None:
        """The project every call is made in (None until resolved from a password token)."""
        return self._core.project_id

    @property
    def auth(self) -> httpx.Auth:
        """The authentication flow in use."""
        return self._core.auth

    @property
    def retry_policy(self) -> RetryPolicy:
        """The backoff settings (mutable, e.g. for tests)."""
        return self._core.policy

    # -- the driver --------------------------------------------------------------------------------

    async def _ensure_project(self) -> None:
        if self._core.project_id is None:
            assert isinstance(self._core.auth, PasswordAuth)
            await self._core.auth.afetch_token()
            self._core.project_from_auth()

    async def _run(self, step: Step[T], send: _AsyncSend | None = None) -> T:
        """Drive an operation with asyncio I/O (through `send`, by default the client's own pool)."""
        await self._ensure_project()
        if send is None:
            send = self._http.send
        reply: Reply = None
        try:
            while True:
                action = step.send(reply)
                if isinstance(action, Send):
                    try:
                        reply = await send(action.request)
                    except httpx.TransportError as exc:
                        reply = exc
                    if _log.isEnabledFor(logging.DEBUG):
                        _log_exchange(action.request, reply)
                else:
                    await asyncio.sleep(action.seconds)
                    reply = None
        except StopIteration as stop:
            return stop.value
        finally:
            step.close()

    # -- the API -----------------------------------------------------------------------------------

    async def register_image(self, request: Registrable | None = None, **fields: Any) -> Image:
        """Register an SWR image; checked before anything is sent and never registered twice."""
        checked = _coerce_request(request, fields)
        outcome = await self._run(self._core.op_register(checked, Attempts()))
        return outcome.image

    async def register_many(
        self, requests: Iterable[Registrable], concurrency: int = 32
    ) -> list[RegistrationResult]:
        """Register many images, at most `concurrency` at a time; one result per request, in order.

        Each result says whether the image was `registered`, `recovered` (found after a lost
        answer) or `failed` (with the error); one failure does not stop the others. The default of
        32 in flight keeps a 20 ms round trip from being the limit (500 images at +20 ms: 16 in
        flight take ~1.1 s, 32 take ~0.7 s, on 2 cores); a 429 from the gateway is waited out.
        """
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(f"concurrency={concurrency!r} must be a whole number >= 1, e.g. 32")
        items = list(requests)
        await self._ensure_project()
        results: list[RegistrationResult | None] = [None] * len(items)
        workers = min(concurrency, len(items))
        if not workers:
            return []
        # `workers` tasks, each registering one item at a time (so never more than `concurrency`
        # in flight), taking the next item from one shared iterator (so each item exactly once);
        # a few workers share each httpx pool (see _BATCH_POOL).
        pending = iter(range(len(items)))
        # The client's own pool and, for this call only, enough others that each pool serves at
        # most _BATCH_POOL workers (a custom transport cannot be multiplied: it serves them all).
        own = self._http
        extra = (
            []
            if self._transport is not None
            else [self._new_http(_BATCH_LIMITS) for _ in range(-(-workers // _BATCH_POOL) - 1)]
        )
        pools = [own, *extra]

        async def worker(send: _AsyncSend) -> None:
            for index in pending:
                results[index] = await self._register_one(items[index], send)

        try:
            await asyncio.gather(*(worker(pools[number % len(pools)].send) for number in range(workers)))
        finally:
            for http in extra:
                await http.aclose()
        done = [result for result in results if result is not None]
        assert len(done) == len(items)  # every worker ran to the end: one result per item
        return done

    async def _register_one(self, item: Any, send: _AsyncSend) -> RegistrationResult:
        attempts = Attempts()
        try:
            checked = _coerce_request(item, {})
        except ModelArtsMagicError as error:
            return _failed(item, error, 0)
        try:
            outcome = await self._run(self._core.op_register(checked, attempts), send)
        except Exception as error:  # one failure must not sink the batch
            return _failed(item, error, attempts.posts)
        return RegistrationResult(item, outcome.image, None, outcome.outcome, outcome.attempts)

    async def get_image(self, image_id: str | Image) -> Image:
        """The image with this ID (NotFoundError when there is none)."""
        return await self._run(self._core.op_get(_check_image_id(image_id)))

    async def list_images_page(self, **filters: Any) -> ImagePage:
        """One page of the list call."""
        query = ImageListQuery.from_user(filters)
        return await self._run(self._core.op_page(query.to_params()))

    def list_images(self, **filters: Any) -> AsyncIterator[Image]:
        """Every image matching the filters (`async for`), fetching page after page."""
        query = ImageListQuery.from_user(filters)
        return self._iterate(query)

    async def _iterate(self, query: ImageListQuery) -> AsyncIterator[Image]:
        limit = query.limit or PAGE_SIZE
        offset: int | None = query.offset or 0
        while offset is not None:
            page = await self._run(self._core.op_page(_list_params(query, offset, limit)))
            for image in page.data:
                yield image
            offset = _next_offset(page, offset, limit)

    async def delete_image(self, image_id: str | Image, force: bool = False) -> Image | None:
        """Delete a registration; the DELETED image or None."""
        return await self._run(self._core.op_delete(_check_image_id(image_id), bool(force)))

    async def wait_until_active(
        self,
        image_id: str | Image,
        timeout: float = 300.0,
        poll_interval: float = 5.0,
        on_progress: Callable[[Image], None] | None = None,
    ) -> Image:
        """Poll until the image is ACTIVE; see `ModelArtsClient.wait_until_active`."""
        checked = _check_image_id(image_id)
        timeout, poll_interval = check_wait(timeout, poll_interval)
        return await self._run(
            wait_for_active(lambda: self._core.op_get(checked), timeout, poll_interval, on_progress)
        )

    async def build_register_request(
        self, request: Registrable | None = None, **fields: Any
    ) -> httpx.Request:
        """The register request, validated and authenticated, without sending anything (not even to IAM)."""
        checked = _coerce_request(request, fields)
        unsent = self._core.unsent_register_request(checked)
        if unsent is not None:
            return unsent
        await self._ensure_project()
        prepared = self._core.post_request(self._core.body(checked))
        flow = self._core.auth.async_auth_flow(prepared)
        try:
            return await flow.__anext__()
        finally:
            await flow.aclose()

    @staticmethod
    def describe_request(request: httpx.Request) -> dict[str, Any]:
        """Method, URL, headers (credentials masked) and parsed JSON body of a request."""
        return describe_request(request)


def _log_exchange(request: httpx.Request, reply: Reply) -> None:
    # Method, URL and status only: headers carry credentials.
    if isinstance(reply, httpx.Response):
        outcome = f"{reply.status_code} (request id {reply.headers.get('X-Request-Id', '-')})"
    else:
        outcome = type(reply).__name__
    _log.debug("%s %s -> %s", request.method, request.url, outcome)
