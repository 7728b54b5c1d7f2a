"""The CUR backend on bills shaped unlike the sandbox's generator, checked against DuckDB.

AWS writes many files per month, and tag maps with many keys whose values are skewed and
high-cardinality; parquet then gives up dictionary-encoding a page once its dictionary is
full (the fallback to PLAIN pages), and the reader sees lines whose tag map lacks the key,
is empty or is null. The CUR backend reads the map's keys and values as dictionary
indices, so each of those shapes is read back here and compared with DuckDB running the
report's own Athena SQL over the same files (an engine that shares none of our code).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from costs_support import TODAY

from opskit.costs import sql
from opskit.costs.cur import CurReader
from opskit.costs.curfiles import CurLocation
from opskit.costs.spec import make_spec


def _reshape(source: Path, target: Path, seed: int) -> int:
    """Every month split in 3 files of small row groups; 6 tags, skewed and high-cardinality."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    files = 0
    for path in sorted(source.rglob("*.parquet")):
        table = pq.read_table(path)
        rows = table.num_rows
        team = np.array([f"team-{i}" for i in range(40)])[
            np.minimum(rng.zipf(1.6, rows) - 1, 39)
        ]  # a few teams own most lines
        owner = np.char.add("owner-", rng.integers(0, 50_000, rows).astype(str))  # ~unique
        shape = rng.integers(0, 10, rows)  # 0: null map, 1: empty map, 2: no team key
        entries: list[Any] = []
        for i in range(rows):
            if shape[i] == 0:
                entries.append(None)
            elif shape[i] == 1:
                entries.append([])
            else:
                pairs = [("user_owner", owner[i]), ("user_env", "shared"), ("user_x", "y")]
                if shape[i] != 2:
                    pairs.insert(int(shape[i]) % 3, ("user_team", team[i]))
                entries.append(pairs)
        tags = pa.array(entries, pa.map_(pa.string(), pa.string()))
        column = table.schema.get_field_index("resource_tags")
        table = table.set_column(column, "resource_tags", tags)
        folder = target / path.parent.relative_to(source)
        folder.mkdir(parents=True, exist_ok=True)
        third = -(-rows // 3)
        for part in range(3):
            piece = table.slice(part * third, third)
            out = folder / f"part-{part}.parquet"
            # A 4 KiB dictionary page limit: owners overflow it, so pages fall back to PLAIN.
            pq.write_table(piece, out, row_group_size=5_000, dictionary_pagesize_limit=4096)
            files += 1
    return files


@pytest.fixture(scope="module")
def shaped_bill(generated_bill: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shaped-cur")
    assert _reshape(generated_bill, root, seed=11) >= 39  # 13 months x 3 files
    return root


def _duckdb(root: Path, by: str) -> Any:
    duckdb = pytest.importorskip("duckdb")
    spec = make_spec(months=13, by=by, source="athena", today=TODAY)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(
        f"CREATE VIEW cur.cur2 AS SELECT * FROM read_parquet('{root}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    con.execute("CREATE MACRO element_at(m, k) AS map_extract(m, k)[1]")
    return con.execute(sql.report_sql(sql.table_name("cur", "cur2"), spec.periods, spec.tags)).df()


@pytest.mark.parametrize("by", ["env,tag:team", "env,service,tag:team,tag:owner"])
def test_skewed_high_cardinality_tags_match_duckdb(shaped_bill: Path, by: str) -> None:
    import pyarrow.parquet as pq

    sample = next(shaped_bill.rglob("*.parquet"))
    encodings = pq.ParquetFile(sample).metadata.row_group(0)
    values = [
        encodings.column(i).encodings
        for i in range(encodings.num_columns)
        if encodings.column(i).path_in_schema == "resource_tags.key_value.value"
    ]
    assert values and "PLAIN" in values[0]  # the fallback this test is about did happen

    spec = make_spec(months=13, by=by, source="cur", today=TODAY)
    location = CurLocation(str(shaped_bill), shaped_bill, lambda: cast("Any", None))
    ours = CurReader(location).report(spec).raw
    theirs = _duckdb(shaped_bill, by)
    keys = [c for c in theirs.columns if c not in ("unblended", "amortized", "net")]
    left = ours.groupby(keys, dropna=False)[["unblended", "amortized", "net"]].sum().sort_index()
    right = theirs.groupby(keys, dropna=False)[["unblended", "amortized", "net"]].sum().sort_index()
    assert list(left.index) == list(right.index)
    assert len(left) > 40  # many groups: the tag values really vary
    for metric in ("unblended", "amortized", "net"):
        assert left[metric].to_numpy() == pytest.approx(right[metric].to_numpy(), abs=1e-6)
    # Lines without the tag (null map, empty map, other keys only) group under "".
    tag = "tag:team" if "tag:owner" not in by else "tag:owner"
    assert "" in set(left.index.get_level_values(tag))


def test_reading_in_passes_of_few_files_changes_nothing(
    shaped_bill: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A period of many files is read a few files a pass (bounded footers) and summed again:
    the same groups (none repeated), sums and days as one pass a period."""
    import datetime as dt

    from opskit.costs import cur

    spec = make_spec(months=13, by="env,tag:team", source="cur", today=TODAY)
    since = TODAY - dt.timedelta(days=60)

    def read() -> Any:
        location = CurLocation(str(shaped_bill), shaped_bill, lambda: cast("Any", None))
        return CurReader(location).report(spec, since, ("team",))

    whole = read()
    monkeypatch.setattr(cur, "FILES_PER_PASS", 2)  # 3 files a month: two passes a period
    passes = read()
    keys = [c for c in passes.raw.columns if c not in ("unblended", "amortized", "net")]
    assert not passes.raw.duplicated(keys).any()  # a period's two passes summed into one group
    assert whole.files == passes.files >= 39
    for left, right in ((whole.raw, passes.raw), (whole.daily, passes.daily)):
        keys = [c for c in left.columns if c not in ("unblended", "amortized", "net")]
        a = left.groupby(keys, dropna=False)[["amortized", "net"]].sum().sort_index()
        b = right.groupby(keys, dropna=False)[["amortized", "net"]].sum().sort_index()
        assert list(a.index) == list(b.index) and len(a) > 40
        assert a["amortized"].to_numpy() == pytest.approx(b["amortized"].to_numpy(), abs=1e-9)
    assert len(passes.daily["day"].unique()) >= 60


def test_a_report_without_tags_reads_recent_months_once_and_agrees_with_duckdb(
    shaped_bill: Path,
) -> None:
    """Without tags the recent months are read once, by day, for both the monthly rows and
    the daily ones: both agree with DuckDB running the report's and the daily SQL."""
    import datetime as dt

    duckdb = pytest.importorskip("duckdb")
    from opskit.costs.spec import period_of

    spec = make_spec(months=13, by="env", source="cur", today=TODAY)
    since = TODAY - dt.timedelta(days=60)
    location = CurLocation(str(shaped_bill), shaped_bill, lambda: cast("Any", None))
    ours = CurReader(location).report(spec, since)
    assert ours.daily is not None
    theirs = _duckdb(shaped_bill, "env")
    keys = ["period", "account", "line_type", "product", "reservation"]
    left = ours.raw.groupby(keys, dropna=False)[["amortized", "net"]].sum().sort_index()
    right = theirs.groupby(keys, dropna=False)[["amortized", "net"]].sum().sort_index()
    assert list(left.index) == list(right.index) and len(left) > 40
    assert left["amortized"].to_numpy() == pytest.approx(right["amortized"].to_numpy(), abs=1e-6)
    assert not ours.raw.duplicated(keys).any()  # a recent month's days summed into one row

    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(
        f"CREATE VIEW cur.cur2 AS SELECT * FROM read_parquet('{shaped_bill}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    recent = [p for p in spec.periods if p >= period_of(since)]
    daily = con.execute(sql.daily_sql(sql.table_name("cur", "cur2"), recent, since)).df()
    by_day = daily.groupby(daily.columns[0])["amortized"].sum()
    ours_by_day = ours.daily.groupby("day")["amortized"].sum()
    assert [str(d)[:10] for d in ours_by_day.index] == [str(d)[:10] for d in by_day.index]
    assert ours_by_day.to_numpy() == pytest.approx(by_day.to_numpy(), abs=1e-6)
    assert min(ours.daily["day"]) >= since
