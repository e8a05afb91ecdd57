"""Run every benchmark, one after the other, each in its own process; print one table and save it.

Writes `benchmarks/results/latest.json` (machine, rows with every sample) and `latest.md` (the
table as Markdown, for BENCHMARKS.md), then profiles one register call
(`benchmarks/results/profile-register.txt`). `scripts/bench` is the way to call it.

    python benchmarks/run_all.py [--quick] [--only KEY ...] [--no-profile] [--record]
    python benchmarks/run_all.py --rebuild [--record]   # re-make the tables from latest.json, no measuring
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _harness as h

HERE = Path(__file__).resolve().parent

#: (key, script, what it measures), in the order they run and are shown.
BENCHMARKS = (
    ("load_ext", "bench_load_ext.py", "%load_ext cost vs jupysql"),
    ("first_dry_run", "bench_first_dry_run.py", "first %%register_image --dry-run in a fresh kernel"),
    ("client_cpu", "bench_client_cpu.py", "client CPU per register call vs raw httpx and Huawei's SDK"),
    ("signing", "bench_signing.py", "AK/SK signing vs huaweicloudsdkcore's Signer"),
    ("batch", "bench_batch.py", "500 registrations at +20 ms: register_many vs Huawei's SDK loop"),
    ("form", "form_keystroke.py", "form validation per keystroke"),
    ("emulator_throughput", "bench_emulator_throughput.py", "emulator register calls per CPU-second"),
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    # The checkout first, so the code measured is the code here even when not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(h.REPO), os.environ.get("PYTHONPATH")]))
    return env


def run_script(script: str, quick: bool, extra: list[str]) -> list[h.Row]:
    """Run one benchmark script in a fresh interpreter; its rows (its own table goes to stdout)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rows.json"
        command = [sys.executable, str(HERE / script), "--json", str(out), *extra]
        if quick:
            command.append("--quick")
        done = subprocess.run(command, cwd=HERE, env=_environment(), timeout=900)
        if done.returncode != 0 or not out.exists():
            print(f"[bench] {script} failed (exit status {done.returncode})", file=sys.stderr)
            return []
        return [h.Row.from_json(item) for item in json.loads(out.read_text())]


def _markdown(
    machine: dict[str, Any], rows: list[h.Row], seconds: float, command: str, when: str | None = None
) -> str:
    passed = sum(1 for row in rows if row.passed is True)
    judged = sum(1 for row in rows if row.passed is not None)
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items() if version)
    when = when or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return "\n".join(
        [
            f"Run `{command}` on {when}, {seconds:.0f} s; {passed} of {judged} targets met.",
            "",
            h.markdown_table(rows),
            "",
            f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB RAM; "
            f"{machine['os']}; Python {machine['python']}; load average at start "
            f"{machine['load_average']} (shared with other work).",
            "",
            f"Packages: {packages}.",
            "",
        ]
    )


