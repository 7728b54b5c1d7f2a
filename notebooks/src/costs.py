# description: What each environment costs, by service, month over month, with charts and the month's forecast.
# access: read

# %% [markdown]
# # Cost by environment
#
# **What it does.** Reads the consolidated bill (Cost Explorer, the CUR 2.0 export, or Athena
# over it, as `[costs]` in environments.toml says) for the last `months` months, maps each
# account to its environment and shows: spend per environment and month, what moved most
# since last month, and this month to date with its forecast.
#
# **Risks.** None: it only reads. Cost Explorer charges $0.01 per request and Athena $5 per
# TB scanned; answers are cached for `[costs] cache_hours` (`refresh = True` skips the cache).
#
# **Rollback.** Nothing to roll back.
#
# **Run it.** `opskit runbook run costs -p months=3 -p by=env,service`.

# %% parameters
months: int = 6  # complete months of history; this month to date comes apart [min: 0] [max: 12]
by: list[str] = ["env", "service"]  # how to split: env, service, account, charge, tag:KEY
source: str = "config"  # where the bill is read; config means [costs] source [allowed: config|ce|cur|athena]
metric: str = "amortized"  # which cost [allowed: amortized|unblended|net]
refresh: bool = False  # read the bill again instead of the cached answers

# %%
# Open the session and build the report
from opskit import notebook
from opskit.costs import build_report
from opskit.costs import html as charts
from opskit.runbooks import kit

rb = notebook.start()
report = build_report(
    rb.ws, months=months, by=by, source=None if source == "config" else source, refresh=refresh
)
for note in report.notes() + report.meter.lines():
    kit.say(note)

# %% [markdown]
# ## Spend by environment, per month

# %%
# Spend by environment per month
kit.show(report.totals_by_env(metric).round(2).reset_index(), title=f"Spend per month ({metric}, USD)")
kit.chart(charts.stacked_bars(report, metric))

# %% [markdown]
# ## What moved since last month
# The lines whose daily run rate changed most between the last two complete months
# (spend per billed day, so month lengths do not pose as savings).

# %%
# Month-over-month drivers
drivers = report.mom_drivers(metric)
kit.show(drivers.round(2), title="Biggest movers")
if not drivers.empty:
    what = drivers.columns[1]
    labels = [f"{row.iloc[0]} / {row[what]}" for _, row in drivers.iterrows()]
    kit.chart(charts.diverging_bars(labels, [float(d) for d in drivers["delta_per_day"]]))

# %% [markdown]
# ## This month

# %%
# Month to date and forecast
kit.show(report.forecast().round(2), title="Month to date and forecast (USD)")
kit.show(report.forecast_by_class().round(2), title="Forecast by charge class, and its method")
if report.spec.current_period in report.spec.periods:
    kit.chart(charts.forecast_bars(report))
