# description: Who in the ops account may enter which environment at which access level (IAM), and who actually did (the journal).
# access: read

# %% [markdown]
# # Access review
#
# **What it does.** Reads the IAM users of the ops account with their own and their groups'
# policies, and works out for each environment and access level whether each user may
# assume its role (`sts:AssumeRole`; an explicit Deny wins). Then reads the audit journal:
# who made changes where, at which level, in the last `days` days. Last, what stands out:
# access used but no longer granted, and change access granted but never used.
#
# **Risks.** None: it only reads (IAM in the ops account, and the local journal). Policy
# conditions are not evaluated (such grants are marked `conditional`), and the roles' trust
# policies in the environment accounts are not read.
#
# **Rollback.** Nothing to roll back. To remove access, change the IAM policy named in the
# `via` column.
#
# **Run it.** `opskit runbook run access-review -p days=90`.

# %% parameters
days: int = 30  # how far back the journal is read, in days [min: 1] [max: 3650]
envs: list[str] = []  # environments to review; empty means every one [allowed: @envs]

# %%
# Open the session and read IAM and the journal
from opskit import notebook
from opskit.runbooks import access_review, kit

rb = notebook.start()
found = access_review.review(rb.ws, days, envs)
kit.say(f"{len({g.user for g in found.grants})} users; {len(found.uses)} (user, env, access) pairs in use")

# %% [markdown]
# ## Who may enter where
# One row per user and environment: the access levels IAM lets them assume.

# %%
# Grants by user and environment
grants = kit.table([g.__dict__ for g in found.grants])
may = grants[grants["allowed"]].groupby(["user", "env"])["access"].agg(", ".join).reset_index()
kit.show(may, title="May enter (from IAM)")
kit.show(grants[grants["allowed"]], columns=["user", "env", "access", "via"], title="Granted by")

# %% [markdown]
# ## Who did
# Changes each user made, per environment and access level, in the window.

# %%
# Use from the journal
kit.show(
    [u.__dict__ for u in found.uses] or [{"user": "-", "journaled": 0}],
    title=f"Changes in the last {days} days (from the journal)",
)

# %% [markdown]
# ## Findings

# %%
# What stands out
kit.show(found.findings or [{"finding": "nothing stands out"}], title="Findings")
