"""Setting up a team journal on AWS: the bucket (Object Lock, versioning) and the signing key.

``opskit audit init`` runs this once per team, as someone allowed to create buckets and
KMS keys in the ops account; it prints the ``[audit]`` lines everyone's environments.toml
then carries. Running it again is harmless: an existing bucket and alias are reused.
"""

from __future__ import annotations

from dataclasses import dataclass

from opskit.audit.setup import OpsClients


@dataclass(frozen=True)
class TeamSetup:
    """What ``init_team`` made (or found) and the config lines that use it."""

    bucket: str
    created: bool
    prefix: str
    retention_days: int
    kms_key_id: str | None
    object_lock: dict[str, object]

    def config_lines(self) -> list[str]:
        lines = [
            "[audit]",
            f's3_bucket = "{self.bucket}"',
            f'prefix = "{self.prefix}"',
            f"retention_days = {self.retention_days}",
        ]
        if self.kms_key_id:
            lines.append(f'kms_key_id = "{self.kms_key_id}"')
        return lines


def init_team(
    accounts: OpsClients,
    region: str,
    bucket: str,
    *,
    prefix: str = "opskit/",
    retention_days: int = 365,
    kms_alias: str | None = "alias/opskit-audit",
) -> TeamSetup:
    """Create (or reuse) the bucket with compliance-mode Object Lock, and the KMS HMAC key."""
    from opskit.aws.kms import create_hmac_key
    from opskit.aws.s3 import create_locked_bucket, object_lock

    s3 = accounts.ops_client("s3")
    created = create_locked_bucket(s3, bucket, region, retention_days, f"{prefix}locks/")
    key_id = None
    if kms_alias:
        create_hmac_key(accounts.ops_client("kms"), kms_alias, "opskit audit journal signing")
        key_id = kms_alias
    lock = dict(object_lock(s3, bucket))
    return TeamSetup(bucket, created, prefix, retention_days, key_id, lock)
