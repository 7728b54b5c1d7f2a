"""Seed the sandbox's identities: Organization, accounts, roles, users, MFA.

- The ops account is the Organization's management account; every environment becomes a
  member account with exactly the id environments.toml gives it.
- In each environment account, one role per access level (names from ``[access]`` and
  per-environment overrides), trusting the ops account:
  read = Describe/List/Get on everything (plus log searches); deploy = read plus ECS,
  ELB, Route53 and CloudWatch Logs changes; admin = everything.
- In the ops account, users alice (may assume every environment's roles) and bob (dev's
  only), members of the group ``opskit-users`` (read the ops account, e.g. costs; get
  session tokens; see their own MFA devices). alice has a virtual MFA device.
- In every account, a ``opskit-sandbox`` administrator whose keys only the server holds,
  for seeders and background services (``SandboxContext.admin_client``).

Policies name actions by SigV4 signing name, as moto (and AWS) checks them.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sandbox.aws import moto_patches
from sandbox.plugins import SandboxContext
from sandbox.state import SandboxUser

log = logging.getLogger(__name__)

SYSTEM_USER = "opskit-sandbox"
USERS_GROUP = "opskit-users"
MFA_CODES = ("123456", "654321")

READ_ACTIONS = [
    "*:Describe*",
    "*:List*",
    "*:Get*",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "logs:StopQuery",
]
DEPLOY_ACTIONS = [
    *READ_ACTIONS,
    "ecs:*",
    "elasticloadbalancing:*",
    "route53:*",
    "logs:*",
    "iam:PassRole",  # AWS needs it to register task definitions that name roles
]
LEVEL_ACTIONS = {"read": READ_ACTIONS, "deploy": DEPLOY_ACTIONS, "admin": ["*"]}
OPS_USER_ACTIONS = [
    *READ_ACTIONS,
    "sts:GetSessionToken",
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
]
# Which environments each user may enter (every access level there).
USER_ENVIRONMENTS = {"alice": None, "bob": ("dev",)}  # None = all


def _policy(actions: list[str], resources: list[str] | str = "*") -> str:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _trust(ops_account_id: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ops_account_id}:root"},
        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_system_users(ctx: SandboxContext) -> None:
    """Create the server's administrator in every account; fill ``ctx.admin_keys``."""
    from sandbox.aws.shared_models import boto_session

    for account_id in ctx.all_account_ids():
        iam = boto_session().client(
            "iam",
            region_name=ctx.region,
            endpoint_url=ctx.endpoint_url,
            aws_access_key_id="AKIAOPSKITBOOTSTRAP0",
            aws_secret_access_key="bootstrap",
        )

        def in_account(request: Any, _account: str = account_id, **_: Any) -> None:
            request.headers["x-moto-account-id"] = _account

        iam.meta.events.register("before-sign.iam.*", in_account)
        iam.create_user(UserName=SYSTEM_USER, Path="/opskit/")
        iam.put_user_policy(
            UserName=SYSTEM_USER, PolicyName="administrator", PolicyDocument=_policy(["*"])
        )
        key = iam.create_access_key(UserName=SYSTEM_USER)["AccessKey"]
        ctx.admin_keys[account_id] = (key["AccessKeyId"], key["SecretAccessKey"])


def seed_organization(ctx: SandboxContext) -> None:
    """The Organization: ops manages it; each environment is a member with its own id."""
    org = ctx.admin_client("ops", "organizations")
    org.create_organization(FeatureSet="ALL")
    names = list(ctx.accounts)
    with moto_patches.next_account_ids([ctx.accounts[n] for n in names]):
        for name in names:
            org.create_account(AccountName=name, Email=f"aws+{name}@acme.example")
    created = {a["Id"] for a in org.list_accounts()["Accounts"]}
    missing = set(ctx.all_account_ids()) - created
    if missing:
        raise RuntimeError(f"Organization lacks accounts {sorted(missing)}")


def seed_roles(ctx: SandboxContext) -> dict[str, dict[str, str]]:
    """One role per access level in every environment; env -> level -> role ARN."""
    roles: dict[str, dict[str, str]] = {}
    for env in ctx.config.env_names():
        iam = ctx.admin_client(env, "iam")
        roles[env] = {}
        for level in ctx.config.access_levels():
            name = ctx.config.role_name(env, level)
            actions = LEVEL_ACTIONS.get(level, READ_ACTIONS)
            arn = iam.create_role(
                RoleName=name,
                AssumeRolePolicyDocument=_trust(ctx.ops_account_id),
                Description=f"opskit {level} access to {env}",
                MaxSessionDuration=43200,
            )["Role"]["Arn"]
            iam.put_role_policy(
                RoleName=name, PolicyName=f"opskit-{level}", PolicyDocument=_policy(actions)
            )
            roles[env][level] = arn
    return roles


def seed_users(ctx: SandboxContext, roles: dict[str, dict[str, str]]) -> dict[str, SandboxUser]:
    """alice and bob in the ops account, with keys; alice with a virtual MFA device."""
    iam = ctx.admin_client("ops", "iam")
    iam.create_group(GroupName=USERS_GROUP)
    iam.put_group_policy(
        GroupName=USERS_GROUP,
        PolicyName="ops-account-read",
        PolicyDocument=_policy(OPS_USER_ACTIONS),
    )
    users: dict[str, SandboxUser] = {}
    for name, envs in USER_ENVIRONMENTS.items():
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        iam.add_user_to_group(GroupName=USERS_GROUP, UserName=name)
        allowed = [
            arn_
            for env, by_level in roles.items()
            if envs is None or env in envs
            for arn_ in by_level.values()
        ]
        iam.put_user_policy(
            UserName=name,
            PolicyName="enter-environments",
            PolicyDocument=_policy(
                ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"], allowed
            ),
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        mfa_serial = _virtual_mfa(iam, name) if name == "alice" else None
        users[name] = SandboxUser(
            name=name,
            arn=arn,
            access_key_id=key["AccessKeyId"],
            secret_access_key=key["SecretAccessKey"],
            mfa_serial=mfa_serial,
        )
    return users


def _virtual_mfa(iam: Any, user: str) -> str:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    serial = str(device["SerialNumber"])
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1=MFA_CODES[0],
        AuthenticationCode2=MFA_CODES[1],
    )
    return serial


def seed_identities(
    ctx: SandboxContext,
) -> tuple[dict[str, dict[str, str]], dict[str, SandboxUser]]:
    """Everything above, in order; returns (roles, users)."""
    seed_system_users(ctx)
    seed_organization(ctx)
    roles = seed_roles(ctx)
    users = seed_users(ctx, roles)
    log.info("seeded organization, %d environments' roles, users %s", len(roles), ", ".join(users))
    return roles, users
