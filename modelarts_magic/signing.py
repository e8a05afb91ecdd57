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
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

__all__ = [
    "ALGORITHM",
    "CONTENT_SHA256_HEADER",
    "DATE_HEADER",
    "EMPTY_BODY_SHA256",
    "SigningKey",
    "SigningTemplate",
    "authorization_header",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "parse_authorization",
    "parse_sdk_date",
    "sdk_date",
    "signature",
    "signed_header_names",
    "signing_template",
    "string_to_sign",
]

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "X-Sdk-Date"
#: When present (e.g. `UNSIGNED-PAYLOAD`), its value replaces the body hash, as in the SDK.
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# (second, its X-Sdk-Date): many requests are signed within one second. One tuple, swapped whole.
_last_date: tuple[int, str] = (-1, "")
_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
_AUTHORIZATION_RE = re.compile(
    rf"{re.escape(ALGORITHM)} +Access=([^\s,]+) *, *SignedHeaders=([^\s,]+) *, *Signature=([0-9a-fA-F]+)"
)
# Text made only of characters `quote(..., safe="~")` leaves alone (and `unquote` too: no `%`).
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9_.~/-]*")


def sdk_date(now: datetime | None = None) -> str:
    """The `X-Sdk-Date` value (`YYYYMMDDTHHMMSSZ`, UTC) for `now` (default: the current time)."""
    global _last_date
    if now is None:
        second = int(time.time())
        cached = _last_date
        if cached[0] != second:
            cached = _last_date = (second, time.strftime(_DATE_FORMAT, time.gmtime(second)))
        return cached[1]
    if now.tzinfo is not None:
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


@lru_cache(maxsize=256)
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


def _canonical(
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    values: Mapping[str, str],
    signed: list[str],
    body: bytes | str,
) -> str:
    # `values`: lower-cased names -> stripped values, as the SDK keys its canonical headers.
    try:
        header_lines = "".join([f"{name}:{values[name]}\n" for name in signed])
    except KeyError as missing:
        raise ValueError(f"signed header {missing.args[0]!r} is not in the request") from None
    if not header_lines:  # the SDK's "\n".join(lines) + "\n"
        header_lines = "\n"
    content_sha256 = values.get("x-sdk-content-sha256")
    if content_sha256:
        # The SDK reads it after re-encoding header values as UTF-8 seen through ISO-8859-1.
        content_sha256 = content_sha256.encode().decode("iso-8859-1")
    return (
        f"{method.upper()}\n{canonical_uri(path)}\n{canonical_query(query_pairs)}\n"
        f"{header_lines}\n{';'.join(signed)}\n{_body_sha256(body, content_sha256)}"
    )


def _header_values(headers: Mapping[str, str]) -> dict[str, str]:
    # The SDK strips each value; a later spelling of the same name (other case) wins.
    return {name.lower(): str(value).strip() for name, value in headers.items()}


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
    return _canonical(method, path, query_pairs, _header_values(headers), signed, body)


class SigningKey:
    """A secret key prepared for HMAC-SHA256 (its two padded hash states); its repr hides it."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, sk: str | bytes) -> None:
        key = sk.encode() if isinstance(sk, str) else bytes(sk)
        if len(key) > 64:  # HMAC hashes keys longer than the SHA-256 block
            key = hashlib.sha256(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))

    def __repr__(self) -> str:
        return "SigningKey(****)"

    def __reduce__(self) -> Any:
        raise TypeError("a SigningKey is not picklable: it holds a secret key")

    def hmac_hex(self, message: bytes) -> str:
        """The hex HMAC-SHA256 of `message` under this key."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def string_to_sign(date: str, canonical: str) -> str:
    """`SDK-HMAC-SHA256\\n{X-Sdk-Date}\\n{hex sha256(canonical request)}`."""
    return f"{ALGORITHM}\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(sk: str | bytes | SigningKey, date: str, canonical: str) -> str:
    """The hex HMAC-SHA256 with key `sk` of the string to sign for `date` and `canonical`."""
    message = string_to_sign(date, canonical).encode()
    if isinstance(sk, SigningKey):
        return sk.hmac_hex(message)
    return hmac.digest(sk.encode() if isinstance(sk, str) else sk, message, "sha256").hex()


