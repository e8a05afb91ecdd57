"""The fixtures copied into tests/ are the ones in ../shared (when a copy of shared/ is beside the repo)."""

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.mark.skipif(not SHARED.is_dir(), reason="no ../shared beside this checkout")
def test_copies_match_shared():
    names = ["signing-vectors.json", *(f"examples/{p.name}" for p in (SHARED / "examples").glob("*.json"))]
    for name in names:
        assert (HERE / name).read_bytes() == (SHARED / name).read_bytes(), name
