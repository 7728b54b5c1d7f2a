"""The CUR backend: the report computed from CUR 2.0 parquet, streamed in record batches.

Only the partitions of the report's months are opened (each footer once) and only the
columns the report needs are read, strings dictionary-encoded as parquet stores them.
pyarrow reads and decodes on its threads; ``curagg`` folds each batch into sums by key, so
memory stays flat however big the bill is. No per-line branching either: each group has
one line type and reservation flag, so summing every amortization term and picking the
group's own afterwards (``amortize.pick_terms``) is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opskit.costs import amortize
from opskit.costs import curschema as cs
from opskit.costs.curagg import Totals, Vocabulary, dictionary_codes, map_codes, term_values
from opskit.costs.curfiles import CurFile, CurLocation
from opskit.costs.labels import known_product_code
from opskit.costs.spec import TAG_PREFIX, ReportSpec, period_of

if TYPE_CHECKING:
    import pandas as pd

# Files read at once, and batches ahead per file: enough to keep both cores busy, bounded
# so peak memory stays well under 1 GB on a 10-million-line bill.
FRAGMENT_READAHEAD, BATCH_READAHEAD, BATCH_ROWS = 2, 4, 131_072
_STRINGS = [cs.ACCOUNT, cs.LINE_TYPE, cs.PRODUCT_CODE, cs.RESERVATION_ARN]


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
        self._fragments: dict[str, Any] = {}  # path -> fragment with its footer read
        self._format = ds.ParquetFileFormat(
            read_options=ds.ParquetReadOptions(dictionary_columns=_STRINGS)
        )

    def _all(self) -> dict[str, list[CurFile]]:
        if self._files is None:
            self._files = self.location.files()
        return self._files

    def _dataset(self, periods: list[str]) -> tuple[Any, set[str], dict[str, str]]:
        """The periods' files as one dataset, the columns present, and path -> period."""
        files = [f for p in periods for f in self._all().get(p, [])]
        fs = self.location.filesystem({f.path: f.size for f in files})
        fragments = []
        for f in files:
            fragment = self._fragments.get(f.path)
            if fragment is None:
                fragment = self._format.make_fragment(f.path, fs)
                fragment.ensure_complete_metadata()
                self._fragments[f.path] = fragment
            fragments.append(fragment)
        schemas = [f.physical_schema for f in fragments]
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        dataset = ds.FileSystemDataset(fragments, schema, self._format, fs)
        return dataset, set(schema.names), {f.path: f.period for f in files}

    def report(self, spec: ReportSpec, daily_since: dt.date | None = None) -> CurResult:
        """Raw aggregates for ``spec`` (and per-day ones since ``daily_since``)."""
        import pandas as pd

        periods = [p for p in spec.periods if p in self._all()]
        if not periods:
            empty = pd.DataFrame(columns=["period", *cs.RAW_KEYS, *cs.RAW_METRICS])
            return CurResult(empty, None)
        dataset, present, period_by_path = self._dataset(periods)
        raw = _aggregate(dataset, present, spec.tags, period_by_path, None)
        daily = None
        recent = [p for p in periods if daily_since and p >= period_of(daily_since)]
        if daily_since is not None and recent:
            dataset, present, _ = self._dataset(recent)
            kind = dataset.schema.field(cs.USAGE_START).type
            start = dt.datetime.combine(daily_since, dt.time(), dt.UTC if kind.tz else None)
            since = pc.field(cs.USAGE_START) >= pc.scalar(pa.scalar(start, kind))
            daily = _aggregate(dataset, present, (), None, since)
        files = sum(len(self._all()[p]) for p in periods)
        names = self._product_names(raw)
        return CurResult(raw, daily, names, self.location.bytes_read, files)

    def _product_names(self, raw: pd.DataFrame) -> dict[str, str]:
        """Names of products the label table doesn't know (Marketplace), from one partition."""
        unknown = sorted({c for c in raw["product"].unique() if c and not known_product_code(c)})
        if not unknown:
            return {}
        latest = str(raw.loc[raw["product"].isin(unknown), "period"].max())
        dataset, present, _ = self._dataset([latest])
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


def _aggregate(
    dataset: Any,
    present: set[str],
    tags: tuple[str, ...],
    period_by_path: dict[str, str] | None,
    where: Any,
) -> pd.DataFrame:
    """Sums of every amortization term by key: per period (monthly) or per day (daily)."""
    import pandas as pd

    time_key = "period" if period_by_path is not None else "day"
    names = [
        time_key,
        "account",
        "line_type",
        "product",
        "reservation",
        *(TAG_PREFIX + t for t in tags),
    ]
    vocabularies = [Vocabulary() for _ in names]
    vocabularies[4].of(["false", "true"])  # reservation: id 0 / 1
    sums = {term: f"t{i}" for i, term in enumerate(amortize.terms())}
    sums[amortize.Col(cs.UNBLENDED)] = "unblended"  # the default rule's term, summed once
    needed = set(cs.report_columns(bool(tags))) | ({cs.USAGE_START} if time_key == "day" else set())
    scanner = ds.Scanner.from_dataset(
        dataset,
        columns=sorted(c for c in needed if c in present),
        filter=where,
        batch_size=BATCH_ROWS,
        batch_readahead=BATCH_READAHEAD,
        fragment_readahead=FRAGMENT_READAHEAD,
        use_threads=True,
    )
    totals = Totals(names, vocabularies)
    for tagged in scanner.scan_batches():
        batch = tagged.record_batch
        if batch.num_rows == 0:
            continue
        rows = batch.num_rows
        if period_by_path is not None:
            period = vocabularies[0].of([period_by_path[tagged.fragment.path]])[0]
            when = np.full(rows, period, dtype=np.int64)
        else:
            days = batch.column(cs.USAGE_START).cast(pa.date32())
            when = dictionary_codes(pc.dictionary_encode(days.cast(pa.string())), vocabularies[0])
        keys = [when]
        for vocabulary, column in zip(vocabularies[1:4], _STRINGS[:3], strict=True):
            keys.append(dictionary_codes(_column(batch, column), vocabulary))
        keys.append(_reservation(batch))
        for offset, tag in enumerate(tags):
            vocabulary = vocabularies[5 + offset]
            index = batch.schema.get_field_index(cs.RESOURCE_TAGS)
            if index < 0:
                keys.append(np.full(rows, vocabulary.of([""])[0], dtype=np.int64))
            else:
                keys.append(map_codes(batch.column(index), cs.tag_map_key(tag), vocabulary))
        totals.add(keys, [term_values(term, batch) for term in sums])
    columns = [*names, *sums.values()]
    frame = pd.DataFrame([[*k, *v] for k, v in totals.labelled()], columns=columns)
    frame["reservation"] = frame["reservation"] == "true"
    frame = amortize.pick_terms(frame, sums)
    return frame[[*names, *cs.RAW_METRICS]]


def _column(batch: pa.RecordBatch, name: str) -> Any:
    index = batch.schema.get_field_index(name)
    return batch.column(index) if index >= 0 else pa.nulls(batch.num_rows, pa.string())


def _reservation(batch: pa.RecordBatch) -> np.ndarray:
    """1 where the line carries a reservation ARN, else 0."""
    arn = _column(batch, cs.RESERVATION_ARN)
    if not pa.types.is_dictionary(arn.type):
        arn = pc.dictionary_encode(arn)
    flags = np.asarray([bool(v) for v in arn.dictionary.to_pylist()] or [False], dtype=np.int64)
    indices = arn.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(indices < 0, 0, flags[np.clip(indices, 0, None)])
