"""What every benchmark shares: repeated timing, statistics, result rows, the table, machine info,
and an emulator in a separate process (so client CPU is not mixed with server CPU).

A benchmark script measures, builds `Row`s and hands them to `emit(rows, args)`: that prints
the table and, with `--json PATH`, writes the rows for `run_all.py` to gather.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"

#: The packages whose versions a result depends on.
PACKAGES = (
    "modelarts-magic",
    "httpx",
    "pydantic",
    "ipython",
    "ipywidgets",
    "uvicorn",
    "starlette",
    "huaweicloudsdkcore",
    "huaweicloudsdkmodelarts",
    "requests",
    "jupysql",
    "pyinstrument",
)


# -------------------------------------------------------------------------------------------------
# Statistics
# -------------------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Samples of one measurement (in `unit`) and their median / min / max."""

    samples: list[float]
    unit: str = "ms"

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> Stats:
        """The stats back from `summary()` (its samples and unit)."""
        return cls(list(summary["samples"]), summary["unit"])

    def summary(self) -> dict[str, Any]:
        """Median, min, max, unit and the raw samples, for the JSON results."""
        return {
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "unit": self.unit,
            "samples": self.samples,
        }


def repeat(block: Callable[[], float], repeats: int, warmup: int = 1, unit: str = "ms") -> Stats:
    """Run `block` `warmup` times (discarded), then `repeats` times; each run returns one sample."""
    for _ in range(warmup):
        block()
    return Stats([block() for _ in range(repeats)], unit)


def per_call(
    call: Callable[[int], object],
    calls: int,
    repeats: int,
    *,
    clock: Callable[[], float] = time.perf_counter,
    warmup_calls: int = 20,
    scale: float = 1e3,
    unit: str = "ms",
    before_block: Callable[[], object] | None = None,
) -> Stats:
    """Mean cost of `call(i)` over blocks of `calls` calls, one sample per block (`clock` units x scale).

    `before_block` runs untimed before each block (e.g. to prebuild inputs or reset a server).
    `call` receives a running index so that every call can use fresh input.
    """
    index = 0
    if before_block is not None:
        before_block()
    for _ in range(warmup_calls):
        call(index)
        index += 1
    samples = []
    for _ in range(repeats):
        if before_block is not None:
            before_block()
        start = clock()
        for _ in range(calls):
            call(index)
            index += 1
        samples.append((clock() - start) / calls * scale)
    return Stats(samples, unit)


# -------------------------------------------------------------------------------------------------
# Result rows and the table
# -------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table: what was measured, against which peer, and the verdict.

    `ratio` is always ours / peer (lower is better), so one column reads the same way everywhere.
    """

    key: str
    what: str
    ours: Stats
    peer_name: str = "-"
    peer: Stats | None = None
    target: str = "-"
    passed: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.peer is None or self.peer.median == 0:
            return None
        return self.ours.median / self.peer.median

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ours"] = self.ours.summary()
        data["peer"] = self.peer.summary() if self.peer else None
        data["ratio"] = self.ratio
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        def stats(item: dict[str, Any] | None) -> Stats | None:
            return Stats(item["samples"], item["unit"]) if item else None

        ours = stats(data["ours"])
        assert ours is not None
        return cls(
            key=data["key"],
            what=data["what"],
            ours=ours,
            peer_name=data["peer_name"],
            peer=stats(data["peer"]),
            target=data["target"],
            passed=data["passed"],
            note=data["note"],
            extra=data.get("extra", {}),
        )


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _stats_cell(stats: Stats | None) -> str:
    if stats is None:
        return "-"
    return f"{_number(stats.median)} {stats.unit} ({_number(stats.min)}-{_number(stats.max)})"


def _verdict(row: Row) -> str:
    return {True: "PASS", False: "FAIL", None: "info"}[row.passed]


def table_cells(row: Row) -> list[str]:
    """The cells of a row: what, ours, peer, ratio, target, verdict."""
    ratio = "-" if row.ratio is None else f"{row.ratio:.3g}x"
    peer = "-" if row.peer is None else f"{row.peer_name}: {_stats_cell(row.peer)}"
    return [row.what, _stats_cell(row.ours), peer, ratio, row.target, _verdict(row)]


HEADERS = ["what", "ours: median (min-max)", "peer: median (min-max)", "ours/peer", "target", "result"]


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table of the rows, with each row's note beneath it."""
    cells = [HEADERS, *[table_cells(row) for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    out = []
    for index, line in enumerate(cells):
        out.append("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
        elif rows[index - 1].note:
            out.append(f"    {rows[index - 1].note}")
    return "\n".join(out)


def markdown_table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table (notes go in a list below it)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in table_cells(row)) + " |")
    notes = [f"- **{row.what}**: {row.note}" for row in rows if row.note]
    return "\n".join(lines + (["", *notes] if notes else []))


# -------------------------------------------------------------------------------------------------
# The machine
# -------------------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def _memory_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, re.MULTILINE)
    return round(int(match.group(1)) / 1024**2, 1) if match else None


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, OS, Python, load average and the versions of the packages measured."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    if versions["modelarts-magic"] is None:  # run from a checkout that is not installed
        import modelarts_magic

        versions["modelarts-magic"] = f"{modelarts_magic.__version__} (checkout)"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "packages": versions,
    }


