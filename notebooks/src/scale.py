# description: Set a service's desired task count in one environment, within the bounds environments.toml gives it.
# access: deploy

# %% [markdown]
# # Scale a service
#
# **What it does.** Sets the service's desired count and waits until that many tasks run
# (and, behind a load balancer, are healthy). The count must lie within the service's
# `min`..`max` for the environment in environments.toml.
#
# **Risks.** Scaling down removes capacity at once: check the service's load first (the
# TUI shows CPU and memory). Scaling up needs room on the cluster's hosts; tasks that
# cannot be placed stay pending and the wait times out.
#
# **Rollback.** Run this runbook again with the previous count (the plan shows it as
# `before`, and the journal keeps it).
#
# **Run it.** `opskit runbook run scale --env dev -p service=api -p count=2`; add `--apply`.

# %% parameters
env: str = "dev"  # environment [required] [allowed: @envs]
service: str = "api"  # service to scale [required] [allowed: @services]
count: int = 1  # desired task count [required] [min: 0] [max: 5000]
apply: bool = False  # False shows the plan only; True scales through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.service_changes import ScaleChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan
# The desired count before -> after. Nothing changes here.

# %%
# Plan the new count
plan = rb.plan(ScaleChange(env, service, count))

# %% [markdown]
# ## Apply
# Guarded, locked and journaled by the change engine, which then waits for the count.

# %%
# Apply the plan (a dry run unless apply = True)
rb.apply(plan)

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
