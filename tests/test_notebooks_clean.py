"""The committed tutorial notebooks hold no secret, and are saved executed (so nbval has outputs to compare).

A notebook is saved and shared with its outputs: a secret that reaches an output (or the widget state
in its metadata) is published. These tests read the committed `.ipynb` files as they are on disk.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from modelarts_magic.emulator import DEMO

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
EXPECTED = [
    "01-quickstart.ipynb",
    "02-form.ipynb",
    "03-lifecycle-and-automation.ipynb",
    "04-real-cloud.ipynb",
    "05-errors-and-troubleshooting.ipynb",
]

# Values that look like credentials but say they are not (the tutorials' fake examples).
_FAKE_MARKERS = ("example", "not-real", "not-the-", "your-", "xxxx", "...", "<")
# An assignment of a secret in a cell or a shell/INI/YAML snippet: sk = "...", OS_PASSWORD=..., token: ...
_SECRET_ASSIGNMENT = re.compile(
    r"""(?ix)\b(?:huaweicloud_sdk_sk|os_password|os_auth_token|os_token|huaweicloud_sdk_security_token
    |secret_key|security_token|sk|password|token)\b\s*[=:]\s*(?P<value>"[^"]*"|'[^']*'|[^\s,)}\]]{8,})"""
)
# Huawei Cloud AKs are 20 upper-case letters/digits; SKs 40 mixed-case letters/digits; IAM tokens start MII.
_AK_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9]{20}(?![A-Za-z0-9])")
_SK_LIKE = re.compile(
    r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{40}(?![A-Za-z0-9])"
)
_IAM_TOKEN = re.compile(r"MII[A-Za-z0-9+/=_-]{100,}")
_SIGNATURE = re.compile(r"Signature=(?P<value>[^\s,\"'\\<]+)")
_TOKEN_HEADER = re.compile(
    r"(?i)\b(?:x-auth-token|x-subject-token|x-security-token)\s*[:=]\s*(?P<value>[^\s\"'\\<]+)"
)


def _texts(node: Any) -> list[str]:
    """Every string inside a JSON value (sources, outputs, widget state)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in _texts(value)]
    return []


def _is_fake(value: str) -> bool:
    bare = value.strip("\"'")
    if not bare or bare in ("None", "****") or "…" in bare or "*" in bare:
        return True
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", bare) and "." in bare:
        return True  # a Python expression such as DEMO.sk, not a literal
    return any(marker in bare.lower() for marker in _FAKE_MARKERS)


def secrets_in(notebook: dict[str, Any], home: str | None = None) -> list[str]:
    """What in a notebook's JSON looks like a secret (or a private path); empty when clean."""
    found = []
    raw = json.dumps(notebook, ensure_ascii=False)
    for value, name in ((DEMO.sk, "the emulator's demo SK"), (DEMO.password, "the emulator's demo password")):
        if value in raw:
            found.append(f"{name} appears (only DEMO.sk / DEMO.password may be named, not their values)")
    for text in _texts(notebook):
        for match in _SECRET_ASSIGNMENT.finditer(text):
            if not _is_fake(match.group("value")):
                found.append(f"a secret is assigned a real-looking value: {match.group(0)[:40]!r}")
        for match in _AK_LIKE.finditer(text):
            if match.group(0) != DEMO.ak and not _is_fake(match.group(0)):
                found.append(f"an access-key-like value: {match.group(0)[:4]}…")
        for match in _SK_LIKE.finditer(text):
            found.append(f"a secret-key-like value: {match.group(0)[:4]}…")
        if _IAM_TOKEN.search(text):
            found.append("an IAM token")
        for pattern in (_SIGNATURE, _TOKEN_HEADER):
            for match in pattern.finditer(text):
                if not _is_fake(match.group("value")):
                    found.append(f"an unmasked credential header value: {match.group(0)[:30]!r}…")
    if home and home + "/" in raw:
        found.append(f"the home folder {home} appears")
    return found


def test_the_five_tutorials_are_there():
    assert [path.name for path in PATHS] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_a_saved_notebook_holds_no_secret(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert secrets_in(notebook, home=str(Path.home())) == []


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.name)
def test_a_saved_notebook_is_executed_so_nbval_compares_its_outputs(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    unrun = [
        index
        for index, cell in enumerate(notebook["cells"])
        if cell["cell_type"] == "code"
        and "nbval-skip" not in cell.get("metadata", {}).get("tags", [])
        and cell.get("execution_count") is None
    ]
    assert unrun == [], f"code cells {unrun} were saved without running: nbval would compare nothing"
    outputs = [
        o for cell in notebook["cells"] if cell["cell_type"] == "code" for o in cell.get("outputs", [])
    ]
    assert outputs, "no outputs saved"


@pytest.mark.parametrize(
    "leak",
    [
        DEMO.sk,
        DEMO.password,
        'sk="Q2x8Vb7MnP4kT0rWz9LcYd3HfJ6gA1sEuN5oRiK8"',
        "export HUAWEICLOUD_SDK_SK=s3cr3t-value-123",
        "authorization: SDK-HMAC-SHA256 Access=DEMO…C0, SignedHeaders=host, Signature=9f86d081884c7d65",
        "x-auth-token: gAAAAABlZ2VuZXJhdGVkdG9rZW4",
        "AKIDQ3W8ZJ2LN6T4PXRS",
        "MII" + "Ab0+" * 40,
    ],
)
def test_the_scan_finds_a_planted_secret(leak: str):
    notebook = {
        "cells": [{"cell_type": "code", "source": "x", "outputs": [{"text": f"before {leak} after"}]}]
    }
    assert secrets_in(notebook) != []


def test_the_scan_accepts_masks_and_named_fakes():
    clean = [
        "authorization: SDK-HMAC-SHA256 Access=DEMO…C0, SignedHeaders=host, Signature=****",
        "sk                   ****                              emulator",
        "client = ModelArtsClient(url, DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk)",
        'sk="not-the-secret-key-of-this-ak"',
        "export HUAWEICLOUD_SDK_SK=...          # secret key",
        "password: ...",
    ]
    notebook = {"cells": [{"cell_type": "code", "source": "\n".join(clean), "outputs": []}]}
    assert secrets_in(notebook) == []