def authorization_header(
    ak: str,
    sk: str | bytes | SigningKey,
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    normalized: bool = False,
) -> str:
    """The `Authorization` value for a request whose `headers` already hold Host and X-Sdk-Date.

    Every header whose name has no `_` is signed. Pass a `SigningKey` to sign many requests
    with one SK at less cost, and `normalized=True` when the names are already lower-case and
    the values stripped strings.
    """
    values = headers if normalized else _header_values(headers)
    if len(values) == len(headers):
        date = values.get("x-sdk-date")
        signed = sorted([name for name in values if "_" not in name])
    else:  # the same name in several cases: the SDK's date is the first, its list has each
        date = next((str(v).strip() for k, v in headers.items() if k.lower() == "x-sdk-date"), None)
        signed = signed_header_names(headers)
    if not date:
        raise ValueError("the headers to sign have no X-Sdk-Date; set it (signing.sdk_date()) first")
    if "host" not in values:
        raise ValueError("the headers to sign have no Host; set it (host[:port]) first")
    canonical = _canonical(method, path, query_pairs, values, signed, body)
    return (
        f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, "
        f"Signature={signature(sk, date, canonical)}"
    )


class SigningTemplate:
    """What one request shape (method, path, query, signed headers but the date) always signs the same.

    `authorization(key, date, body)` gives the `Authorization` value for a request of that shape:
    per request only the body hash, the canonical request's hash and the HMAC are computed.
    """

    __slots__ = ("_body_sha256", "_head", "_prefix", "_suffix")

    def __init__(self, prefix: str, suffix: str, body_sha256: str | None, head: str) -> None:
        self._prefix = prefix  # the canonical request up to the X-Sdk-Date value
        self._suffix = suffix  # after the date, up to the body hash
        self._body_sha256 = body_sha256  # fixed by X-Sdk-Content-Sha256, else None: hash the body
        self._head = head  # "SDK-HMAC-SHA256 Access=..., SignedHeaders=..., Signature="

    def authorization(self, key: SigningKey, date: str, body: bytes) -> str:
        """The `Authorization` value for a request of this shape sent at `date` with `body`."""
        # As `_body_sha256`: an empty body has the empty hash even when X-Sdk-Content-Sha256 is set.
        body_sha256 = (self._body_sha256 or hashlib.sha256(body).hexdigest()) if body else EMPTY_BODY_SHA256
        canonical = f"{self._prefix}{date}{self._suffix}{body_sha256}"
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return self._head + key.hmac_hex(f"{ALGORITHM}\n{date}\n{digest}".encode())


def signing_template(
    ak: str,
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    values: Mapping[str, str],
) -> SigningTemplate:
    """The `SigningTemplate` of a request: `values` are its headers to sign (lower-case names,
    stripped values; names with `_` are left out), X-Sdk-Date among them (its value is not used).

    Gives what `authorization_header(..., normalized=True)` gives for every date and body.
    """
    if "x-sdk-date" not in values:
        raise ValueError("the headers to sign have no X-Sdk-Date; set it (signing.sdk_date()) first")
    if "host" not in values:
        raise ValueError("the headers to sign have no Host; set it (host[:port]) first")
    signed = sorted([name for name in values if "_" not in name])
    lines = [f"{name}:{values[name]}\n" for name in signed]
    at = signed.index("x-sdk-date")
    prefix = (
        f"{method.upper()}\n{canonical_uri(path)}\n{canonical_query(query_pairs)}\n"
        f"{''.join(lines[:at])}x-sdk-date:"
    )
    suffix = f"\n{''.join(lines[at + 1 :])}\n{';'.join(signed)}\n"
    fixed = values.get("x-sdk-content-sha256")
    # The SDK reads it after re-encoding header values as UTF-8 seen through ISO-8859-1.
    body_sha256 = fixed.encode().decode("iso-8859-1") if fixed else None
    head = f"{ALGORITHM} Access={ak}, SignedHeaders={';'.join(signed)}, Signature="
    return SigningTemplate(prefix, suffix, body_sha256, head)


def parse_authorization(value: str) -> tuple[str, list[str], str]:
    """Split an `SDK-HMAC-SHA256` Authorization value into (AK, signed header names, signature).

    Raises ValueError when the value is not of that form (the message never repeats the value).
    """
    match = _AUTHORIZATION_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"Authorization is not '{ALGORITHM} Access=..., SignedHeaders=..., Signature=...'")
    ak, names, sig = match.groups()
    return ak, names.split(";"), sig.lower()
