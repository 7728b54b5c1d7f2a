# description: Set the load balancers' draining timeout (deregistration delay) on every target group of an environment.
# access: deploy

# %% [markdown]
# # Set the draining timeout across an environment
#
# **What it does.** Sets the deregistration delay (how long a load balancer lets a target
# finish its requests before removing it) on every target group of the environment, or on
# those whose names match `match`. Groups already at the value are left alone.
#
# **Risks.** Too short: requests in flight are cut when tasks are replaced (deploys,
# scaling, restarts). Too long: deploys and scale-ins wait that long per task. The change
# takes effect for the next deregistration; nothing is restarted.
#
# **Rollback.** Automatic if a call fails midway (the groups already changed are put back,
# so it is all or nothing). Later: run this runbook with the old value (each group's
# `before` is in the plan and the journal).
#
# **Run it.** `opskit runbook run elb-draining --env stage -p seconds=60`; add `--apply`.

# %% parameters
env: str = "stage"  # environment whose target groups change [required] [allowed: @envs]
seconds: int = 60  # the deregistration delay, in seconds [min: 0] [max: 3600]
match: list[str] = []  # target group name patterns, e.g. api*,web*; empty means every group
apply: bool = False  # False shows the plan only; True applies through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.draining import DrainingChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan
# One row per target group whose delay changes: before -> after.

# %%
# Plan the new draining timeout
plan = rb.plan(DrainingChange(env, seconds, tuple(match)))

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
