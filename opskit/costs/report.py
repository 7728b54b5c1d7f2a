"""``build_report``: one report definition, three backends, one tidy frame.

The backend (Cost Explorer, CUR parquet, Athena) yields raw aggregates; ``frame.tidy``
labels them; the ops account's shared cost is allocated by ``[costs.shared]``; month-to-
date is saved for the TUI. ``CostReport`` (``model.py``) answers the usual questions;
``render.render`` lays it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit.costs import analysis, journal, mtd
from opskit.costs import forecast as forecasting
from opskit.costs.cache import DiskCache
from opskit.costs.frame import tidy
from opskit.costs.labels import CHARGES
from opskit.costs.meter import Meter
from opskit.costs.model import CostReport, WorkspaceLike
from opskit.costs.spec import CHARGE, ENVIRONMENT, PERIOD, UNMAPPED, ReportSpec, make_spec
from opskit.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


DEFAULT_BY = ("env", "service")
_CHARGE_RANK = {c: i for i, c in enumerate(CHARGES)}
DAILY_DAYS = 10  # days of daily data read for the run-rate forecast


def build_report(
    workspace: WorkspaceLike,
    *,
    months: int = 6,
    by: str | Sequence[str] = DEFAULT_BY,
    source: str | None = None,
    refresh: bool = False,
    today: dt.date | None = None,
    compare: str | None = None,
) -> CostReport:
    """Build the cost report for the last ``months`` complete months and this one to date."""
    config = workspace.config
    settings = config.costs
    spec = make_spec(
        months=months, by=by, source=source or settings.source, today=today, compare=compare
    )
    meter = Meter()
    cache_root = workspace.state_dir / "cache" / "costs"
    scope = f"{config.ops.account_id}@{config.ops.endpoint_url or 'aws'}"
    since = spec.today - dt.timedelta(days=DAILY_DAYS)
    entries = journal.recent_changes(workspace, spec) if spec.source != "ce" else []
    if entries:  # read the daily bill far enough back to see each change's step
        since = min(since, journal.read_since(entries, spec))

    def env_of(account: str) -> str | None:
        return config.env_for_account(account)

    daily = None
    explained: list[Any] = []
    if spec.source == "ce":
        from opskit.costs.ce import CostExplorer

        ce = CostExplorer(
            workspace.accounts.ops_client("ce"),
            DiskCache(cache_root / "ce", settings.cache_hours),
            meter,
            scope,
            refresh,
        )
        frame = tidy(ce.report(spec), spec, env_of)
        current = frame[frame[PERIOD] == spec.current_period]
        rest_by_account = ce.forecast(sorted(current["account"].unique()), spec.today)
    else:
        tags = ("service",) if entries else ()
        raw, daily_raw, names = _cur_or_athena(
            workspace, spec, since, meter, cache_root, refresh, tags
        )
        frame = tidy(raw, spec, env_of, names)
        if entries and daily_raw is not None:
            explained = journal.explain_daily(daily_raw, env_of, entries, spec.today)
        daily = (
            tidy(daily_raw, spec, env_of, names, time_column="day")
            if daily_raw is not None
            else None
        )
        rest_by_account = None
    shared_env = config.ops.name
    order = analysis.env_order(frame, config.env_names(), shared_env)
    classes = _forecast(frame, daily, rest_by_account, spec, env_of)
    rule = settings.shared.rule
    if rule != "none":
        weights = analysis.shared_weights(
            frame, rule, shared_env, config.env_names(), settings.shared.shares
        )
        frame = analysis.spread(frame, weights, shared_env, ["unblended", "amortized", "net"])
        classes[PERIOD] = spec.current_period
        values = ["month_to_date", "rest_of_month", "forecast"]
        classes = analysis.spread(classes, weights, shared_env, values).drop(columns=[PERIOD])
        order = [e for e in order if e != shared_env or e in set(frame[ENVIRONMENT])]
    rank = {e: i for i, e in enumerate(order)}
    classes = classes.sort_values(
        by=[ENVIRONMENT, CHARGE],
        key=lambda c: c.map(rank) if c.name == ENVIRONMENT else c.map(_CHARGE_RANK),
    ).reset_index(drop=True)
    forecast = forecasting.totals(classes)
    forecast = (
        forecast.set_index(ENVIRONMENT)
        .reindex([e for e in order if e in set(forecast[ENVIRONMENT])])
        .reset_index()
    )
    report = CostReport(
        spec=spec,
        frame=frame,
        forecast_frame=forecast,
        forecast_classes=classes,
        meter=meter,
        env_order=order,
        shared_env=shared_env,
        shared_rule=rule,
        missing_periods=[p for p in spec.periods if p not in set(frame[PERIOD])],
        unmapped_accounts=sorted(set(frame.loc[frame[ENVIRONMENT] == UNMAPPED, "account"])),
        untagged_tag=settings.untagged_tag
        if settings.untagged_tag in spec.tags
        else (spec.tags[0] if spec.tags else None),
        env_colours={name: env.colour for name, env in config.environments.items()},
        explained=explained,
    )
    if spec.current_period in spec.periods:
        mtd.save(
            workspace.state_dir, spec.current_period, report.month_to_date(), spec.source, order
        )
    return report


def _cur_or_athena(
    workspace: WorkspaceLike,
    spec: ReportSpec,
    since: dt.date,
    meter: Meter,
    cache_root: Path,
    refresh: bool,
    daily_tags: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """Raw monthly and daily aggregates from CUR parquet or from Athena."""
    settings = workspace.config.costs
    if spec.source == "cur":
        from opskit.costs.cur import CurReader
        from opskit.costs.curfiles import CurLocation

        if not settings.cur_path:
            needs = "[costs].cur_path in environments.toml (a folder or an s3:// prefix)"
            raise UsageError(f"--source cur needs {needs}")
        location = CurLocation(
            settings.cur_path,
            workspace.config.path.parent,
            lambda: workspace.accounts.ops_client("s3"),
        )
        result = CurReader(location).report(spec, since, daily_tags)
        meter.cur_files, meter.cur_bytes = result.files, result.bytes_read
        return result.raw, result.daily, result.product_names
    from opskit.costs.athena import athena_aggregates

    client = workspace.accounts.ops_client("athena")
    cache = DiskCache(cache_root / "athena", settings.cache_hours)
    return athena_aggregates(
        client, settings.athena, spec, since, meter, cache, refresh, daily_tags
    )


def _forecast(
    frame: pd.DataFrame,
    daily: pd.DataFrame | None,
    rest_by_account: dict[str, float] | None,
    spec: ReportSpec,
    env_of: Any,
) -> pd.DataFrame:
    """Forecast per environment and charge class (``forecast.by_class``)."""
    if rest_by_account is None:
        return forecasting.by_class(frame, spec.today, daily=daily)
    rest: dict[str, float] = {}
    for account, amount in rest_by_account.items():
        env = env_of(account) or UNMAPPED
        rest[env] = rest.get(env, 0.0) + amount
    return forecasting.by_class(frame, spec.today, ce_rest=rest)


def refresh_month_to_date(workspace: WorkspaceLike) -> dict[str, float]:
    """Build a one-month report (cheapest breakdown) so the cache is warm; its figures."""
    return build_report(workspace, months=0, by=("env",)).month_to_date()
