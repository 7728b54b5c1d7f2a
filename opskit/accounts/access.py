"""Which environments and access levels this user can actually enter.

Checked by really assuming each role, concurrently: IAM policy simulation would need
permissions most users lack, and only AssumeRole tells the truth about trust policies.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from opskit.accounts.sessions import Accounts
from opskit.errors import OpskitError


@dataclass(frozen=True)
class AccessCheck:
    env: str
    access: str
    role_arn: str
    allowed: bool
    reason: str = ""


def check_access(accounts: Accounts, envs: list[str] | None = None) -> list[AccessCheck]:
    """One check per (environment, access level), in config order."""
    config = accounts.config
    pairs = [(e, a) for e in (envs or config.env_names()) for a in config.access_levels()]
    accounts.whoami()  # fail fast (and once) if the ops login itself is broken

    def check(pair: tuple[str, str]) -> AccessCheck:
        env, access = pair
        arn = config.role_arn(env, access)
        try:
            accounts.credentials(env, access)
        except OpskitError as error:
            return AccessCheck(env, access, arn, False, str(error))
        return AccessCheck(env, access, arn, True)

    with ThreadPoolExecutor(max_workers=min(16, len(pairs) or 1)) as pool:
        return list(pool.map(check, pairs))
