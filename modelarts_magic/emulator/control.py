"""The `/_emulator/*` control routes: reset, faults, SWR additions, token expiry and state, for
driving an emulator that runs in another process (e.g. `modelarts-magic emulator`).

They need no credentials: the emulator is a local test double, bound to loopback by default.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import ApiFailure

if TYPE_CHECKING:
    from .app import Services

__all__ = ["routes"]


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as err:
        raise ApiFailure(400, "Emulator.0001", f"body is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise ApiFailure(400, "Emulator.0001", "body must be a JSON object")
    return data


def routes(services: Services) -> list[Route]:
    """The control routes bound to one emulator's services."""
    store, faults, seen = services.store, services.faults, services.requests_seen

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "project_id": services.settings.project_id})

    async def state(request: Request) -> Response:
        return JSONResponse(
            {
                "images": store.images(),
                "swr": store.catalogue.images(),
                "faults": faults.describe(),
                "requests_seen": dict(seen),
            }
        )

    async def reset(request: Request) -> Response:
        store.reset()
        faults.clear()
        seen.clear()
        return JSONResponse({"reset": True})

    async def get_faults(request: Request) -> Response:
        return JSONResponse(faults.describe())

    async def set_faults(request: Request) -> Response:
        try:
            faults.apply(await _json_body(request))
        except (TypeError, ValueError) as err:
            raise ApiFailure(400, "Emulator.0002", f"bad fault settings: {err}") from None
        return JSONResponse(faults.describe())

    async def clear_faults(request: Request) -> Response:
        faults.clear()
        return JSONResponse(faults.describe())

    async def add_swr(request: Request) -> Response:
        data = await _json_body(request)
        try:
            store.add_swr_image(
                str(data["namespace"]),
                str(data["name"]),
                str(data["tag"]),
                int(data.get("size_bytes", 1024**3)),
                fails_with=data.get("fails_with"),
                creating_seconds=data.get("creating_seconds"),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ApiFailure(
                400, "Emulator.0003", f"give namespace, name, tag and size_bytes ({err})"
            ) from None
        return JSONResponse({"added": True}, status_code=201)

    async def expire_tokens(request: Request) -> Response:
        services.gateway.tokens.expire_all()
        store.save()
        return JSONResponse({"expired": True})

    async def requests(request: Request) -> Response:
        return JSONResponse(dict(seen))

    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/state", state, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", get_faults, methods=["GET"]),
        Route("/_emulator/faults", set_faults, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/swr", add_swr, methods=["POST"]),
        Route("/_emulator/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/_emulator/requests", requests, methods=["GET"]),
    ]
