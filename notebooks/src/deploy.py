# description: Deploy a new image tag to a service in one environment; waits for the rollout, rolls back by itself if it fails.
# access: deploy

# %% [markdown]
# # Deploy a new image
#
# **What it does.** Registers a copy of the service's running task definition with the new
# image (environment, secrets, sizes and roles unchanged), points the service at it and waits
# until the new tasks run and pass their health checks.
#
# **Risks.** A bad image takes the service down while it rolls; the old tasks keep serving
# until the new ones are healthy, and ECS stops a crash-looping rollout. Capacity dips by
# one task at a time.
#
# **Rollback.** Automatic: if the rollout fails, times out or crash-loops, the service is
# switched back to the revision it ran before and the outcome is `rolled_back`. By hand
# later: the `rollback` runbook.
#
# **Run it.** `opskit runbook run deploy --env dev -p service=api -p image=1.43.0` shows the
# plan; add `--apply` to deploy (and `--confirm prod` on prod).

# %% parameters
env: str = "dev"  # environment to deploy in [required] [allowed: @envs]
service: str = "api"  # service to deploy [required] [allowed: @services]
image: str = ""  # the new image tag (or REPO:TAG) [required]
apply: bool = False  # False shows the plan only; True deploys through the change engine
confirm: str = ""  # on a protected environment, its name typed back

# %%
# Open the session: who acts, where, dry run or apply
from opskit import notebook
from opskit.changes.deploy import DeployChange

rb = notebook.start(env, apply=apply, confirm=confirm)

# %% [markdown]
# ## Plan
# The running task definition, and each container's image before -> after. Nothing changes
# here.

# %%
# Plan the deploy
plan = rb.plan(DeployChange(env, (service,), (image,)))

# %% [markdown]
# ## Apply
# Through the change engine: guard (access, protected environment, read-only, freeze),
# lock, journal, deploy, wait for the rollout (rolled back if it fails), journal.

# %%
# Apply the plan (a dry run unless apply = True)
rb.apply(plan)

# %% [markdown]
# ## Outcome

# %%
# Outcome
rb.finish()
