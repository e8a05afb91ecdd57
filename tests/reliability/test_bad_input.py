"""Every case of the bad-input corpus, run as a user runs it: a cell of a real IPython shell.

Per case: the shell shows exactly one line (`UsageError: ...`), no traceback; the line names the
field and says how to fix it; and the emulator saw no request at all. The few corpus cases that
are *accepted* (notebook values that try to inject structure through a placeholder) must register
exactly one image whose description is the value verbatim, with no field added.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from bad_inputs import CASES
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from modelarts_magic.emulator import Emulator

#: The issue asks for at least this many bad inputs.
MINIMUM_CASES = 150

#: First words of a fix: what the user is told to do next.
_FIX_WORDS = {
    "add", "check", "close", "define", "drop", "fix", "give", "indent", "put", "quote", "remove",
    "see", "shorten", "use", "write",
}  # fmt: skip
_FIX_START = re.compile(r";\s+(?P<word>[A-Za-z]+)")
_CHOICES = re.compile(r";\s+(?:did you mean |allowed [a-z ]+: )")


def _has_a_fix(message: str) -> bool:
    """True when some '; ' is followed by an imperative, 'did you mean ...' or the allowed choices."""
    if _CHOICES.search(message):
        return True
    return any(match.group("word").lower() in _FIX_WORDS for match in _FIX_START.finditer(message))


def _source(line: str, cell: str | None) -> str:
    return f"%register_image {line}" if cell is None else f"%%register_image {line}\n{cell}"


def _run(shell: InteractiveShell, capsys: pytest.CaptureFixture[str], source: str, ns: dict[str, Any]) -> Any:
    shell.user_ns.update(ns)
    try:
        capsys.readouterr()
        result = shell.run_cell(source, store_history=False)
        captured = capsys.readouterr()
    finally:
        for name in ns:
            shell.user_ns.pop(name, None)
    return result, captured.out + captured.err


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= MINIMUM_CASES, f"only {len(CASES)} bad inputs"
    assert len({case[0] for case in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize(("case_id", "line", "cell", "ns", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_naming_field_and_fix_and_sends_nothing(
    shell: InteractiveShell,
    emulator_env: Emulator,
    capsys: pytest.CaptureFixture[str],
    case_id: str,
    line: str,
    cell: str | None,
    ns: dict[str, Any],
    field: str,
) -> None:
    result, shown = _run(shell, capsys, _source(line, cell), ns)
    if not field:  # an injection attempt that must stay one plain value
        assert result.error_in_exec is None and result.error_before_exec is None, shown
        images = emulator_env.store.images()
        assert len(images) == 1, images
        assert images[0]["description"] == ns["evil"]
        assert images[0]["visibility"] == "PRIVATE"
        return
    assert isinstance(result.error_in_exec, UsageError), (
        f"{case_id}: expected a one-line UsageError, got {result.error_in_exec!r}: {shown[-800:]}"
    )
    rows = [row for row in shown.splitlines() if row.strip()]
    assert len(rows) == 1, f"{case_id}: the shell showed {len(rows)} lines:\n{shown[:2000]}"
    message = rows[0]
    assert message.startswith("UsageError: "), message
    assert "Traceback" not in shown and 'File "' not in shown
    assert field in message, f"{case_id}: {message!r} does not name {field!r}"
    assert _has_a_fix(message), f"{case_id}: {message!r} does not say how to fix it"
    assert sum(emulator_env.requests_seen.values()) == 0, emulator_env.requests_seen