def format_machine(info: dict[str, Any]) -> str:
    """The machine info as a few lines of text."""
    packages = ", ".join(f"{name} {version}" for name, version in info["packages"].items() if version)
    return (
        f"CPU: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB RAM\n"
        f"OS: {info['os']}; Python {info['python']}; load average at start: {info['load_average']}\n"
        f"Packages: {packages}"
    )


# -------------------------------------------------------------------------------------------------
# Command line of every benchmark script
# -------------------------------------------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    """The common options: `--quick` (fewer samples) and `--json PATH` (write the rows)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
    return parser


def emit(rows: Iterable[Row], args: argparse.Namespace) -> None:
    """Print the rows as a table and, with `--json`, write them for the runner."""
    rows = list(rows)
    print(format_table(rows), flush=True)
    if getattr(args, "json", None):
        Path(args.json).write_text(json.dumps([row.to_json() for row in rows], indent=1))


# -------------------------------------------------------------------------------------------------
# An emulator in its own process
# -------------------------------------------------------------------------------------------------


class EmulatorProcess:
    """`python -m modelarts_magic.emulator` on a free loopback port, images ACTIVE at once.

    Run in a separate process so that `time.process_time()` in the benchmark counts the client's
    CPU only. Driven over its `/_emulator/*` control routes.
    """

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.url = ""
        self._process: subprocess.Popen[str] | None = None
        self._control: Any = None
        self._output: Any = None

    def start(self, timeout: float = 30.0) -> EmulatorProcess:
        import httpx

        command = [
            sys.executable,
            "-m",
            "modelarts_magic.emulator",
            "--port",
            "0",
            "--init-seconds",
            "0",
            "--creating-seconds",
            "0",
            "--latency",
            str(self.latency),
            "--log-level",
            "error",
        ]
        # Output goes to a file: a pipe nobody reads could fill up and block the emulator.
        self._output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())
        self._process = subprocess.Popen(
            command, stdout=self._output, stderr=subprocess.STDOUT, text=True, cwd=REPO
        )
        deadline = time.monotonic() + timeout
        output = ""
        while not self.url and time.monotonic() < deadline and self._process.poll() is None:
            time.sleep(0.05)
            self._output.seek(0)
            output = self._output.read()
            match = re.search(r"serving on (http://\S+)", output)
            if match:
                self.url = match.group(1)
        if not self.url:
            self.stop()
            raise RuntimeError(f"the emulator process did not start:\n{output[-2000:]}")
        self._control = httpx.Client(base_url=self.url, timeout=30)
        return self

    def reset(self) -> None:
        """No images, zero counters, and the latency this process was started with."""
        self._control.post("/_emulator/reset").raise_for_status()
        self.set_latency(self.latency)

    def set_latency(self, seconds: float) -> None:
        """Seconds the emulator waits before answering each ModelArts API call."""
        self._control.post("/_emulator/faults", json={"latency": seconds}).raise_for_status()

    def images(self) -> list[dict[str, Any]]:
        """Every registered image, as the emulator's own state holds it."""
        response = self._control.get("/_emulator/state")
        response.raise_for_status()
        images: list[dict[str, Any]] = response.json()["images"]
        return images

    def requests_seen(self) -> dict[str, int]:
        """How many requests each route received."""
        response = self._control.get("/_emulator/requests")
        response.raise_for_status()
        seen: dict[str, int] = response.json()
        return seen

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the emulator process has used so far; None off Linux."""
        if self._process is None:
            return None
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the process (SIGTERM: it flushes and exits) and wait for it."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._output is not None:
            self._output.close()
            self._output = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextmanager
def emulator_process(latency: float = 0.0) -> Iterator[EmulatorProcess]:
    """An `EmulatorProcess`, started and stopped around the block."""
    with EmulatorProcess(latency) as emulator:
        yield emulator


def sandbox_path(label: str, index: int) -> str:
    """A distinct image in the emulator's `sandbox` namespace (every name:tag there exists in SWR)."""
    return f"swr.eu-de.otc.t-systems.com/sandbox/{label}-{index}:1.0"
