"""Seed the team journal's home: the ``[audit] s3_bucket`` in the ops account.

As a team would set it up on AWS (``opskit audit init``): a bucket with Object Lock on
(compliance mode, ``[audit] retention_days``), versioning on, and, when ``[audit]
kms_key_id`` names an alias, an HMAC_256 KMS key under that alias for signing. The
sandbox users (group ``opskit-users``) may read and write the bucket, sign and verify
with the key, and create audit buckets and keys of their own (``audit init``); whether a
locked record version can be deleted is left to S3's Object Lock, not to IAM.
"""

from __future__ import annotations

import json
import logging

from sandbox.plugins import SandboxContext
from sandbox.seed import audit_key
from sandbox.seed.iam import USERS_GROUP

log = logging.getLogger(__name__)

S3_ACTIONS = ["s3:*"]
KMS_ACTIONS = [
    "kms:GenerateMac",
    "kms:VerifyMac",
    "kms:DescribeKey",
    "kms:ListAliases",
    "kms:CreateKey",
    "kms:CreateAlias",
]


def seed_audit_bucket(ctx: SandboxContext) -> None:
    """Create the audit bucket (and signing key) of the config, if it names one."""
    audit = ctx.config.audit
    iam = ctx.admin_client("ops", "iam")
    statements = [
        {
            "Effect": "Allow",
            "Action": S3_ACTIONS,
            "Resource": ["arn:aws:s3:::*audit*", "arn:aws:s3:::*audit*/*"],
        },
        {"Effect": "Allow", "Action": KMS_ACTIONS, "Resource": "*"},
    ]
    iam.put_group_policy(
        GroupName=USERS_GROUP,
        PolicyName="opskit-audit-journal",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    if not audit.s3_bucket:
        return
    s3 = ctx.admin_client("ops", "s3")
    options: dict[str, object] = {"Bucket": audit.s3_bucket, "ObjectLockEnabledForBucket": True}
    if ctx.region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    s3.create_bucket(**options)
    s3.put_bucket_versioning(Bucket=audit.s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(
        Bucket=audit.s3_bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": audit.retention_days}},
        },
    )
    key_alias = audit.kms_key_id or ""
    if key_alias.startswith("alias/") and key_alias != audit_key.ALIAS:  # that one is seeded
        kms = ctx.admin_client("ops", "kms")
        key = kms.create_key(
            KeySpec="HMAC_256",
            KeyUsage="GENERATE_VERIFY_MAC",
            Description="opskit audit journal signing",
        )["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=key_alias, TargetKeyId=key)
    log.info("seeded the audit bucket %s (Object Lock, compliance)", audit.s3_bucket)
