"""Raw backend aggregates -> the report's tidy frame (the same for every backend).

Each backend hands over rows keyed by account, line (or record) type, product (code or CE
service), a reservation flag and tag values. Here accounts become environments (or
"unmapped"), line types become charges, products become short service names, empty tags
become "(untagged)", and rows are summed to the report's breakdown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from opskit.costs.labels import charge_of, service_name
from opskit.costs.spec import (
    ACCOUNT,
    CHARGE,
    ENVIRONMENT,
    METRICS,
    SERVICE,
    TAG_PREFIX,
    UNMAPPED,
    UNTAGGED,
    ReportSpec,
)

if TYPE_CHECKING:
    import pandas as pd


def tidy(
    raw: pd.DataFrame,
    spec: ReportSpec,
    env_of: Callable[[str], str | None],
    product_names: Mapping[str, str] | None = None,
    time_column: str = "period",
) -> pd.DataFrame:
    """The tidy frame: time, environment, account, charge, [service], [tag:…], metrics."""
    import pandas as pd

    keys = [time_column, ENVIRONMENT, ACCOUNT, CHARGE]
    if spec.wants_service and time_column == "period":
        keys.append(SERVICE)
    tags = [TAG_PREFIX + t for t in spec.tags] if time_column == "period" else []
    keys += tags
    if raw.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="object") for c in keys}
            | {m: pd.Series(dtype="float64") for m in METRICS}
        )
    names = dict(product_names or {})
    frame = pd.DataFrame(
        {time_column: raw[time_column].astype(str), ACCOUNT: raw["account"].astype(str)}
    )
    frame[ENVIRONMENT] = frame[ACCOUNT].map(lambda a: env_of(a) or UNMAPPED)
    # Label each distinct (line type, product, reservation) once, not each row.
    triples = raw[["line_type", "product", "reservation"]].astype({"reservation": bool})
    labels = {
        (lt, prod, res): (charge_of(lt, prod, res), names.get(prod, prod))
        for lt, prod, res in triples.drop_duplicates().itertuples(index=False)
    }
    pairs = [labels[t] for t in triples.itertuples(index=False, name=None)]
    frame[CHARGE] = [charge for charge, _ in pairs]
    if SERVICE in keys:
        frame[SERVICE] = [service_name(product, charge) for charge, product in pairs]
    for tag in tags:
        frame[tag] = raw[tag].fillna("").astype(str).replace("", UNTAGGED)
    for metric in METRICS:
        frame[metric] = pd.to_numeric(raw[metric], errors="coerce").fillna(0.0).astype("float64")
    summed = frame.groupby(keys, as_index=False, sort=True, dropna=False)[list(METRICS)].sum()
    return summed[keys + list(METRICS)].reset_index(drop=True)
