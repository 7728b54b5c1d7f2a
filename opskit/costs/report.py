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

from opskit.costs import analysis, mtd
from opskit.costs.cache import DiskCache
from opskit.costs.frame import tidy
from opskit.costs.meter import Meter
from opskit.costs.model import CostReport, WorkspaceLike
from opskit.costs.spec import ENVIRONMENT, PERIOD, UNMAPPED, ReportSpec, make_spec
from opskit.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


DEFAULT_BY = ("env", "service")
DAILY_DAYS = 10  # days of daily data read for the run-rate forecast


def build_report(
    workspace: WorkspaceLike,
    *,
    months: int = 6,
    by: str | Sequence[str] = DEFAULT_BY,
    source: str | None = None,
    refresh: bool = False,
    today: dt.date | None = None,
) -> CostReport:
    """Build the cost report for the last ``months`` months (this one included)."""
    config = workspace.config
    settings = config.costs
    spec = make_spec(months=months, by=by, source=source or settings.source, today=today)
    meter = Meter()
    cache_root = workspace.state_dir / "cache" / "costs"
    scope = f"{config.ops.account_id}@{config.ops.endpoint_url or 'aws'}"
    since = spec.today - dt.timedelta(days=DAILY_DAYS)

    def env_of(account: str) -> str | None:
        return config.env_for_account(account)

    daily = None
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
        raw, daily_raw, names = _cur_or_athena(workspace, spec, since, meter, cache_root, refresh)
        frame = tidy(raw, spec, env_of, names)
        daily = (
            tidy(daily_raw, spec, env_of, names, time_column="day")
            if daily_raw is not None
            else None
        )
        rest_by_account = None
    shared_env = config.ops.name
    order = analysis.env_order(frame, config.env_names(), shared_env)
    forecast = _forecast(frame, daily, rest_by_account, spec, env_of)
    rule = settings.shared.rule
    if rule != "none":
        weights = analysis.shared_weights(
            frame, rule, shared_env, config.env_names(), settings.shared.shares
        )
        frame = analysis.spread(frame, weights, shared_env, ["unblended", "amortized", "net"])
        forecast[PERIOD] = spec.current_period
        values = ["month_to_date", "rest_of_month", "forecast"]
        forecast = analysis.spread(forecast, weights, shared_env, values).drop(columns=[PERIOD])
        order = [e for e in order if e != shared_env or e in set(frame[ENVIRONMENT])]
    forecast = (
        forecast.set_index(ENVIRONMENT)
        .reindex([e for e in order if e in set(forecast[ENVIRONMENT])])
        .reset_index()
    )
    report = CostReport(
        spec=spec,
        frame=frame,
        forecast_frame=forecast,
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
        result = CurReader(location).report(spec, since)
        meter.cur_files, meter.cur_bytes = result.files, result.bytes_read
        return result.raw, result.daily, result.product_names
    from opskit.costs.athena import athena_aggregates

    client = workspace.accounts.ops_client("athena")
    cache = DiskCache(cache_root / "athena", settings.cache_hours)
    return athena_aggregates(client, settings.athena, spec, since, meter, cache, refresh)


def _forecast(
    frame: pd.DataFrame,
    daily: pd.DataFrame | None,
    rest_by_account: dict[str, float] | None,
    spec: ReportSpec,
    env_of: Any,
) -> pd.DataFrame:
    """Forecast per environment: Cost Explorer's when it gave one, else our run rate."""
    import pandas as pd

    month_to_date = analysis.month_to_date(frame, spec.today)
    if rest_by_account is not None:
        rest: dict[str, float] = {}
        for account, amount in rest_by_account.items():
            env = env_of(account) or UNMAPPED
            rest[env] = rest.get(env, 0.0) + amount
        rows = [(e, m, rest.get(e, 0.0), m + rest.get(e, 0.0)) for e, m in month_to_date.items()]
        return pd.DataFrame(
            rows, columns=[ENVIRONMENT, "month_to_date", "rest_of_month", "forecast"]
        )
    empty = pd.DataFrame(columns=["day", ENVIRONMENT, "account", "charge", "amortized"])
    return analysis.forecast_from_daily(
        month_to_date, daily if daily is not None else empty, spec.today
    )


def refresh_month_to_date(workspace: WorkspaceLike) -> dict[str, float]:
    """Build a one-month report (cheapest breakdown) so the cache is warm; its figures."""
    return build_report(workspace, months=1, by=("env",)).month_to_date()
