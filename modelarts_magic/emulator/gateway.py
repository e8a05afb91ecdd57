"""The emulator's API gateway: verifies AK/SK signatures and IAM tokens exactly as ModelArts does.

Refusals and their codes::

    no credentials                          401 ModelArts.0201
    token expired (or revoked)              401 ModelArts.0202
    token not issued by this IAM            401 ModelArts.0203
    unknown AK, bad signature, bad headers  403 ModelArts.0206
    X-Sdk-Date > 15 min off the clock       401 APIG.0301   (so a replayed old request fails)
    URL project != token / X-Project-Id     403 ModelArts.0210

Tokens are self-contained (claims + HMAC), so they stay valid across an emulator restart with the
same credentials; `expire_all()` revokes every token issued until now.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from .. import signing
from ..masking import mask
from .errors import ApiFailure
from .settings import EmulatorSettings

__all__ = ["Gateway", "Principal", "TokenIssuer"]

_TOKEN_PREFIX = "MIIEmu"


@dataclass(frozen=True)
class Principal:
    """Who a request was authenticated as, and the project its credentials are scoped to."""

    scheme: str  # "aksk" or "token"
    user: str
    project_id: str | None


class TokenIssuer:
    """Issues and checks IAM tokens: base64url claims plus an HMAC over them."""

    def __init__(self, secret: bytes, ttl: float, revocation: MutableMapping[str, Any]) -> None:
        self._secret = secret
        self.ttl = ttl
        # Shared with the store's persisted state, so a revocation survives a restart.
        self._revocation = revocation

    def issue(
        self, user: str, domain: str, project_id: str | None, project_name: str | None
    ) -> tuple[str, dict[str, Any]]:
        """A new token and its claims (`iat`, `exp` in epoch seconds)."""
        now = time.time()
        claims = {
            "u": user,
            "d": domain,
            "p": project_id,
            "pn": project_name,
            "iat": now,
            "exp": now + self.ttl,
            "n": base64.urlsafe_b64encode(os.urandom(9)).decode(),
        }
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode()
        mac = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        return f"{_TOKEN_PREFIX}{payload}.{mac}", claims

    def check(self, token: str) -> dict[str, Any]:
        """The claims of a valid token; raise 0203 (not ours) or 0202 (expired or revoked)."""
        token = token.strip()
        payload, _, mac = token.removeprefix(_TOKEN_PREFIX).rpartition(".")
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        invalid = ApiFailure(
            401, "ModelArts.0203", "Invalid token: it was not issued by this IAM; get a new one"
        )
        if not token.startswith(_TOKEN_PREFIX) or not hmac.compare_digest(mac.encode(), expected.encode()):
            raise invalid
        try:
            claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
        except ValueError:
            raise invalid from None
        revoked_before = float(self._revocation.get("tokens_revoked_before", 0))
        if claims["exp"] <= time.time() or claims["iat"] <= revoked_before:
            raise ApiFailure(401, "ModelArts.0202", "Token expired: request a new token from IAM")
        return claims

    def expire_all(self) -> None:
        """Every token issued until now expires at once."""
        self._revocation["tokens_revoked_before"] = time.time()


class Gateway:
    """Authenticates requests by AK/SK signature or `X-Auth-Token`, with the real refusal codes."""

    def __init__(
        self, settings: EmulatorSettings, tokens: TokenIssuer, clock_offset: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.tokens = tokens
        self._clock_offset = clock_offset

    def authenticate(
        self,
        method: str,
        raw_path: str,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes,
        url_project_id: str | None,
    ) -> Principal:
        """Check the request's credentials (and its project, when the URL names one)."""
        authorization = headers.get("authorization")
        token = headers.get("x-auth-token")
        if authorization:
            principal = self._check_signature(method, raw_path, query_string, headers, body, authorization)
        elif token:
            claims = self.tokens.check(token)
            principal = Principal("token", claims["u"], claims.get("p"))
        else:
            raise ApiFailure(
                401,
                "ModelArts.0201",
                "Token missing: send an IAM token in X-Auth-Token or sign the request with AK/SK",
            )
        if url_project_id is not None:
            self._check_project(principal, url_project_id, headers.get("x-project-id"))
        return principal

    def _check_project(self, principal: Principal, url_project_id: str, header_project: str | None) -> None:
        scoped = principal.project_id
        if header_project is not None and header_project != url_project_id:
            raise ApiFailure(
                403,
                "ModelArts.0210",
                f"The project ID in the URL ({url_project_id}) does not match "
                f"X-Project-Id ({header_project})",
            )
        if scoped is None:
            raise ApiFailure(
                403,
                "ModelArts.0210",
                f"The token is not scoped to a project; request one scoped to project {url_project_id}",
            )
        if url_project_id != scoped:
            raise ApiFailure(
                403,
                "ModelArts.0210",
                f"The project ID in the URL ({url_project_id}) does not match the token's project ({scoped})",
            )

    def _check_signature(
        self,
        method: str,
        raw_path: str,
        query_string: bytes,
        headers: Mapping[str, str],
        body: bytes,
        authorization: str,
    ) -> Principal:
        scheme = authorization.strip().split(" ", 1)[0]
        if scheme != signing.ALGORITHM:
            raise ApiFailure(
                403,
                "ModelArts.0206",
                f"Invalid AK/SK: unsupported Authorization scheme {scheme[:20]!r}; "
                f"sign with {signing.ALGORITHM}",
            )
        try:
            ak, signed, sig = signing.parse_authorization(authorization)
        except ValueError as err:
            raise ApiFailure(403, "ModelArts.0206", f"Invalid AK/SK: {err}") from None
        if not hmac.compare_digest(ak.encode(), self.settings.ak.encode()):
            raise ApiFailure(
                403, "ModelArts.0206", f"Invalid AK/SK: the access key {mask(ak) or '****'} is not known"
            )
        if "host" not in signed or "x-sdk-date" not in signed:
            raise ApiFailure(
                403, "ModelArts.0206", "Invalid AK/SK: SignedHeaders must include host and x-sdk-date"
            )
        date_text = headers.get("x-sdk-date", "")
        try:
            sent_at = signing.parse_sdk_date(date_text)
        except ValueError as err:
            raise ApiFailure(403, "ModelArts.0206", f"Invalid AK/SK: {err}") from None
        now = time.time() + self._clock_offset()
        skew = sent_at.timestamp() - now
        if abs(skew) > self.settings.max_skew_seconds:
            server = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            raise ApiFailure(
                401,
                "APIG.0301",
                f"Incorrect IAM authentication information: X-Sdk-Date {date_text} is {abs(skew) / 60:.0f} "
                f"minutes off the server time {server} (at most 15 allowed); correct the machine clock",
            )
        query_pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        try:
            canonical = signing.canonical_request(method, raw_path, query_pairs, headers, body, signed)
        except ValueError as err:
            raise ApiFailure(403, "ModelArts.0206", f"Invalid AK/SK: {err}") from None
        expected = signing.signature(self.settings.sk, date_text, canonical)
        if not hmac.compare_digest(expected, sig):
            raise ApiFailure(
                403,
                "ModelArts.0206",
                "Invalid AK/SK: the signature does not match; check the SK and sign exactly the method, "
                "path, query, signed headers and body that are sent",
            )
        return Principal("aksk", self.settings.user, self.settings.project_id)
