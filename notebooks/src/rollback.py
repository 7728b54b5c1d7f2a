# description: Switch a service back to its previous task definition revision (or a named one) and wait for it.
# access: deploy

# %% [markdown]
# # Roll back a service
#
# **What it does.** Points the service at the revision before the one it runs now (or at
# `revision`), and waits for the rollout. The plan shows each container's image before ->
# after, so you see what you are going back to.
#
# **Risks.** The older revision's image and settings come back as they were, including
# environment variables changed since. A database migration made by the newer version is
# not undone.
#
# **Rollback.** Roll forward: run `deploy` with the newer image, or this runbook with the
# newer `revision` (the plan's `before`, also in the journal).
#
# **Run it.** `opskit runbook run rollback --env dev -p service=api`; add `--apply`.

# %% parameters
env: str = "dev"  # environment [required] [allowed: @envs]
service: str = "api"  # service to roll back [required] [allowed: @services]
revision: int = 0  # task definition revision to go to; 0 means the one before the current [min: 0]
apply: bool = False  # False shows the plan only; True rolls back through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.service_changes import RollbackChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan
# The revision now -> the one to go back to, and every image that changes with it.

# %%
# Plan the rollback
plan = rb.plan(RollbackChange(env, service, revision or None))

# %% [markdown]
# ## Apply
# The engine switches the service and waits; if the old revision cannot settle either, it
# is switched back and the outcome says so.

# %%
# Apply the plan (a dry run unless apply = True)
rb.apply(plan)

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
