"""How the ops-account login is found: the standard boto3 credential chain.

opskit never stores long-term keys. A ``Login`` only says where boto3 should look
(a profile, an SSO profile, the environment) or, for the sandbox and tests, carries the
sandbox user's keys that the sandbox itself created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opskit.accounts.shared_models import core_session
from opskit.config.model import Config
from opskit.errors import AuthError

if TYPE_CHECKING:
    import boto3


@dataclass(frozen=True)
class Login:
    """Where the ops identity's credentials come from, and (optionally) the endpoint."""

    kind: str  # "profile" | "sso" | "environment" | "static"
    profile: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    endpoint_url: str | None = None
    label: str = ""

    @classmethod
    def from_config(cls, config: Config) -> Login:
        """The login the config describes (``login = "sandbox"`` is resolved by the workspace)."""
        ops = config.ops
        if ops.login in ("profile", "sso"):
            return cls(kind=ops.login, profile=ops.profile, label=f"profile {ops.profile}")
        return cls(kind="environment", label="environment credentials")

    def base_session(self, region: str) -> boto3.Session:
        """A boto3 session for the ops identity itself."""
        import boto3

        if self.kind == "static":
            return boto3.Session(
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                region_name=region,
                botocore_session=core_session(),
            )
        if self.kind in ("profile", "sso"):
            return profile_session(self.profile, region)
        return boto3.Session(region_name=region, botocore_session=core_session())


def profile_session(profile: str | None, region: str | None = None) -> boto3.Session:
    """A boto3 session of a named profile; AuthError (exit 4) naming it when it is unknown."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(
            profile_name=profile, region_name=region, botocore_session=core_session()
        )
    except ProfileNotFound:
        raise AuthError(f"AWS profile '{profile}' not found in the AWS config files") from None
