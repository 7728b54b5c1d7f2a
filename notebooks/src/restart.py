# description: Replace every task of a service with a fresh one (a forced new deployment), one at a time.
# access: deploy

# %% [markdown]
# # Restart a service
#
# **What it does.** Starts a forced new deployment: ECS replaces every task with a fresh one
# of the same task definition, keeping the minimum healthy share running, and waits until
# the new deployment is complete.
#
# **Risks.** Each task is stopped once: in-flight work on it is lost unless the service
# drains it (the target group's deregistration delay). A service whose fresh tasks cannot
# start (a bad secret, a missing dependency) ends up with fewer healthy tasks.
#
# **Rollback.** None needed: nothing about the service changes. If fresh tasks fail, the
# old ones keep serving while ECS retries; stop the restart by deploying the last good
# revision (`rollback`).
#
# **Run it.** `opskit runbook run restart --env dev -p service=api`; add `--apply`.

# %% parameters
env: str = "dev"  # environment [required] [allowed: @envs]
service: str = "api"  # service to restart [required] [allowed: @services]
apply: bool = False  # False shows the plan only; True restarts through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.service_changes import RestartChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan
# The deployment running now, and the new one a restart would start.

# %%
# Plan the restart
plan = rb.plan(RestartChange(env, service))

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
