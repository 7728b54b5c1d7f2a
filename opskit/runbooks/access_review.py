"""Access review: who may enter which environment at which access level, and who did.

"May" is read from IAM in the ops account: each user's inline and attached policies and
those of their groups, evaluated for ``sts:AssumeRole`` on each environment's role for each
access level (an explicit Deny wins; a statement with conditions counts as allowed and is
marked ``conditional``, since conditions depend on the request). "Did" is read from the
audit journal: the changes each user made per environment and access level in the window.
Trust policies in the environment accounts are not read (they name the ops account).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.audit import Journal, changes
from opskit.aws.errors import translate
from opskit.config import Config

if TYPE_CHECKING:
    from opskit.workspace import Workspace

ACTION = "sts:assumerole"


@dataclass(frozen=True)
class Grant:
    """Whether ``user`` may assume ``env``'s role for ``access``, and which policy says so."""

    user: str
    env: str
    access: str
    role_arn: str
    allowed: bool
    via: str = ""


@dataclass(frozen=True)
class Use:
    """What ``user`` did in ``env`` at ``access`` within the window, from the journal."""

    user: str
    env: str
    access: str
    journaled: int
    last: str
    outcomes: str


@dataclass(frozen=True)
class Review:
    """The whole review: grants from IAM, use from the journal, and what stands out."""

    grants: list[Grant]
    uses: list[Use]
    findings: list[dict[str, str]]
    days: float


def review(ws: Workspace, days: float = 30, envs: Iterable[str] | None = None) -> Review:
    """Read IAM (ops account, read access) and the journal for ``envs`` (default: all)."""
    chosen = list(envs) if envs else None
    grants = may_enter(ws.accounts.ops_client("iam"), ws.config, chosen)
    uses = used(Journal(ws.journal_path), days, chosen)
    return Review(grants, uses, findings(grants, uses), days)


def may_enter(iam: Any, config: Config, envs: Iterable[str] | None = None) -> list[Grant]:
    """Every (user, environment, access level) of the ops account's IAM users."""
    roles = [
        (env, access, config.role_arn(env, access))
        for env in (envs or config.env_names())
        for access in config.access_levels()
    ]
    try:
        users = [
            u["UserName"]
            for page in iam.get_paginator("list_users").paginate()
            for u in page["Users"]
        ]
    except Exception as error:
        raise translate(error, "ops account IAM ListUsers") from None
    policies = _PolicyReader(iam)
    with ThreadPoolExecutor(max_workers=8) as pool:
        documents = dict(zip(users, pool.map(policies.of_user, users), strict=True))
    return [
        Grant(user, env, access, arn, *_decide(documents[user], arn))
        for user in sorted(users)
        for env, access, arn in roles
    ]


def used(
    journal: Journal, days: float, envs: Iterable[str] | None = None, now: dt.datetime | None = None
) -> list[Use]:
    """Per (user, environment, access level): changes made in the last ``days`` days."""
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    wanted = set(envs) if envs else None
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for entry in changes(journal.records(), since=since):
        first = entry.first
        key = (
            str(first.get("who", {}).get("user", "")),
            entry.env,
            str(first.get("where", {}).get("access", "")),
        )
        if wanted is None or entry.env in wanted:
            grouped.setdefault(key, []).append(entry)
    out = []
    for (user, env, access), entries in sorted(grouped.items()):
        outcomes = Counter(e.status for e in entries)
        summary = ", ".join(f"{status} {n}" for status, n in outcomes.items())
        out.append(Use(user, env, access, len(entries), max(e.at for e in entries), summary))
    return out


def findings(grants: list[Grant], uses: list[Use]) -> list[dict[str, str]]:
    """What a reviewer should look at: use without a grant today, and grants never used."""
    allowed = {(g.user, g.env, g.access) for g in grants if g.allowed}
    active = {(u.user, u.env, u.access) for u in uses}
    out = [
        {"user": u, "env": e, "access": a, "finding": "used in the window, no longer granted"}
        for u, e, a in sorted(active - allowed)
    ]
    out += [
        {"user": u, "env": e, "access": a, "finding": "granted, not used in the window"}
        for u, e, a in sorted(allowed - active)
        if a != "read"
    ]
    return out


class _PolicyReader:
    """Policy statements of users, with groups' and managed policies' read once each."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        self._managed: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def of_user(self, user: str) -> list[tuple[str, dict[str, Any]]]:
        iam = self.iam
        try:
            found = [
                (f"user policy {name}", statement)
                for name in self._names(iam.list_user_policies, "PolicyNames", UserName=user)
                for statement in _statements(
                    iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
                )
            ]
            for arn in self._attached(iam.list_attached_user_policies, UserName=user):
                found += self.managed(arn)
            for group in self._names(iam.list_groups_for_user, "Groups", UserName=user):
                found += self.group(group["GroupName"])
        except Exception as error:
            raise translate(error, f"ops account IAM, user {user}") from None
        return found

    def group(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        if name not in self._groups:
            iam = self.iam
            found = [
                (f"group {name} policy {policy}", statement)
                for policy in self._names(iam.list_group_policies, "PolicyNames", GroupName=name)
                for statement in _statements(
                    iam.get_group_policy(GroupName=name, PolicyName=policy)["PolicyDocument"]
                )
            ]
            for arn in self._attached(iam.list_attached_group_policies, GroupName=name):
                found += [(f"group {name} {via}", s) for via, s in self.managed(arn)]
            self._groups[name] = found
        return self._groups[name]

    def managed(self, arn: str) -> list[tuple[str, dict[str, Any]]]:
        if arn not in self._managed:
            policy = self.iam.get_policy(PolicyArn=arn)["Policy"]
            version = self.iam.get_policy_version(
                PolicyArn=arn, VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]
            name = f"managed policy {policy['PolicyName']}"
            self._managed[arn] = [(name, s) for s in _statements(version["Document"])]
        return self._managed[arn]

    @staticmethod
    def _names(call: Any, key: str, **params: Any) -> list[Any]:
        out: list[Any] = []
        marker: str | None = None
        while True:
            page = call(**params, **({"Marker": marker} if marker else {}))
            out += page[key]
            if not page.get("IsTruncated"):
                return out
            marker = page["Marker"]

    def _attached(self, call: Any, **params: Any) -> list[str]:
        return [p["PolicyArn"] for p in self._names(call, "AttachedPolicies", **params)]


def _statements(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    statements = document.get("Statement", [])
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        yield dict(statement)


def _decide(statements: list[tuple[str, dict[str, Any]]], role_arn: str) -> tuple[bool, str]:
    allowed_by = ""
    for via, statement in statements:
        if not (
            _matches(statement, "Action", ACTION) and _matches(statement, "Resource", role_arn)
        ):
            continue
        if statement.get("Effect") == "Deny":
            return False, f"denied by {via}"
        if statement.get("Effect") == "Allow" and not allowed_by:
            allowed_by = via + (" (conditional)" if statement.get("Condition") else "")
    return bool(allowed_by), allowed_by


def _matches(statement: Mapping[str, Any], key: str, value: str) -> bool:
    """Whether ``Key`` (or ``NotKey``) of a statement covers ``value`` (IAM wildcards)."""
    positive, negative = statement.get(key), statement.get(f"Not{key}")
    patterns = positive if positive is not None else negative
    if patterns is None:
        return False
    listed = [patterns] if isinstance(patterns, str) else list(patterns)
    fold = key == "Action"  # actions are case-insensitive, ARNs are not
    hit = any(
        fnmatch.fnmatchcase(value.lower() if fold else value, p.lower() if fold else p)
        for p in listed
    )
    return hit if positive is not None else not hit