def main(argv: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run, ~1 minute)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="KEY",
        help="run only these: " + ", ".join(key for key, _, _ in BENCHMARKS),
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument profile")
    parser.add_argument(
        "--record", action="store_true", help="also put the table into BENCHMARKS.md (between its markers)"
    )
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="measure nothing: re-make latest.md (and with --record, BENCHMARKS.md) from latest.json's "
        "samples with the current row builders",
    )
    args = parser.parse_args(argv)
    if args.rebuild:
        return rebuild(args.record)

    machine = h.machine_info()
    print(h.format_machine(machine), flush=True)
    if importlib.util.find_spec("sniffio") is None:
        # httpcore 1.0 tries `import sniffio` on every async request; a failed import is not
        # cached, so each one searches sys.path again (~1 ms of CPU per request measured here).
        print("[bench] warning: sniffio is not installed; async httpx pays a failed import per request")
    started = time.perf_counter()
    rows: list[h.Row] = []
    batch_rate: float | None = None
    for key, script, what in BENCHMARKS:
        if args.only and key not in args.only:
            continue
        print(f"\n[bench] {what} ({script})", flush=True)
        extra = []
        if key == "emulator_throughput" and batch_rate is not None:
            extra = ["--batch-rate", f"{batch_rate:.3f}"]
        produced = run_script(script, args.quick, extra)
        for row in produced:
            if row.key == "batch":
                batch_rate = row.extra.get("rate_per_s")
        rows.extend(produced)

    if not args.no_profile and not args.only:
        print("\n[bench] pyinstrument profile of register_image (profile_register.py)", flush=True)
        profiling = [sys.executable, str(HERE / "profile_register.py"), *(["--quick"] if args.quick else [])]
        subprocess.run(profiling, cwd=HERE, env=_environment(), stdout=subprocess.DEVNULL, timeout=900)
        profile = h.RESULTS / "profile-register.txt"
        if profile.exists():
            print("\n".join(profile.read_text().splitlines()[:8]))

    seconds = time.perf_counter() - started
    print(f"\nAll benchmarks ({seconds:.0f} s):\n")
    print(h.format_table(rows))
    passed = sum(1 for row in rows if row.passed is True)
    judged = sum(1 for row in rows if row.passed is not None)
    print(f"\n{passed} of {judged} targets met.")

    h.RESULTS.mkdir(parents=True, exist_ok=True)
    command = " ".join(["scripts/bench", *(argv if argv is not None else sys.argv[1:])])
    (h.RESULTS / "latest.json").write_text(
        json.dumps(
            {"command": command, "seconds": seconds, "machine": machine, "rows": [r.to_json() for r in rows]},
            indent=1,
        )
    )
    (h.RESULTS / "latest.md").write_text(_markdown(machine, rows, seconds, command))
    print(f"Results: {(h.RESULTS / 'latest.md').relative_to(h.REPO)}, latest.json")
    if args.record:
        record(_markdown(machine, rows, seconds, command))
    return 0


def rebuild(record_too: bool) -> int:
    """Re-make the tables from `latest.json`: the same samples, rows shaped by today's builders."""
    import bench_emulator_throughput

    saved = h.RESULTS / "latest.json"
    if not saved.exists():
        print(f"[bench] {saved.relative_to(h.REPO)} is missing: run scripts/bench first", file=sys.stderr)
        return 2
    data = json.loads(saved.read_text())
    rows = [h.Row.from_json(item) for item in data["rows"]]
    rows = [bench_emulator_throughput.rebuilt(r) if r.key == "emulator_throughput" else r for r in rows]
    # The run's own date, from the table it wrote (latest.json does not keep it).
    previous = h.RESULTS / "latest.md"
    found = (
        re.search(r" on (\d{4}-\d\d-\d\d \d\d:\d\d UTC),", previous.read_text())
        if previous.exists()
        else None
    )
    when = found.group(1) if found else None
    data["rows"] = [r.to_json() for r in rows]
    saved.write_text(json.dumps(data, indent=1))
    markdown = _markdown(data["machine"], rows, data["seconds"], data["command"], when)
    previous.write_text(markdown)
    print(h.format_table(rows))
    print(f"Re-made {previous.relative_to(h.REPO)} and latest.json from latest.json's samples")
    if record_too:
        record(markdown)
    return 0


START, END = "<!-- results:start -->", "<!-- results:end -->"


def record(markdown: str) -> None:
    """Replace the results block of BENCHMARKS.md (between its markers) with this run's table."""
    document = h.REPO / "BENCHMARKS.md"
    text = document.read_text()
    if START not in text or END not in text:
        print(f"[bench] BENCHMARKS.md has no {START} ... {END} block: not recorded", file=sys.stderr)
        return
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    document.write_text(f"{head}{START}\n{markdown}{END}{tail}")
    print("Recorded in BENCHMARKS.md")


if __name__ == "__main__":
    sys.exit(main())
