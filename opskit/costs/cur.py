"""The CUR backend: the report computed from CUR 2.0 parquet with pyarrow's streaming engine.

Only the partitions of the report's months are opened and only the columns the report needs
are read. Amortization runs as a vectorised expression and the sums as a hash aggregation in
Acero (pyarrow's C++ engine): batches stream through and are folded as they come, so memory
stays flat however big the bill is, and both cores are used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.acero as ac
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opskit.costs import curschema as cs
from opskit.costs.amortize import (
    arrow_expression,
    arrow_has_reservation,
    arrow_line_code,
    needed_columns,
)
from opskit.costs.curfiles import CurFile, CurLocation
from opskit.costs.labels import known_product_code
from opskit.costs.spec import TAG_PREFIX, ReportSpec, period_of

if TYPE_CHECKING:
    import pandas as pd

_PARTITION = "BILLING_PERIOD"


@dataclass
class CurResult:
    """The raw aggregates of one CUR read, plus what was (not) found."""

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

    def _all(self) -> dict[str, list[CurFile]]:
        if self._files is None:
            self._files = self.location.files()
        return self._files

    def _dataset(self, periods: list[str]) -> tuple[Any, set[str]]:
        """The periods' files as one dataset; each footer is read once (and kept)."""
        files = [f for p in periods for f in self._all().get(p, [])]
        fs = self.location.filesystem({f.path: f.size for f in files})
        parquet = ds.ParquetFileFormat()
        fragments = []
        for f in files:
            fragment = self._fragments.get(f.path)
            if fragment is None:
                where = pc.field(_PARTITION) == f.period
                fragment = parquet.make_fragment(f.path, fs, partition_expression=where)
                fragment.ensure_complete_metadata()
                self._fragments[f.path] = fragment
            fragments.append(fragment)
        schema = pa.unify_schemas(
            [f.physical_schema for f in fragments], promote_options="permissive"
        )
        present = set(schema.names)
        schema = schema.append(pa.field(_PARTITION, pa.string()))
        return ds.FileSystemDataset(fragments, schema, parquet, fs), present

    def report(self, spec: ReportSpec, daily_since: dt.date | None = None) -> CurResult:
        """Raw aggregates for ``spec`` (and per-day ones since ``daily_since``)."""
        import pandas as pd

        found = set(self._all())
        periods = [p for p in spec.periods if p in found]
        if not periods:
            empty = pd.DataFrame(columns=["period", *cs.RAW_KEYS, *cs.RAW_METRICS])
            return CurResult(empty, None)
        dataset, present = self._dataset(periods)
        keys = {"period": pc.field(_PARTITION), **_key_exprs(spec.tags, present)}
        raw = _aggregate(dataset, keys, present, None).to_pandas()
        daily = None
        if daily_since is not None:
            recent = [p for p in periods if p >= period_of(daily_since)]
            if recent:
                dataset_recent, present_recent = self._dataset(recent)
                day_keys = {
                    "day": pc.field(cs.USAGE_START).cast(pa.date32()),
                    **_key_exprs((), present_recent),
                }
                kind = dataset_recent.schema.field(cs.USAGE_START).type
                start = dt.datetime.combine(daily_since, dt.time(), dt.UTC if kind.tz else None)
                flt = pc.field(cs.USAGE_START) >= pc.scalar(pa.scalar(start, kind))
                daily = _aggregate(dataset_recent, day_keys, present_recent, flt).to_pandas()
        names = self._product_names(raw)
        return CurResult(
            raw,
            daily,
            names,
            self.location.bytes_read,
            sum(len(self._all()[p]) for p in periods),
        )

    def _product_names(self, raw: pd.DataFrame) -> dict[str, str]:
        """Names of products the label table doesn't know (Marketplace), from one partition."""
        unknown = sorted({c for c in raw["product"].unique() if c and not known_product_code(c)})
        if not unknown:
            return {}
        latest = str(raw.loc[raw["product"].isin(unknown), "period"].max())
        dataset, present = self._dataset([latest])
        if cs.PRODUCT_MAP not in present:
            return {}
        code = pc.field(cs.PRODUCT_CODE)
        name = pc.map_lookup(pc.field(cs.PRODUCT_MAP), pa.scalar("product_name"), "first")
        table = ac.Declaration.from_sequence(
            [
                ac.Declaration(
                    "scan",
                    ac.ScanNodeOptions(
                        dataset,
                        columns=[cs.PRODUCT_CODE, cs.PRODUCT_MAP],
                        filter=pc.is_in(code, pa.array(unknown)),
                    ),
                ),
                ac.Declaration("filter", ac.FilterNodeOptions(pc.is_in(code, pa.array(unknown)))),
                ac.Declaration("project", ac.ProjectNodeOptions([code, name], ["code", "name"])),
                ac.Declaration(
                    "aggregate",
                    ac.AggregateNodeOptions([("name", "hash_min", None, "name")], keys=["code"]),
                ),
            ]
        ).to_table()
        return {
            c: n
            for c, n in zip(table["code"].to_pylist(), table["name"].to_pylist(), strict=True)
            if n
        }


