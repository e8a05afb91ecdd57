"""Real-looking credentials and a sweep that finds them, in any form, in any text.

The credentials are generated for each run (20-character AK, 40-character SK, a password with
characters that URL-encoding and base64 change, and an IAM token the emulator issues), so a leak
check cannot pass by accident on a fixed value. A finding names the secret and the form it was
found in, never the value.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from modelarts_magic.emulator import Emulator


def _random(length: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


AK = _random(20, string.ascii_uppercase + string.digits)
SK = _random(40, string.ascii_letters + string.digits)
WRONG_SK = _random(40, string.ascii_letters + string.digits)
PASSWORD = "Pw/" + _random(14, string.ascii_letters + string.digits) + "+= @!x"
WRONG_PASSWORD = "Wr/" + _random(14, string.ascii_letters + string.digits) + "+= @!y"
PROJECT_ID = secrets.token_hex(16)
USER = "alice-data-science"
DOMAIN = "acme-cloud-account"
GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"


def _b64_forms(raw: bytes) -> set[str]:
    """Base64 (standard and URL-safe) of `raw` at each of the three alignments it can have inside
    a longer encoded value, trimmed to the characters that depend on `raw` alone."""
    forms = set()
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(b"\0" * shift + raw).decode().rstrip("=")
            start = (shift * 8 + 5) // 6 + (1 if shift else 0)
            core = text[start:-2]
            if len(core) >= 12:
                forms.add(core)
    return forms


def secret_forms(secret: str) -> dict[str, str]:
    """Every form a secret could be shown in: plain, URL-encoded, JSON-escaped, hex, base64."""
    raw = secret.encode()
    forms = {
        "plain": secret,
        "url-encoded": quote(secret, safe=""),
        "form-encoded": quote_plus(secret),
        "json-escaped": json.dumps(secret)[1:-1],
        "hex": raw.hex(),
    }
    for index, core in enumerate(sorted(_b64_forms(raw))):
        forms[f"base64#{index}"] = core
    return forms


@dataclass
class Sweep:
    """Everything shown, logged or saved during a test, searched for every secret."""

    secrets: dict[str, str]
    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, value: Any) -> None:
        """Record a text (or anything: its JSON, or its repr) found at `where`."""
        if not isinstance(value, str):
            try:
                value = json.dumps(value, default=repr, ensure_ascii=False)
            except (TypeError, ValueError):
                value = repr(value)
        self.items.append((where, value))

    def findings(self) -> list[str]:
        """`where: NAME (form)` for each secret found; never the secret itself."""
        found = []
        for where, text in self.items:
            for name, secret in self.secrets.items():
                for form_name, form in secret_forms(secret).items():
                    if form in text:
                        found.append(f"{where}: {name} ({form_name})")
        return found

    @property
    def size(self) -> int:
        """Characters swept."""
        return sum(len(text) for _, text in self.items)


class Records(logging.Handler):
    """Keeps every record, formatted with its exception and stack (what a DEBUG log file would hold)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.args))


def issue_token(emu: Emulator) -> str:
    """An IAM token for the real-looking user, issued by the emulator (password flow)."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {"name": USER, "password": PASSWORD, "domain": {"name": DOMAIN}}},
            },
            "scope": {"project": {"id": PROJECT_ID}},
        }
    }
    answer = httpx.post(f"{emu.iam_url}/auth/tokens", json=body)
    answer.raise_for_status()
    return answer.headers["X-Subject-Token"]


def finish(sweep: Sweep, logs: Records, *, at_least: int = 1) -> None:
    """Add the log lines, then assert the sweep saw something and found no secret."""
    for index, line in enumerate(logs.lines):
        sweep.add(f"log line {index} ({line[:60]!r})", line)
    assert sweep.size > at_least, f"the sweep saw only {sweep.size} characters"
    findings = sweep.findings()
    assert not findings, "secrets leaked:\n" + "\n".join(findings[:50])
