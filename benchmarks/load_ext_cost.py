"""How much `%load_ext modelarts_magic` costs in a running IPython, next to `%load_ext sql` (jupysql).

Each measurement is a fresh Python process: it starts an `InteractiveShell` (not timed), then
times `%load_ext <name>` alone, so the figure is the extension's incremental cost (its own imports
and magic registration), not IPython's start-up. Prints median / min / max in milliseconds.

Bytecode is cached as for an installed package (a pip-installed jupysql has its .pyc files): the
children get a private `PYTHONPYCACHEPREFIX`, even when `PYTHONDONTWRITEBYTECODE` is set here, and
one warm-up run per extension fills it before the timed runs.

    python benchmarks/load_ext_cost.py [--runs 15]

jupysql 0.11.1 is the comparison (`pip install jupysql==0.11.1`); it is skipped when missing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_PROBE = """
import sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
start = time.perf_counter()
ip.run_line_magic("load_ext", sys.argv[1])
print(f"{(time.perf_counter() - start) * 1000:.3f}")
"""


def measure(extension: str, runs: int, cache: str) -> list[float]:
    """`runs` timings (ms) of `%load_ext extension`, each in a fresh interpreter (after one warm-up)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "PYTHONPYCACHEPREFIX": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    timings = []
    for _ in range(runs + 1):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, extension], capture_output=True, text=True, env=env, timeout=300
        )
        if done.returncode != 0:
            raise SystemExit(f"%load_ext {extension} failed:\n{done.stderr}")
        timings.append(float(done.stdout.strip().splitlines()[-1]))
    return timings[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per extension (default 15)")
    args = parser.parse_args()

    extensions = ["modelarts_magic"]
    if importlib.util.find_spec("sql") is not None:
        extensions.append("sql")
    else:
        print("jupysql is not installed (pip install jupysql==0.11.1): measuring modelarts_magic only")

    print(f"%load_ext cost in a running IPython, {args.runs} fresh processes each (ms)")
    print(f"{'extension':<18}{'median':>10}{'min':>10}{'max':>10}")
    results = {}
    cache = tempfile.mkdtemp(prefix="load-ext-pycache-")
    for extension in extensions:
        timings = measure(extension, args.runs, cache)
        results[extension] = statistics.median(timings)
        print(f"{extension:<18}{statistics.median(timings):>10.1f}{min(timings):>10.1f}{max(timings):>10.1f}")
    if "sql" in results:
        ratio = results["sql"] / results["modelarts_magic"]
        print(f"modelarts_magic loads {ratio:.0f}x faster than jupysql (target: under 30 ms)")


if __name__ == "__main__":
    main()
