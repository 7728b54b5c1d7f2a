"""Text grouped as integer codes, periods as integers, Arrow on jemalloc: same answers.

The expected sums are added up in plain Python from the hand-made bill's own lines
(``costs_smallbill.LINES``), not by opskit.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, cast

import pytest
from costs_smallbill import LINES, NUMERIC, rows

from opskit.costs.cur import CurReader
from opskit.costs.curfiles import CurLocation
from opskit.costs.spec import make_spec

MARCH = dt.date(2025, 3, 15)


def _write(root: Path, account_type: Any) -> Path:
    """The small bill; January's account ids stored as ``account_type`` (None: as text)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for period in ("2025-01", "2025-02"):
        data = rows(period)
        types: dict[str, Any] = {c: pa.float64() for c in (*NUMERIC, "line_item_unblended_cost")}
        types["resource_tags"] = types["product"] = pa.map_(pa.string(), pa.string())
        types["line_item_usage_start_date"] = pa.timestamp("ms")
        if period == "2025-01" and account_type is not None:
            types["line_item_usage_account_id"] = account_type
            data["line_item_usage_account_id"] = [
                int(a) for a in data["line_item_usage_account_id"]
            ]
        table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in data.items()})
        folder = root / "data" / f"BILLING_PERIOD={period}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-00001.snappy.parquet")
    return root


def _by_hand() -> dict[tuple[str, str, str, str], float]:
    summed: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for period, account, line_type, product, unblended, _, _ in LINES:
        summed[(period, account, line_type, product)] += unblended
    return dict(summed)


def test_numeric_account_ids_and_text_ones_group_as_the_same_accounts(tmp_path: Path) -> None:
    import pyarrow as pa

    root = _write(tmp_path, pa.int64())
    spec = make_spec(months=2, by="env", source="cur", today=MARCH)
    location = CurLocation(str(root), root, lambda: cast("Any", None))
    raw = CurReader(location).report(spec).raw
    keys = ["period", "account", "line_type", "product"]
    ours = raw.groupby(keys)["unblended"].sum()
    assert {k: round(float(v), 6) for k, v in ours.items()} == pytest.approx(_by_hand())
    assert set(raw["period"]) == {"2025-01", "2025-02"}  # the integer period decoded back
    assert raw["reservation"].dtype == bool and raw["reservation"].any()  # the RI fee line


def test_a_period_split_over_passes_is_summed_into_one_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from opskit.costs import cur

    root = _write(tmp_path, None)  # text everywhere
    january = next(root.rglob("BILLING_PERIOD=2025-01/*.parquet"))
    table = pq.read_table(january)
    january.unlink()
    half = table.num_rows // 2
    for i, part in enumerate((table.slice(0, half), table.slice(half))):
        pq.write_table(part, january.with_name(f"part-{i}.parquet"))
    monkeypatch.setattr(cur, "FILES_PER_PASS", 1)
    spec = make_spec(months=2, by="env", source="cur", today=MARCH)
    location = CurLocation(str(root), root, lambda: cast("Any", None))
    raw = CurReader(location).report(spec).raw
    keys = ["period", "account", "line_type", "product", "reservation"]
    assert not raw.duplicated(keys).any()
    ours = raw.groupby(keys[:-1])["unblended"].sum()
    assert {k: round(float(v), 6) for k, v in ours.items()} == pytest.approx(_by_hand())


def _backend(env: dict[str, str]) -> str:
    code = (
        "from opskit.costs.allocator import prefer_lean_allocator; prefer_lean_allocator(); "
        "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(sys.platform != "linux", reason="pyarrow's Linux wheels carry jemalloc")
def test_the_command_runs_arrow_on_jemalloc_unless_the_user_chose() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    assert _backend(env) == "jemalloc"
    assert _backend({**env, "ARROW_DEFAULT_MEMORY_POOL": "system"}) == "system"
