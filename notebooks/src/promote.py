# description: Promote a service: deploy to the target exactly the image digests the source has proved, once it has soaked.
# access: deploy

# %% [markdown]
# # Promote from one environment to the next
#
# **What it does.** Reads the image digests the source's running tasks report (never a
# tag, which may have moved), checks that the source has soaked (settled for
# `[promotion] soak_minutes`, no FAILED deployment, no managed monitor in Alert or
# triggered during the soak), and deploys those digests (`repo@sha256:…`) to the target as
# a new task definition revision. The plan's notes show the source deployment, each
# digest and the soak evidence; the journal keeps them.
#
# **Risks.** The target gets what the source ran, with the target's own size, environment
# and secrets: a difference between the two environments' settings is not proved by the
# source. A protected target needs its name typed back.
#
# **Rollback.** Automatic: if the rollout fails, or (with `[promotion] bake_seconds`) a
# monitor of the service goes to Alert while it bakes, the service goes back to the revision
# it ran before (`rolled_back`, naming the monitor). By hand later: the `rollback` runbook.
#
# **Run it.** `opskit runbook run promote --env prod -p source=stage -p service=api` shows the
# plan and the soak evidence (refused, saying why, if the source has not soaked); add
# `--apply --confirm prod` to promote.

# %% parameters
env: str = "prod"  # the environment to promote to [required] [allowed: @envs]
source: str = "stage"  # the environment that proved the images [required] [allowed: @envs]
service: str = "api"  # service to promote [required] [allowed: @services]
apply: bool = False  # False shows the plan only; True promotes through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.promote import PromoteChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan and soak evidence
# The source's digests, the target's task definition before -> after, and the soak
# evidence (in the notes). A source that has not soaked is refused here, with every
# condition that failed. Nothing changes here.

# %%
# Plan the promotion
plan = rb.plan(PromoteChange(source, env, (service,)))
for note in plan.notes:
    print("note:", note)

# %% [markdown]
# ## Apply
# Through the change engine: guard (access, protected environment, freeze, change policy),
# lock, journal, deploy the digests, wait for the rollout, bake under the service's
# monitors, journal.

# %%
# Apply the plan (a dry run unless apply = True)
rb.apply(plan)

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
