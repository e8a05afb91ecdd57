"""`%load_ext modelarts_magic` incremental cost in a running IPython, next to `%load_ext sql` (jupysql).

Uses `load_ext_cost.measure`: one fresh interpreter per sample, `InteractiveShell` started untimed,
then `%load_ext <name>` timed alone, bytecode cached as for an installed package. Rounds of the
two extensions alternate, so a busy moment of the machine hits both. A clean IPYTHONDIR and HOME
keep the user's configuration out.

    python benchmarks/bench_load_ext.py [--quick] [--json PATH]
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from typing import Any

import _harness as h
import load_ext_cost

TARGET_MS = 30.0


def measure(rounds: int, per_round: int = 4) -> tuple[h.Stats, h.Stats | None]:
    """(ours, jupysql or None when it is not installed), milliseconds, `rounds` x `per_round` each."""
    has_sql = importlib.util.find_spec("sql") is not None
    ours: list[float] = []
    sql: list[float] = []
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cache:
        saved = {name: os.environ.get(name) for name in ("HOME", "IPYTHONDIR")}
        os.environ["HOME"] = home
        os.environ["IPYTHONDIR"] = os.path.join(home, ".ipython")
        try:
            for _ in range(rounds):  # each call warms up once (untimed), then times `per_round`
                ours += load_ext_cost.measure("modelarts_magic", per_round, cache)
                if has_sql:
                    sql += load_ext_cost.measure("sql", per_round, cache)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return h.Stats(ours), (h.Stats(sql) if sql else None)


def rows(quick: bool = False) -> list[h.Row]:
    """One row: ours vs jupysql 0.11 (target <= 0.1x and under 30 ms)."""
    ours, sql = measure(1 if quick else 3)
    passed = ours.median < TARGET_MS and (sql is None or ours.median <= 0.1 * sql.median)
    return [
        h.Row(
            key="load_ext",
            what="%load_ext incremental cost",
            ours=ours,
            peer_name="%load_ext sql (jupysql 0.11.1)",
            peer=sql,
            target=f"<= 0.1x and < {TARGET_MS:g} ms",
            passed=passed,
            note=(
                f"fresh interpreter per sample ({len(ours.samples)} each, rounds alternating), "
                "InteractiveShell started untimed, %load_ext timed alone"
                + ("" if sql else "; jupysql not installed: pip install jupysql==0.11.1")
            ),
        )
    ]


def main(argv: Any = None) -> None:
    args = h.parser(__doc__.splitlines()[0]).parse_args(argv)
    h.emit(rows(args.quick), args)


if __name__ == "__main__":
    main()
