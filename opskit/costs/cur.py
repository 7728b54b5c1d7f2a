"""The CUR backend: the report computed from CUR 2.0 parquet with pyarrow's Acero engine.

Only the partitions of the report's months are opened and only the columns the report
needs are read; the tag map's keys and values are read as dictionary indices, so a tag
lookup compares integers and decodes one value per line. Batches stream through
scan -> project -> hash sum on pyarrow's threads, in passes of at most
``FILES_PER_PASS`` files (a footer is held while its file is scanned), so memory stays
flat however many lines and files the bill has. No per-line branching either: each group
has one line type and reservation flag, so summing every amortization term and picking
the group's own afterwards (``amortize.pick_terms``) is exact.
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

from opskit.costs import amortize
from opskit.costs import curschema as cs
from opskit.costs.curfiles import CurFile, CurLocation
from opskit.costs.labels import known_product_code
from opskit.costs.spec import TAG_PREFIX, ReportSpec, period_of

if TYPE_CHECKING:
    import pandas as pd

# Files read at once, and batches ahead per file: enough to keep both cores busy, bounded
# so peak memory stays well under 1 GB on a 10-million-line bill.
FRAGMENT_READAHEAD, BATCH_READAHEAD = 2, 4
# Files per scan: a scanned file's footer stays in memory until its scan ends (~0.3 MB for
# a 65-column CUR file), so a bill of many files is read in passes of whole periods.
FILES_PER_PASS = 64
_PARTITION = "BILLING_PERIOD"
# Read dictionary-encoded: the tag map's keys and values (a map holds several strings a
# line; as indices into each page's dictionary, reading it costs half and a lookup compares
# integers). The plain key columns are read as strings: grouping needs strings anyway
# (batches' dictionaries differ), and decoding them straight is cheaper than casting after.
_DICTIONARY = [
    f"{cs.RESOURCE_TAGS}.key_value.key",
    f"{cs.RESOURCE_TAGS}.key_value.value",
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

    def _dataset(self, periods: list[str]) -> tuple[Any, set[str]]:
        """The periods' files as one dataset (a BILLING_PERIOD column), the columns present."""
        files = [f for p in periods for f in self._all().get(p, [])]
        fs = self.location.filesystem({f.path: f.size for f in files})
        fragments = []
        for f in files:
            where = pc.field(_PARTITION) == f.period
            fragment = self._format.make_fragment(f.path, fs, partition_expression=where)
            fragment.ensure_complete_metadata()  # the footer, read once for schema and scan
            fragments.append(fragment)
        schemas = [f.physical_schema for f in fragments]
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        present = set(schema.names)
        schema = schema.append(pa.field(_PARTITION, pa.string()))
        return ds.FileSystemDataset(fragments, schema, self._format, fs), present

    def _passes(self, periods: list[str]) -> list[list[str]]:
        """``periods`` in runs of whole periods of at most ``FILES_PER_PASS`` files."""
        passes: list[list[str]] = [[]]
        files = 0
        for period in periods:
            count = len(self._all().get(period, []))
            if passes[-1] and files + count > FILES_PER_PASS:
                passes.append([])
                files = 0
            passes[-1].append(period)
            files += count
        return passes

    def _aggregate_periods(
        self,
        periods: list[str],
        keys: Callable[[set[str]], dict[str, Any]],
        where: Callable[[Any], Any] | None = None,
    ) -> pd.DataFrame:
        """One aggregate over ``periods``, pass by pass (each group lies in one period)."""
        import pandas as pd

        frames = []
        for chunk in self._passes(periods):
            dataset, present = self._dataset(chunk)
            condition = where(dataset) if where is not None else None
            frames.append(_aggregate(dataset, keys(present), present, condition))
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def report(
        self, spec: ReportSpec, daily_since: dt.date | None = None, daily_tags: tuple[str, ...] = ()
    ) -> CurResult:
        """Raw aggregates for ``spec``, and daily ones (by ``daily_tags``) since ``daily_since``."""
        import pandas as pd

        periods = [p for p in spec.periods if p in self._all()]
        if not periods:
            empty = pd.DataFrame(columns=["period", *cs.RAW_KEYS, *cs.RAW_METRICS])
            return CurResult(empty, None)
        raw = self._aggregate_periods(
            periods,
            lambda present: {"period": pc.field(_PARTITION), **_key_exprs(spec.tags, present)},
        )
        daily = None
        recent = [p for p in periods if daily_since and p >= period_of(daily_since)]
        if daily_since is not None and recent:
            since = daily_since

            def from_since(dataset: Any) -> Any:
                kind = dataset.schema.field(cs.USAGE_START).type
                start = dt.datetime.combine(since, dt.time(), dt.UTC if kind.tz else None)
                return pc.field(cs.USAGE_START) >= pc.scalar(pa.scalar(start, kind))

            day = {"day": pc.field(cs.USAGE_START).cast(pa.date32())}
            daily = self._aggregate_periods(
                recent, lambda present: {**day, **_key_exprs(daily_tags, present)}, from_since
            )
        files = sum(len(self._all()[p]) for p in periods)
        names = self._product_names(raw)
        return CurResult(raw, daily, names, self.location.bytes_read, files)

    def _product_names(self, raw: pd.DataFrame) -> dict[str, str]:
        """Names of products the label table doesn't know (Marketplace), from one partition."""
        unknown = sorted({c for c in raw["product"].unique() if c and not known_product_code(c)})
        if not unknown:
            return {}
        latest = str(raw.loc[raw["product"].isin(unknown), "period"].max())
        dataset, present = self._dataset([latest])
        if cs.PRODUCT_MAP not in present:
            return {}
        names: dict[str, str] = {}
        wanted = pc.field(cs.PRODUCT_CODE).isin(pa.array(unknown))
        for batch in dataset.to_batches(columns=[cs.PRODUCT_CODE, cs.PRODUCT_MAP], filter=wanted):
            codes = batch.column(0).cast(pa.string()).to_pylist()
            found = pc.map_lookup(batch.column(1), pa.scalar("product_name"), "first").to_pylist()
            names.update({c: n for c, n in zip(codes, found, strict=True) if n and c not in names})
            if len(names) == len(unknown):
                break
        return names


