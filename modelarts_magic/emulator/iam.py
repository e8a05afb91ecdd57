"""The emulator's IAM (Keystone v3): password tokens and the project lookup.

`POST /v3/auth/tokens` answers 201 with the token in `X-Subject-Token`; a wrong user, password or
domain gives Keystone's 401 body. `GET /v3/projects[?name=]` needs a token or an AK/SK signature.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timezone
from typing import Any

from .errors import keystone_failure
from .gateway import TokenIssuer
from .settings import EmulatorSettings

__all__ = ["issue_token", "list_projects"]

_UNAUTHORIZED = "The request you have made requires authentication."


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _project(settings: EmulatorSettings) -> dict[str, Any]:
    return {
        "id": settings.project_id,
        "name": settings.project_name,
        "domain_id": _domain_id(settings),
        "description": "",
        "enabled": True,
        "is_domain": False,
        "parent_id": _domain_id(settings),
    }


def _domain_id(settings: EmulatorSettings) -> str:
    return f"domain-{settings.domain}"


def issue_token(
    settings: EmulatorSettings, tokens: TokenIssuer, body: Any, base_url: str, with_catalog: bool = True
) -> tuple[str, dict[str, Any]]:
    """Check a Keystone password-auth body; return the token and the response body."""
    identity = _get(body, "auth", "identity")
    if not isinstance(identity, dict):
        raise keystone_failure(400, "Expecting to find identity in auth; send auth.identity.password.user")
    methods = identity.get("methods")
    if not isinstance(methods, list) or "password" not in methods:
        raise keystone_failure(
            401, "Only the password method is supported here: methods must be ['password']"
        )
    user = _get(identity, "password", "user")
    if not isinstance(user, dict):
        raise keystone_failure(
            400, "Expecting to find user in password; send user.name, password, domain.name"
        )
    domain = user.get("domain") or {}
    domain_ok = _same(domain.get("name"), settings.domain) or _same(domain.get("id"), _domain_id(settings))
    if not (
        _same(user.get("name"), settings.user)
        and _same(user.get("password"), settings.password)
        and domain_ok
    ):
        raise keystone_failure(401, _UNAUTHORIZED)
    scope = _get(body, "auth", "scope")
    project_id: str | None = None
    if isinstance(scope, dict) and "project" in scope:
        wanted = scope.get("project") or {}
        if not (
            _same(wanted.get("id"), settings.project_id) or _same(wanted.get("name"), settings.project_name)
        ):
            raise keystone_failure(
                401, f"{_UNAUTHORIZED} The user has no access to the requested project scope"
            )
        project_id = settings.project_id
    token, claims = tokens.issue(settings.user, settings.domain, project_id, settings.project_name)
    domain_info = {"id": _domain_id(settings), "name": settings.domain}
    content: dict[str, Any] = {
        "expires_at": _iso(claims["exp"]),
        "issued_at": _iso(claims["iat"]),
        "methods": ["password"],
        "user": {"id": f"user-{settings.user}", "name": settings.user, "domain": domain_info},
        "roles": [{"id": "role-te-admin", "name": "te_admin"}],
    }
    if project_id is not None:
        content["project"] = {"id": project_id, "name": settings.project_name, "domain": domain_info}
    else:
        content["domain"] = domain_info
    if with_catalog:
        content["catalog"] = [
            _service("modelarts", "modelarts", base_url, settings.region),
            _service("identity", "iam", f"{base_url}/v3", settings.region),
        ]
    return token, {"token": content}


def _service(kind: str, name: str, url: str, region: str) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "id": f"service-{name}",
        "endpoints": [
            {
                "id": f"endpoint-{name}",
                "interface": "public",
                "region": region,
                "region_id": region,
                "url": url,
            }
        ],
    }


def list_projects(settings: EmulatorSettings, name: str | None, base_url: str) -> dict[str, Any]:
    """`{"projects": [...], "links": {...}}`, filtered by `name`."""
    projects = [_project(settings)]
    if name is not None:
        projects = [p for p in projects if p["name"] == name]
    return {
        "projects": projects,
        "links": {"self": f"{base_url}/v3/projects", "next": None, "previous": None},
    }
