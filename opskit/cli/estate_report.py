"""What a read that could not see everything tells the user, and its exit code.

Each API family (ECS, ELB, Route53, metrics) fails on its own: a denied Route53 makes DNS
unknown, never the clusters. So `opskit ls KIND` prints what it read, one warning per
environment for what is unknown, and exits:

- 0 when everything KIND needs was read in every environment (warnings or not);
- 6 (partial) when it is missing in some environments;
- the failure's own code when it is missing in all: 4 if every one was denied, else 5.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from opskit.errors import AuthError, AwsError, ExitCode, OpskitError, PartialResult, one_line
from opskit.estate.model import Snapshot, TargetGroupState, Unread

if TYPE_CHECKING:
    from opskit.estate.collect import Estate

UNKNOWN = "unknown"

# The API families each `ls` kind cannot do without (the rest only fill in columns).
NEEDS: dict[str, frozenset[str]] = {
    "clusters": frozenset({"ecs"}),
    "services": frozenset({"ecs"}),
    "tasks": frozenset({"ecs"}),
    "instances": frozenset({"ecs"}),
    "targets": frozenset({"elbv2"}),
    "dns": frozenset({"route53"}),
    "schedules": frozenset({"ecs"}),  # rules and schedules themselves only warn
}


def warn_unknown(env: str, unknown: Mapping[str, Unread], skip: Iterable[str] = ()) -> None:
    """One stderr line per environment and reason: which families are unknown, and why."""
    skipped = set(skip)
    by_reason: dict[str, list[str]] = {}
    for family, unread in unknown.items():
        if family not in skipped:
            by_reason.setdefault(unread.reason, []).append(family)
    for reason, families in by_reason.items():
        print(f"opskit: warning: {env}: {', '.join(families)} {UNKNOWN}: {reason}", file=sys.stderr)


def report(snapshot: Snapshot, needs: Iterable[str]) -> None:
    """Warn about what is unknown; raise when what was asked for is missing."""
    needed = frozenset(needs)
    missing = snapshot.missing(needed)
    for env in snapshot.environments:
        if env.name not in missing:
            warn_unknown(env.name, env.unknown)
    if not missing:
        return
    text = "; ".join(f"{env}: {u.reason}" for env, u in missing.items())
    if len(missing) < len(snapshot.environments):
        raise PartialResult(f"partial result: {text}")
    raise failure(missing.values(), text)


def failure(unread: Iterable[Unread], text: str) -> OpskitError:
    """Every environment failed: the failure's own code (4 if all were denied, else 5)."""
    codes = {u.exit_code for u in unread}
    if codes == {ExitCode.AUTH}:
        return AuthError(text)
    return AwsError(text)


def read_targets(
    estate: Estate, snapshot: Snapshot
) -> tuple[dict[str, tuple[TargetGroupState, ...]], Snapshot]:
    """Target health per environment; one whose ELB reads fail is marked, not fatal."""
    groups: dict[str, tuple[TargetGroupState, ...]] = {}
    states = []
    for env in snapshot.environments:
        if env.target_groups and "elbv2" not in env.unknown:
            try:
                groups[env.name] = estate.targets(env)
            except OpskitError as error:
                unread = Unread(one_line(error), int(error.exit_code))
                env = dataclasses.replace(env, unknown={**env.unknown, "elbv2": unread})
        states.append(env)
    return groups, dataclasses.replace(snapshot, environments=tuple(states))