def _key_exprs(tags: tuple[str, ...], present: set[str]) -> dict[str, Any]:
    """Grouping expressions shared by the monthly and daily queries."""
    keys: dict[str, Any] = {
        "account": pc.field(cs.ACCOUNT),
        "line_type": pc.field(cs.LINE_TYPE),
        "product": pc.field(cs.PRODUCT_CODE),
        "reservation": arrow_has_reservation(present.__contains__),
    }
    for tag in tags:
        if cs.RESOURCE_TAGS in present:
            looked_up = pc.map_lookup(
                pc.field(cs.RESOURCE_TAGS), pa.scalar(cs.tag_map_key(tag)), "first"
            )
            keys[TAG_PREFIX + tag] = pc.coalesce(looked_up, pc.scalar(""))
        else:
            keys[TAG_PREFIX + tag] = pc.scalar("")
    return keys


def _aggregate(dataset: Any, keys: dict[str, Any], present: set[str], flt: Any) -> pa.Table:
    """scan -> project keys and line code -> project metrics -> hash sums, in Acero.

    Two projections: the first computes the keys and an integer line-type code once per
    line; the second evaluates the amortization rules on that code.
    """
    has = present.__contains__
    needed = set(cs.report_columns(any(k.startswith(TAG_PREFIX) for k in keys)))
    if "day" in keys:
        needed.add(cs.USAGE_START)
    columns = sorted(c for c in needed if has(c))
    scan_columns = [*columns, _PARTITION] if "period" in keys else columns
    numbers = sorted(amortize_columns() & present)
    key_names = [f"k{i}" for i in range(len(keys))]
    reservation = key_names[list(keys).index("reservation")]
    options = {"columns": scan_columns, **({"filter": flt} if flt is not None else {})}
    first = [*keys.values(), arrow_line_code(), *(pc.field(c) for c in numbers)]
    metrics = {
        "unblended": pc.field(cs.UNBLENDED).cast(pa.float64()),
        "amortized": arrow_expression("amortized", has, "code", reservation),
        "net": arrow_expression("net", has, "code", reservation),
    }
    steps = [ac.Declaration("scan", ac.ScanNodeOptions(dataset, **options))]
    if flt is not None:
        steps.append(ac.Declaration("filter", ac.FilterNodeOptions(flt)))
    steps += [
        ac.Declaration("project", ac.ProjectNodeOptions(first, [*key_names, "code", *numbers])),
        ac.Declaration(
            "project",
            ac.ProjectNodeOptions(
                [*(pc.field(k) for k in key_names), *metrics.values()], [*key_names, *metrics]
            ),
        ),
        ac.Declaration(
            "aggregate",
            ac.AggregateNodeOptions([(m, "hash_sum", None, m) for m in metrics], keys=key_names),
        ),
    ]
    table = ac.Declaration.from_sequence(steps).to_table(use_threads=True)
    renamed = dict(zip(key_names, keys, strict=True))
    return table.rename_columns([renamed.get(n, n) for n in table.column_names])


def amortize_columns() -> set[str]:
    """The numeric columns the amortization rules read."""
    return needed_columns() - {cs.LINE_TYPE, cs.RESERVATION_ARN}
