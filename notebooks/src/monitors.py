# description: Plan and apply the Datadog monitors of one environment from the monitor policy in environments.toml.
# access: deploy

# %% [markdown]
# # Datadog monitors as code
#
# **What it does.** Expands `[datadog.monitors]` (kinds, thresholds per environment, who is
# notified) into one monitor per service and kind, compares them with the managed monitors
# Datadog has for the environment, and (with `apply`) creates and updates them so they
# match; with `prune`, managed monitors the policy no longer has are deleted.
#
# **Risks.** A wrong threshold pages people, or stays silent when it should not. Deleting
# (`prune`) removes a monitor's history of alerts. Monitors not made by opskit (without its
# identity tag) are never touched.
#
# **Rollback.** The plan (and the journal) keep every monitor's settings before the change:
# revert the policy in environments.toml and run this runbook again. Every monitor is
# validated with Datadog before the first one is changed.
#
# **Run it.** `opskit runbook run monitors --env dev`; add `--apply`.

# %% parameters
env: str = "dev"  # environment whose monitors are made to match the policy [required] [allowed: @envs]
prune: bool = False  # also delete managed monitors the policy no longer has
apply: bool = False  # False shows the plan only; True applies through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.monitors import MonitorsChange
from opskit.runbooks import kit

rb = notebook.start(env, apply=apply, confirm=confirm)
change = MonitorsChange(env, prune)

# %% [markdown]
# ## Policy vs Datadog
# What would be created, updated (and which fields) or deleted, monitor by monitor.

# %%
# Compare the policy with Datadog's monitors
found = change.monitor_plan(rb.config)
kit.show([s.row() for s in found.steps] or [{"action": "none", "name": "monitors match the policy"}],
         title=f"Monitors in {env}")
kit.say(f"{len(found.steps)} to change, {found.unchanged} unchanged, {len(found.untracked)} untracked")

# %% [markdown]
# ## Plan
# The same, as the change engine records it: one diff per monitor.

# %%
# Plan the change
plan = rb.plan(change)

# %% [markdown]
# ## Apply

# %%
# Apply the plan (a dry run unless apply = True)
rb.apply(plan)

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
