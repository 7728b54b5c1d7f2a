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
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.audit import Journal, changes
from opskit.aws.errors import translate
from opskit.aws.iam import IamPolicies
from opskit.config import Config

if TYPE_CHECKING:
    from types_boto3_iam import IAMClient

    from opskit.context import Workspace

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


def may_enter(iam: IAMClient, config: Config, envs: Iterable[str] | None = None) -> list[Grant]:
    """Every (user, environment, access level) of the ops account's IAM users."""
    roles = [
        (env, access, config.role_arn(env, access))
        for env in (envs or config.env_names())
        for access in config.access_levels()
    ]
    gateway = IamPolicies(iam)
    users = gateway.users()
    policies = _PolicyReader(gateway)
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

    def __init__(self, iam: IamPolicies) -> None:
        self.iam = iam
        self._managed: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self._groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}

    def of_user(self, user: str) -> list[tuple[str, dict[str, Any]]]:
        iam = self.iam
        try:
            found = [
                (f"user policy {name}", statement)
                for name, document in iam.user_policies(user)
                for statement in _statements(document)
            ]
            for arn in iam.user_attached(user):
                found += self.managed(arn)
            for group in iam.user_groups(user):
                found += self.group(group)
        except Exception as error:
            raise translate(error, f"ops account IAM, user {user}") from None
        return found

    def group(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        if name not in self._groups:
            found = [
                (f"group {name} policy {policy}", statement)
                for policy, document in self.iam.group_policies(name)
                for statement in _statements(document)
            ]
            for arn in self.iam.group_attached(name):
                found += [(f"group {name} {via}", s) for via, s in self.managed(arn)]
            self._groups[name] = found
        return self._groups[name]

    def managed(self, arn: str) -> list[tuple[str, dict[str, Any]]]:
        if arn not in self._managed:
            policy_name, document = self.iam.managed(arn)
            name = f"managed policy {policy_name}"
            self._managed[arn] = [(name, s) for s in _statements(document)]
        return self._managed[arn]


def _statements(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
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
