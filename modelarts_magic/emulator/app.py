"""The emulator's HTTP application: ModelArts image routes, IAM routes and `/_emulator` controls.

A thin pure-ASGI shell around a Starlette router adds what every answer needs (an
`X-Request-Id`, the injected latency) and can drop a connection without answering, which is
how a "registration committed, response lost" fault is reproduced.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import control, iam
from .errors import ApiFailure
from .faults import Faults
from .gateway import Gateway
from .settings import EmulatorSettings
from .store import ImageStore

__all__ = ["Services", "create_app"]

_RAW_SEND = "modelarts_emulator.raw_send"


@dataclass
class Services:
    """The parts one emulator instance is made of, shared by the routes and the Python API."""

    settings: EmulatorSettings
    store: ImageStore
    faults: Faults
    gateway: Gateway
    requests_seen: Counter[str] = field(default_factory=Counter)


class _DroppedResponse(Response):
    """Sends nothing: the connection was already closed under the request."""

    def __init__(self) -> None:
        super().__init__(status_code=500)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


def _drop_connection(scope: Scope) -> bool:
    """Close the client's connection with no answer (uvicorn's transport); False if impossible."""
    cycle = getattr(scope.get(_RAW_SEND), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        return False
    transport.close()
    # Tell uvicorn the peer is gone, so it does not answer "500" on a closed connection.
    cycle.disconnected = True  # type: ignore[union-attr]
    return True


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def _error(failure: ApiFailure) -> JSONResponse:
    return _json(failure.body(), failure.status, failure.headers)


def _base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def _parse_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise ApiFailure(
            400, "ModelArts.0101", f"Invalid parameter: {what} is not valid JSON ({err})"
        ) from None


def _bool_param(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise ApiFailure(
            400, "ModelArts.0101", f"Invalid parameter: {name} must be true or false, got {value!r}"
        )
    return lowered == "true"


def create_app(services: Services) -> ASGIApp:
    """The ASGI application serving one emulator's state."""
    settings, store, faults, gateway = services.settings, services.store, services.faults, services.gateway
    seen = services.requests_seen

    async def authenticated_body(request: Request, url_project_id: str | None) -> bytes:
        """The request's body, once the gateway has accepted its credentials (raises ApiFailure)."""
        body = await request.body()
        gateway.authenticate(
            request.method,
            request.scope.get("raw_path", b"").decode("latin-1") or request.url.path,
            request.scope.get("query_string", b""),
            {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]},
            body,
            url_project_id,
        )
        return body

    def modelarts(
        name: str, handler: Callable[[Request, bytes], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            seen[name] += 1
            body = await authenticated_body(request, request.path_params["project_id"])
            stall = faults.take_stall()
            if stall:
                await asyncio.sleep(stall)
            injected = faults.take_error(request.method)
            if injected is not None:
                seen[f"{name}_injected_error"] += 1
                headers = {}
                if injected.retry_after is not None:
                    headers["Retry-After"] = f"{injected.retry_after:g}"
                message = (
                    "The throttling threshold has been reached"
                    if injected.status == 429
                    else "Service unavailable"
                )
                raise ApiFailure(
                    injected.status, injected.code, f"{message} (injected by the emulator)", headers
                )
            return await handler(request, body)

        return endpoint

    async def register(request: Request, body: bytes) -> Response:
        image = store.register(_parse_json(body, "the request body"))
        seen["register_committed"] += 1
        if faults.take_drop() and _drop_connection(request.scope):
            seen["register_dropped"] += 1
            return _DroppedResponse()
        return _json(image)

    async def list_images(request: Request, body: bytes) -> Response:
        return _json(store.query(request.query_params.multi_items()))

    async def list_groups(request: Request, body: bytes) -> Response:
        return _json(
            {**store.query(request.query_params.multi_items(), groups=True), "is_swr_enterprise": False}
        )

    async def show(request: Request, body: bytes) -> Response:
        return _json(store.get(request.path_params["image_id"]))

    async def delete(request: Request, body: bytes) -> Response:
        force = False
        if "force" in request.query_params:
            force = _bool_param(request.query_params["force"], "force")
        if body.strip():
            # Huawei's SDK sends the flag as a JSON body instead of the documented query.
            data = _parse_json(body, "the request body")
            flag = data.get("is_force") if isinstance(data, dict) else None
            if flag is not None and not isinstance(flag, bool):
                raise ApiFailure(
                    400, "ModelArts.0101", f"Invalid parameter: is_force must be a boolean, got {flag!r}"
                )
            force = force or bool(flag)
        return _json(store.delete(request.path_params["image_id"], force=force))

    async def token(request: Request) -> Response:
        seen["iam_token"] += 1
        body = await request.body()
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        with_catalog = request.query_params.get("nocatalog", "false").lower() != "true"
        value, content = iam.issue_token(settings, gateway.tokens, data, _base_url(request), with_catalog)
        return _json(content, 201, {"X-Subject-Token": value})

    async def projects(request: Request) -> Response:
        seen["iam_projects"] += 1
        await authenticated_body(request, None)
        return _json(iam.list_projects(settings, request.query_params.get("name"), _base_url(request)))

    async def on_failure(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiFailure)
        return _error(exc)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return _error(ApiFailure(405, "APIG.0101", f"Method {request.method} is not allowed on this API"))
        return _error(
            ApiFailure(
                exc.status_code,
                "APIG.0101",
                "The API does not exist or has not been published in the environment",
            )
        )

    images = "/v1/{project_id}/images"
    routes = [
        Route("/v3/auth/tokens", token, methods=["POST"]),
        Route("/v3/projects", projects, methods=["GET"]),
        Route("/v3/auth/projects", projects, methods=["GET"]),
        Route(images, modelarts("register", register), methods=["POST"]),
        Route(images, modelarts("list", list_images), methods=["GET"]),
        Route(images + "/group", modelarts("group", list_groups), methods=["GET"]),
        Route(images + "/{image_id}", modelarts("show", show), methods=["GET"]),
        Route(images + "/{image_id}", modelarts("delete", delete), methods=["DELETE"]),
        *control.routes(services),
    ]
    router = Starlette(
        routes=routes,
        exception_handlers={ApiFailure: on_failure, HTTPException: on_http_error},
    )
    return _Shell(router, faults)


class _Shell:
    """Adds `X-Request-Id` to every answer, injects latency, keeps the raw `send` for drops."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[_RAW_SEND] = send
        request_id = uuid.uuid4().hex.encode()
        latency = self.faults.latency
        if latency > 0 and not scope["path"].startswith("/_emulator"):
            await asyncio.sleep(latency)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id)]
            await send(message)

        await self.app(scope, receive, send_with_id)
