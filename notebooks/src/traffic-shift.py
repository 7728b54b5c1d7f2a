# description: Ramp weighted DNS traffic from one environment to another, step by step, behind health gates.
# access: deploy

# %% [markdown]
# # Shift traffic between environments
#
# **What it does.** Moves the weighted Route53 record of a `[traffic.NAME]` shift towards the
# set `to`, one ramp step at a time (e.g. 1, 5, 25, 50, 100 %). After each step it pauses,
# then checks the health gate on the receiving environment: its service's targets healthy
# and its 5xx rate under `max_error_rate`.
#
# **Risks.** Clients and resolvers cache DNS for the record's TTL, so traffic follows the
# weights with a delay and not exactly. The receiving environment must have the capacity
# for its share: scale it first if needed.
#
# **Rollback.** Automatic: a failed gate restores the last good weights and the outcome is
# `rolled_back`. By hand: run this runbook with `to` set to the other set.
#
# **Run it.** `opskit runbook run traffic-shift --env prod -p shift=www -p to=new`; add
# `--apply` (and `--confirm prod`: the record lives in prod's zone).

# %% parameters
env: str = "prod"  # environment whose DNS zone holds the record [required] [allowed: @envs]
shift: str = "www"  # the [traffic.NAME] shift to move [required] [allowed: @traffic]
to: str = "new"  # the weighted set to move traffic to [required] [allowed: @traffic_sets]
steps: list[int] = []  # ramp, in percent for `to`; empty means the config steps [min: 1] [max: 100]
pause_seconds: float = -1.0  # pause after each step; below 0 means the config's pause
max_error_rate: float = 0.05  # health gate: highest 5xx share of requests [min: 0] [max: 1]
apply: bool = False  # False shows the plan only; True ramps through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.traffic import TrafficShiftChange

rb = notebook.start(env, apply=apply, confirm=confirm)
pause = pause_seconds if pause_seconds >= 0 else None
change = TrafficShiftChange(shift, to, tuple(steps), pause, max_error_rate)

# %% [markdown]
# ## Plan
# Each weighted set's weight now -> at the end of the ramp. The summary lists the steps.

# %%
# Plan the ramp
plan = rb.plan(change)

# %% [markdown]
# ## Apply
# Step by step: set the weights, pause, check the gate; a failed gate restores the last
# good weights.

# %%
# Apply the ramp (a dry run unless apply = True)
result = rb.apply(plan)

# %% [markdown]
# ## Health gates
# Every gate the ramp passed, with what it measured: the step, the weights then, the
# receiving service's healthy and unhealthy targets, its 5xx rate and the limit.

# %%
# Health gates passed
from opskit.runbooks import kit

gates = (result.data or {}).get("gates", []) if result is not None else []
kit.show(gates or [{"at_percent": "-", "note": "no gate checked (dry run)"}],
         title="Health gates passed")

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
