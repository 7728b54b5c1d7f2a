# description: What differs between two environments' services (stage vs prod) beyond size and count.
# access: read

# %% [markdown]
# # Drift between environments
#
# **What it does.** Reads both environments and compares every service present in either:
# image tags, containers, environment variable and secret *names*, ports, health checks,
# target group ports and draining timeouts, and services missing on one side. Size (cpu,
# memory) and task count are expected to differ and are left out.
#
# **Risks.** None: it only reads (with the read role). Secret values are never read into
# the comparison, so they cannot appear here.
#
# **Rollback.** Nothing to roll back.
#
# **Run it.** `opskit runbook run drift` (stage vs prod), or
# `opskit runbook run drift --env prod -p baseline=stage`.

# %% parameters
env: str = "prod"  # the environment to check [allowed: @envs]
baseline: str = "stage"  # the environment it should mirror [allowed: @envs]

# %%
# Open the session
from opskit import notebook
from opskit.estate.collect import Estate
from opskit.estate.drift import drift
from opskit.runbooks import kit

rb = notebook.start(env)

# %% [markdown]
# ## Differences
# One row per difference: the service, what differs, its value in each environment.

# %%
# Compare the two environments
found = drift(Estate(rb.ws.accounts, utilization=False), baseline, env)
kit.say(f"{found.services} services compared; {len(found.differences)} difference(s)")
rows = [{"service": d.service, "what": d.what, baseline: d.a, env: d.b} for d in found.differences]
kit.show(rows or [{"service": "-", "what": "no drift"}], title=f"{baseline} vs {env}")

# %% [markdown]
# ## Summary
# How many differences each service has, and any environment that could not be read.

# %%
# Summary by service
by_service = kit.table(rows, columns=["service", "what"]).groupby("service").size()
kit.show(by_service.rename("differences").reset_index(), title="Differences by service")
for where, problem in found.errors.items():
    kit.say(f"warning: {where} could not be read fully: {problem}")
