"""The `SDK-HMAC-SHA256` request signature of Huawei Cloud APIs, as pure functions.

Byte for byte what `huaweicloudsdkcore` 3.1.219's `Signer` computes::

    canonical request = METHOD \\n canonical URI \\n canonical query \\n
                        name:value\\n per signed header \\n signed;names \\n hex sha256(body)
    string to sign    = SDK-HMAC-SHA256 \\n X-Sdk-Date \\n hex sha256(canonical request)
    Authorization     = SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex hmac(SK, string)

`auth.AkSkAuth` signs with it and the emulator's gateway verifies with it, so this module imports
nothing beyond the standard library.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import quote, unquote

__all__ = [
    "ALGORITHM",
    "CONTENT_SHA256_HEADER",
    "DATE_HEADER",
    "EMPTY_BODY_SHA256",
    "authorization_header",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "parse_authorization",
    "parse_sdk_date",
    "sdk_date",
    "signature",
    "signed_header_names",
    "string_to_sign",
]

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
#: When present (e.g. `UNSIGNED-PAYLOAD`), its value replaces the body hash, as in the SDK.
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
_AUTHORIZATION_RE = re.compile(
    rf"{re.escape(ALGORITHM)} +Access=([^\s,]+) *, *SignedHeaders=([^\s,]+) *, *Signature=([0-9a-fA-F]+)"
)
# Text made only of characters `quote(..., safe="~")` leaves alone (and `unquote` too: no `%`).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


def sdk_date(now: datetime | None = None) -> str:
    """The `X-Sdk-Date` value (`YYYYMMDDTHHMMSSZ`, UTC) for `now` (default: the current time)."""
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is not None:
        now = now.astimezone(timezone.utc)
    return now.strftime(_DATE_FORMAT)


def parse_sdk_date(value: str) -> datetime:
    """The aware UTC datetime of an `X-Sdk-Date` value; ValueError when it is not `YYYYMMDDTHHMMSSZ`."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError(f"X-Sdk-Date must look like 20200608T023900Z, got {value!r:.40}")
    return datetime.strptime(value, _DATE_FORMAT).replace(tzinfo=timezone.utc)


@lru_cache(maxsize=1024)
def _encode(text: str) -> str:
    # Keys, values and path segments repeat across requests (ids, filters): memoise the quoting.
    return quote(text, safe="~")


def canonical_uri(path: str) -> str:
    """The canonical URI of a path as sent on the wire (percent-encoded): each segment decoded,
    re-encoded with `quote(segment, safe="~")`, always ending in `/`."""
    if _UNRESERVED_PATH.fullmatch(path):
        uri = path
    else:
        uri = "/".join([_encode(segment) for segment in unquote(path).split("/")])
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """The canonical query string: decoded `(key, value)` pairs sorted, both quoted, joined by `&`.

    A key given several values appears once per value, as on the wire. Values that are `bool`
    become `true` / `false` like the SDK's; any other value is `str()`-ed.
    """
    items = []
    for key, value in pairs:
        if value is True or value is False:
            value = "true" if value else "false"
        items.append((key, value if isinstance(value, str) else str(value)))
    if not items:
        return ""
    items.sort()
    return "&".join(
        [
            (key if _UNRESERVED.fullmatch(key) else _encode(key))
            + "="
            + (value if _UNRESERVED.fullmatch(value) else _encode(value))
            for key, value in items
        ]
    )


def signed_header_names(headers: Iterable[str]) -> list[str]:
    """The names the SDK signs: every header name without `_`, lower-cased, sorted."""
    return sorted([name.lower() for name in headers if "_" not in name])


def _body_sha256(body: bytes | str, content_sha256: str | None) -> str:
    if not body:
        return EMPTY_BODY_SHA256
    if content_sha256:
        return content_sha256
    if isinstance(body, str):
        body = body.encode()
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | str,
    signed: list[str] | None = None,
) -> str:
    """The canonical request of the SDK signer (six parts joined by `\\n`).

    `path` is the path as sent (percent-encoded), `query_pairs` the decoded query pairs,
    `headers` the request headers (any case). `signed` defaults to `signed_header_names(headers)`;
    a verifier passes the names from the Authorization header instead. A signed name missing from
    `headers` raises ValueError.
    """
    if signed is None:
        signed = signed_header_names(headers)
    # The SDK strips each value; a later spelling of the same name (other case) wins.
    values = {name.lower(): str(value).strip() for name, value in headers.items()}
    try:
        header_lines = "\n".join([f"{name}:{values[name]}" for name in signed])
    except KeyError as missing:
        raise ValueError(f"signed header {missing.args[0]!r} is not in the request") from None
    content_sha256 = values.get("x-sdk-content-sha256")
    if content_sha256:
        # The SDK reads it after re-encoding header values as UTF-8 seen through ISO-8859-1.
        content_sha256 = content_sha256.encode().decode("iso-8859-1")
    return (
        f"{method.upper()}\n{canonical_uri(path)}\n{canonical_query(query_pairs)}\n"
        f"{header_lines}\n\n{';'.join(signed)}\n{_body_sha256(body, content_sha256)}"
    )


def string_to_sign(date: str, canonical: str) -> str:
    """`SDK-HMAC-SHA256\\n{X-Sdk-Date}\\n{hex sha256(canonical request)}`."""
    return f"{ALGORITHM}\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(sk: str | bytes, date: str, canonical: str) -> str:
    """The hex HMAC-SHA256 with key `sk` of the string to sign for `date` and `canonical`."""
    key = sk.encode() if isinstance(sk, str) else sk
    return hmac.digest(key, string_to_sign(date, canonical).encode(), "sha256").hex()


def authorization_header(
    ak: str,
    sk: str | bytes,
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | str,
) -> str:
    """The `Authorization` value for a request whose `headers` already hold Host and X-Sdk-Date."""
    date = None
    for name, value in headers.items():
        if len(name) == 10 and name.lower() == "x-sdk-date":
            date = str(value).strip()
            break  # the SDK takes the first spelling
    if not date:
        raise ValueError("the headers to sign have no X-Sdk-Date; set it (signing.sdk_date()) first")
    signed = signed_header_names(headers)
    if "host" not in signed:
        raise ValueError("the headers to sign have no Host; set it (host[:port]) first")
    canonical = canonical_request(method, path, query_pairs, headers, body, signed)
    return (
        f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, "
        f"Signature={signature(sk, date, canonical)}"
    )


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """Split an `SDK-HMAC-SHA256` Authorization value into (AK, signed header names, signature).

    Raises ValueError when the value is not of that form (the message never repeats the value).
    """
    match = _AUTHORIZATION_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"Authorization is not '{ALGORITHM} Access=..., SignedHeaders=..., Signature=...'")
    ak, names, sig = match.groups()
    return ak, names.split(";"), sig.lower()