def _key_exprs(tags: tuple[str, ...], present: set[str]) -> dict[str, Any]:
    """Grouping expressions shared by the monthly and daily queries."""

    def text(column: str) -> Any:  # batches' dictionaries differ: group on the strings
        return pc.field(column).cast(pa.string())

    arn = pc.coalesce(text(cs.RESERVATION_ARN), pc.scalar(""))
    keys: dict[str, Any] = {
        "account": text(cs.ACCOUNT),
        "line_type": text(cs.LINE_TYPE),
        "product": text(cs.PRODUCT_CODE),
        "reservation": pc.not_equal(arn, pc.scalar(""))
        if cs.RESERVATION_ARN in present
        else pc.scalar(False),
    }
    for tag in tags:
        if cs.RESOURCE_TAGS in present:
            looked_up = map_value(cs.RESOURCE_TAGS, cs.tag_map_key(tag))
            keys[TAG_PREFIX + tag] = pc.coalesce(looked_up, pc.scalar(""))
        else:
            keys[TAG_PREFIX + tag] = pc.scalar("")
    return keys


def _aggregate(dataset: Any, keys: dict[str, Any], present: set[str], where: Any) -> pd.DataFrame:
    """scan -> project keys and every amortization term -> hash sums, streamed in Acero."""
    has = present.__contains__
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
    frame: pd.DataFrame = table.rename_columns(
        [renamed.get(n, n) for n in table.column_names]
    ).to_pandas()
    frame = amortize.pick_terms(frame, sums)
    return frame[[*keys, *cs.RAW_METRICS]]
