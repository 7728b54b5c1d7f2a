"""Who the ops login is, and the session names derived from it for CloudTrail."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SAFE = re.compile(r"[^\w+=,.@-]")


@dataclass(frozen=True)
class Identity:
    """The ops identity as STS GetCallerIdentity reports it."""

    arn: str
    account_id: str
    user_id: str

    @property
    def user_name(self) -> str:
        """The person: the IAM user name, or the session name of an SSO/assumed role."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def session_name(self) -> str:
        """RoleSessionName and SourceIdentity: 2-64 chars of ``[\\w+=,.@-]``."""
        name = _SAFE.sub("-", self.user_name)[:64]
        return name if len(name) >= 2 else f"{name}--"[:2]
