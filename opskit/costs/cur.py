"""The CUR backend: the report computed from CUR 2.0 parquet with pyarrow's Acero engine.

Only the partitions of the report's months are opened and only the columns the report
needs are read. Text is read dictionary-encoded: the tag map's keys and values (a tag
lookup compares integers and decodes one value per line) and the account, line type and
product, grouped as integer codes (``curcodes``); the period is an integer too. Batches
stream through scan -> project -> hash sum on pyarrow's threads, one billing period a pass
(a fragment per row group, so one file still uses every core), so memory stays flat however
many lines, files and groups the bill has. No per-line branching either: each group has
one line type and reservation flag, so summing every amortization term and picking the
group's own afterwards (``amortize.pick_terms``) is exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.acero as ac
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opskit.costs import amortize, curcodes
from opskit.costs import curschema as cs
from opskit.costs.curfiles import CurFile, CurLocation
from opskit.costs.labels import known_product_code
from opskit.costs.spec import TAG_PREFIX, ReportSpec, period_of

if TYPE_CHECKING:
    import pandas as pd

# Files read at once, and batches ahead per file: enough to keep both cores busy; more only
# holds more decoded batches (2 and 4 cost ~+40 MB for the same time on a 10 M-line bill).
FRAGMENT_READAHEAD, BATCH_READAHEAD = 2, 2
# One scan per billing period (every group lies in one period, so the hash table holds one
# month's groups: 682 k owner-tag groups peak at ~1/13 of that), and at most this many files
# a scan: a scanned file's footer stays in memory until its scan ends (~0.3 MB for a
# 65-column CUR file). A period split over several scans is summed again after.
FILES_PER_PASS = 64
# The billing period as an integer (2025-11 -> 202511): grouping on it hashes no text.
_PARTITION = "BILLING_PERIOD"
# Read dictionary-encoded: the tag map's keys and values (a map holds several strings a
# line; as indices into each page's dictionary, reading it costs half and a lookup compares
# integers), and the plain key columns, grouped as integer codes (``curcodes``).
_DICTIONARY = [
    f"{cs.RESOURCE_TAGS}.key_value.key",
    f"{cs.RESOURCE_TAGS}.key_value.value",
    f"{cs.PRODUCT_MAP}.key_value.key",
    f"{cs.PRODUCT_MAP}.key_value.value",
    cs.ACCOUNT,
    cs.LINE_TYPE,
    cs.PRODUCT_CODE,
    cs.RESERVATION_ARN,
]
_MAP_VALUE = "opskit_map_value"


def _map_value(ctx: Any, maps: Any, key: Any) -> Any:
    """``maps[key]`` for every row, vectorised (pyarrow's map_lookup is ~7x slower here).

    Keys and values come dictionary-encoded (as ``_DICTIONARY`` reads them): a key is
    matched by its index in the dictionary, and only the picked values are decoded.
    """
    wanted = key.as_py() if isinstance(key, pa.Scalar) else key[0].as_py()
    offsets = maps.offsets.to_numpy(zero_copy_only=False)
    first, last = int(offsets[0]), int(offsets[-1])
    keys, items = maps.keys, maps.items
    if len(keys) != last - first:  # a slice: the children are the whole array's
        keys, items = keys.slice(first, last - first), items.slice(first, last - first)
    where = pc.index(keys.dictionary, pa.scalar(wanted)).as_py()
    if where < 0:
        return pa.nulls(len(maps), _TEXT)
    match = keys.indices.to_numpy(zero_copy_only=False) == where
    hits = np.flatnonzero(match)
    rows = np.searchsorted(offsets - first, hits, side="right") - 1  # the row of each hit
    pick = np.full(len(maps), -1, dtype=np.int64)
    pick[rows[::-1]] = hits[::-1]  # the first match wins, as in map_lookup(..., "first")
    return pc.take(items, pa.array(pick, mask=pick < 0)).cast(_TEXT)


_TEXT = pa.string()
_CODED = pa.dictionary(pa.int32(), pa.string())
_CODED_MAP = pa.map_(_CODED, _CODED)


def map_value(column: str, key: str) -> Any:
    """An expression: the value of ``key`` in the MAP<string,string> ``column`` (or null).

    The map is read dictionary-encoded (``_DICTIONARY``); a file whose map is laid out
    under other names is cast to that form first, so the lookup has one signature.
    """
    try:
        pc.get_function(_MAP_VALUE)
    except pa.ArrowKeyError:
        pc.register_scalar_function(
            _map_value,
            _MAP_VALUE,
            {"summary": "map value by key", "description": "The value of a key in a map."},
            {"maps": _CODED_MAP, "key": _TEXT},
            _TEXT,
        )
    return pc.Expression._call(_MAP_VALUE, [pc.field(column).cast(_CODED_MAP), pc.scalar(key)])


@dataclass
class CurResult:
    """The raw aggregates of one CUR read, plus what it cost."""

    raw: pd.DataFrame
    daily: pd.DataFrame | None
    product_names: dict[str, str] = field(default_factory=dict)
    bytes_read: int = 0
    files: int = 0


class CurReader:
    """Runs report queries over one CUR export."""

    def __init__(self, location: CurLocation) -> None:
        self.location = location
        self._files: dict[str, list[CurFile]] | None = None
        read = ds.ParquetReadOptions(dictionary_columns=_DICTIONARY)
        # Pre-buffering coalesces a row group's column reads into few large requests: worth
        # it on S3 (fewer GETs), but locally it only holds whole row groups in memory
        # (~550 MB against ~350 MB peak on a 10-million-line bill, for the same time).
        scan = ds.ParquetFragmentScanOptions(pre_buffer=location.is_s3)
        self._format = ds.ParquetFileFormat(read_options=read, default_fragment_scan_options=scan)

    def _all(self) -> dict[str, list[CurFile]]:
        if self._files is None:
            self._files = self.location.files()
        return self._files

    def _dataset(self, files: list[CurFile]) -> tuple[Any, pa.Schema]:
        """The files as one dataset (a BILLING_PERIOD column), and its schema."""
        fs = self.location.filesystem({f.path: f.size for f in files})
        fragments = []
        for f in files:
            where = pc.field(_PARTITION) == _period_number(f.period)
            fragment = self._format.make_fragment(f.path, fs, partition_expression=where)
            fragment.ensure_complete_metadata()  # the footer, read once for schema and scan
            # A fragment a row group: files are decoded one thread each, so a period held in
            # one file still keeps both cores busy (the split fragments share the footer).
            fragments += fragment.split_by_row_group()
        schemas = [f.physical_schema for f in fragments]
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        schema = schema.append(pa.field(_PARTITION, pa.int32()))
        return ds.FileSystemDataset(fragments, schema, self._format, fs), schema

    def _passes(self, periods: list[str]) -> list[list[CurFile]]:
        """``periods``' files, a period a pass, in slices of at most ``FILES_PER_PASS``."""
        passes = []
        for period in periods:
            files = self._all().get(period, [])
            passes += [files[i : i + FILES_PER_PASS] for i in range(0, len(files), FILES_PER_PASS)]
        return passes

    def _aggregate_periods(
        self,
        periods: list[str],
        keys: Callable[[pa.Schema], dict[str, Any]],
        where: Callable[[Any], Any] | None = None,
    ) -> pd.DataFrame:
        """One aggregate over ``periods``, pass by pass (each group lies in one period)."""
        import pandas as pd

        frames = []
        passes = self._passes(periods)
        for files in passes:
            dataset, schema = self._dataset(files)
            condition = where(dataset) if where is not None else None
            frames.append(_aggregate(dataset, keys(schema), schema, condition))
        if len(frames) == 1:
            return frames[0]
        frame = pd.concat(frames, ignore_index=True)
        if len(passes) == len({f.period for files in passes for f in files}):
            return frame  # a period a pass: no group spans two frames
        by = [c for c in frame.columns if c not in cs.RAW_METRICS]
        return frame.groupby(by, as_index=False, sort=False, dropna=False)[
            list(cs.RAW_METRICS)
        ].sum()

    def report(
        self, spec: ReportSpec, daily_since: dt.date | None = None, daily_tags: tuple[str, ...] = ()
    ) -> CurResult:
        """Raw aggregates for ``spec``, and daily ones (by ``daily_tags``) since ``daily_since``."""
        import pandas as pd

        periods = [p for p in spec.periods if p in self._all()]
        if not periods:
            empty = pd.DataFrame(columns=["period", *cs.RAW_KEYS, *cs.RAW_METRICS])
            return CurResult(empty, None)

        def monthly(schema: pa.Schema) -> dict[str, Any]:
            return {"period": pc.field(_PARTITION), **_key_exprs(spec.tags, schema)}

        day = {"day": pc.field(cs.USAGE_START).cast(pa.date32())}
        recent = [p for p in periods if daily_since and p >= period_of(daily_since)]
        if daily_since is None or not recent:
            return self._finish(periods, self._aggregate_periods(periods, monthly), None)
        since = daily_since
        if not spec.tags and not daily_tags:
            # No tags: few groups a day, so the recent months are read once, by day, and
            # give both their monthly rows and the daily ones (~20 % less to read).
            older = [p for p in periods if p not in recent]
            by_day = self._aggregate_periods(recent, lambda schema: {**monthly(schema), **day})
            keys = list(cs.RAW_KEYS)
            metrics = list(cs.RAW_METRICS)
            months = by_day.groupby(["period", *keys], as_index=False, sort=False, dropna=False)
            parts = [months[metrics].sum()]
            if older:
                parts.insert(0, self._aggregate_periods(older, monthly))
            raw = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            days = by_day[by_day["day"] >= since]
            daily = days.groupby(["day", *keys], as_index=False, sort=False, dropna=False)[
                metrics
            ].sum()
            return self._finish(periods, raw, daily)

        def from_since(dataset: Any) -> Any:
            kind = dataset.schema.field(cs.USAGE_START).type
            start = dt.datetime.combine(since, dt.time(), dt.UTC if kind.tz else None)
            return pc.field(cs.USAGE_START) >= pc.scalar(pa.scalar(start, kind))

        raw = self._aggregate_periods(periods, monthly)
        daily = self._aggregate_periods(
            recent, lambda schema: {**day, **_key_exprs(daily_tags, schema)}, from_since
        )
        return self._finish(periods, raw, daily)

    def _finish(
        self, periods: list[str], raw: pd.DataFrame, daily: pd.DataFrame | None
    ) -> CurResult:
        files = sum(len(self._all()[p]) for p in periods)
        names = self._product_names(raw)
        return CurResult(raw, daily, names, self.location.bytes_read, files)

    def _product_names(self, raw: pd.DataFrame) -> dict[str, str]:
        """Names of products the label table doesn't know (Marketplace), from one partition."""
        unknown = sorted({c for c in raw["product"].unique() if c and not known_product_code(c)})
        if not unknown:
            return {}
        latest = str(raw.loc[raw["product"].isin(unknown), "period"].max())
        dataset, schema = self._dataset(self._all()[latest])
        if cs.PRODUCT_MAP not in schema.names:
            return {}
        names: dict[str, str] = {}
        wanted = pc.field(cs.PRODUCT_CODE).isin(pa.array(unknown))
        columns = [cs.PRODUCT_CODE, cs.PRODUCT_MAP]
        # Little read ahead: the loop stops at the first line of each product.
        batches = dataset.to_batches(
            columns=columns, filter=wanted, fragment_readahead=1, batch_readahead=1
        )
        for batch in batches:
            codes = batch.column(0).cast(pa.string()).to_pylist()
            maps = batch.column(1).cast(_CODED_MAP)  # read dictionary-encoded, like the tags
            found = _map_value(None, maps, pa.scalar("product_name")).to_pylist()
            names.update({c: n for c, n in zip(codes, found, strict=True) if n and c not in names})
            if len(names) == len(unknown):
                break
        return names


def _period_number(period: str) -> int:
    """``2025-11`` -> 202511."""
    year, month = period.split("-")
    return int(year) * 100 + int(month)


def _period_text(numbers: Any) -> Any:
    """202511 -> ``2025-11``, for an aggregate's period column."""
    years = pc.divide(numbers, 100)
    months = pc.subtract(numbers, pc.multiply(years, 100))
    padded = pc.utf8_lpad(pc.cast(months, pa.string()), 2, "0")
    return pc.binary_join_element_wise(pc.cast(years, pa.string()), padded, "-")


_CODED_KEYS = {"account": cs.ACCOUNT, "line_type": cs.LINE_TYPE, "product": cs.PRODUCT_CODE}


def _key_exprs(tags: tuple[str, ...], schema: pa.Schema) -> dict[str, Any]:
    """Grouping expressions shared by the monthly and daily queries."""
    present = set(schema.names)

    def coded(column: str) -> Any:
        if column not in present:
            return pc.scalar(pa.scalar(None, pa.int32()))
        return curcodes.code(column, schema.field(column).type)

    keys: dict[str, Any] = {name: coded(column) for name, column in _CODED_KEYS.items()}
    arn = cs.RESERVATION_ARN
    keys["reservation"] = (
        curcodes.present(arn, schema.field(arn).type) if arn in present else pc.scalar(False)
    )
    for tag in tags:
        if cs.RESOURCE_TAGS in present:
            looked_up = map_value(cs.RESOURCE_TAGS, cs.tag_map_key(tag))
            keys[TAG_PREFIX + tag] = pc.coalesce(looked_up, pc.scalar(""))
        else:
            keys[TAG_PREFIX + tag] = pc.scalar("")
    return keys


def _decoded(table: pa.Table) -> pa.Table:
    """The aggregate's coded key columns as text again."""
    for at, name in enumerate(table.column_names):
        if name in _CODED_KEYS:
            table = table.set_column(at, name, curcodes.decode(table.column(name)))
        elif name == "period":
            table = table.set_column(at, name, _period_text(table.column(name)))
    return table


def _aggregate(dataset: Any, keys: dict[str, Any], schema: pa.Schema, where: Any) -> pd.DataFrame:
    """scan -> project keys and every amortization term -> hash sums, streamed in Acero."""
    has = set(schema.names).__contains__
    needed = set(cs.report_columns(any(k.startswith(TAG_PREFIX) for k in keys)))
    if "day" in keys:
        needed.add(cs.USAGE_START)
    columns = sorted(c for c in needed if has(c))
    options: dict[str, Any] = {
        "columns": [*columns, _PARTITION] if "period" in keys else columns,
        "fragment_readahead": FRAGMENT_READAHEAD,
        "batch_readahead": BATCH_READAHEAD,
    }
    if where is not None:
        options["filter"] = where
    key_names = [f"k{i}" for i in range(len(keys))]
    sums = {term: f"t{i}" for i, term in enumerate(amortize.terms())}
    sums[amortize.Col(cs.UNBLENDED)] = "unblended"  # the default rule's term, summed once
    values = [amortize.arrow_term(t, has) for t in sums]
    steps = [ac.Declaration("scan", ac.ScanNodeOptions(dataset, **options))]
    if where is not None:
        steps.append(ac.Declaration("filter", ac.FilterNodeOptions(where)))
    steps += [
        ac.Declaration(
            "project",
            ac.ProjectNodeOptions([*keys.values(), *values], [*key_names, *sums.values()]),
        ),
        ac.Declaration(
            "aggregate",
            ac.AggregateNodeOptions(
                [(v, "hash_sum", None, v) for v in sums.values()], keys=key_names
            ),
        ),
    ]
    table = ac.Declaration.from_sequence(steps).to_table(use_threads=True)
    renamed = dict(zip(key_names, keys, strict=True))
    table = _decoded(table.rename_columns([renamed.get(n, n) for n in table.column_names]))
    # Arrow frees each column as pandas takes it: the table and frame never coexist whole.
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame = amortize.pick_terms(frame, sums)
    return frame[[*keys, *cs.RAW_METRICS]]
