"""Seed the team's audit signing key: a KMS HMAC key in the ops account, ``alias/opskit-audit``.

Saved plans (and, later, journal records) are signed with it through KMS GenerateMac /
VerifyMac, so a plan alice writes can be checked when bob applies it. As on AWS the key is
HMAC_256 with usage GENERATE_VERIFY_MAC (nobody can read the key itself); the ops users'
group may call GenerateMac, VerifyMac and DescribeKey and nothing else of KMS.

On AWS that policy would name the key's ARN; moto 5.2.5 authorizes every KMS call against
the resource "*" (KMS responses have no ``_determine_resource``), so a policy naming the
key never matches and the statement must say "*" here. The only KMS key is this one.
"""

from __future__ import annotations

import json
import logging

from sandbox.plugins import SandboxContext
from sandbox.seed.iam import USERS_GROUP

log = logging.getLogger(__name__)

ALIAS = "alias/opskit-audit"
ACTIONS = ["kms:GenerateMac", "kms:VerifyMac", "kms:DescribeKey"]


def seed_audit_key(ctx: SandboxContext) -> None:
    """Create the key and its alias in the ops account; let the ops users sign with it."""
    kms = ctx.admin_client("ops", "kms")
    key = kms.create_key(
        KeySpec="HMAC_256",
        KeyUsage="GENERATE_VERIFY_MAC",
        Description="opskit: signs saved plans and audit records",
    )["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    statement = {"Effect": "Allow", "Action": ACTIONS, "Resource": "*"}  # see above
    ctx.admin_client("ops", "iam").put_group_policy(
        GroupName=USERS_GROUP,
        PolicyName="audit-signing",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    log.info("seeded the audit signing key %s (%s)", ALIAS, key["Arn"])
