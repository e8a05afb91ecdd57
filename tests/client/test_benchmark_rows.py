"""The emulator-throughput benchmark row shows the figure its verdict compares (issue 7)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

import _harness as h  # noqa: E402
import bench_emulator_throughput as bench  # noqa: E402


def test_the_row_shows_calls_per_cpu_second_and_the_wall_clock_rate_in_its_note() -> None:
    wall, capacity = h.Stats([684.0, 650.0, 767.0], "/s"), h.Stats([1408.0, 1353.0, 1534.0], "/s")
    row = bench.emulator_row(wall, capacity, batch_rate=599.0)
    assert row.ours.median == 1408.0 and "CPU-second" in row.what
    assert row.passed is True and "599" in row.target
    assert "684/s wall-clock" in row.note
    # The verdict follows the shown figure: a capacity under 1.5x the batch's rate fails.
    assert bench.emulator_row(wall, h.Stats([800.0], "/s"), batch_rate=599.0).passed is False


def test_the_recorded_table_shows_the_figure_that_was_judged() -> None:
    data = json.loads((REPO / "benchmarks" / "results" / "latest.json").read_text())
    recorded = [item for item in data["rows"] if item["key"] == "emulator_throughput"]
    for item in recorded:
        row = h.Row.from_json(item)
        assert bench.rebuilt(row).ours.median == row.ours.median  # already in today's shape
        batch_rate = row.extra["batch_rate"]
        if batch_rate:
            assert row.passed == (row.ours.median >= 1.5 * batch_rate)
        cells = h.table_cells(row)
        assert cells[1].startswith(f"{row.ours.median:.0f} /s")
        assert f"| {cells[0]} | {cells[1]} |" in (REPO / "BENCHMARKS.md").read_text()
