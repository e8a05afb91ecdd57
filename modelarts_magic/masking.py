"""Masks for secrets and identifiers, so that no output ever shows a credential whole.

`mask("AKIAIOSFODNN7EXAMPLE")` is `AKIA…LE`; anything shorter than 16 characters is `****`.
`redact(text, *secrets)` removes secrets (plain, URL-encoded or base64) from a text.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, quote_plus

__all__ = ["HIDDEN", "mask", "redact", "reveal"]

#: What a secret that must never be shown, even in part (SK, password, token), prints as.
HIDDEN = "****"
#: Values shorter than this are hidden whole: a part of a short value gives too much of it away.
_MIN_PARTIAL = 16


def reveal(secret: Any) -> str:
    """The plain text of a `str`, a pydantic `SecretStr` (or anything with `get_secret_value`), or ''."""
    if secret is None:
        return ""
    getter = getattr(secret, "get_secret_value", None)
    value = getter() if callable(getter) else secret
    return value if isinstance(value, str) else str(value)


def mask(secret: Any) -> str:
    """`AKIA…XY` (first 4 and last 2 characters) for a long value, `****` for a short one, '' for none."""
    value = reveal(secret)
    if not value:
        return ""
    if len(value) < _MIN_PARTIAL:
        return HIDDEN
    return f"{value[:4]}…{value[-2:]}"


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret, quote(secret, safe=""), quote_plus(secret, safe="")}
    forms.update(
        encoded.decode().rstrip("=") for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw))
    )
    # Tiny values would blank out ordinary words; they are masked where they are shown instead.
    return {form for form in forms if len(form) >= 4}


def redact(text: str, *secrets: Any) -> str:
    """`text` with every secret (plain, URL-encoded or base64) replaced by `****`."""
    for secret in secrets:
        value = reveal(secret)
        if not value:
            continue
        for form in sorted(_forms(value), key=len, reverse=True):
            text = text.replace(form, HIDDEN)
    return text
