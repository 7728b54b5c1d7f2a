"""Why a task stopped, and whether a service is crash-looping: pure rules over ECS text.

ECS says why a task stopped in three places: ``stopCode`` (TaskFailedToStart,
EssentialContainerExited, UserInitiated, ServiceSchedulerInitiated, SpotInterruption,
TerminationNotice), ``stoppedReason`` (free text such as "Task failed ELB health checks in
(target-group …)" or "CannotPullContainerError: …") and each container's ``reason``
("OutOfMemoryError: Container killed due to memory usage"). The most specific wins: a
container killed for memory is ``oom`` even though the task says "Essential container in
task exited".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from opskit.estate.model import DeploymentState, ServiceEvent, StopKind, TaskState

# (pattern over reason texts, kind), first match wins; matched case-insensitively.
_RULES: tuple[tuple[str, StopKind], ...] = (
    (r"outofmemory|out of memory|oom ?kill", StopKind.oom),
    (r"cannotpullcontainer|pull image|pull access denied|manifest .*not found|"
     r"unable to pull|imagepull", StopKind.image_pull),
    (r"health ?checks?", StopKind.health_check),
    (r"cannotstartcontainer|cannotcreatecontainer|resourceinitializationerror|"
     r"cannotinspectcontainer|failed to start", StopKind.start_failure),
    (r"essential container .*exited", StopKind.essential_exit),
    (r"stopped by user|user ?initiated|task stopped by", StopKind.user_stop),
    (r"scaling activity initiated by .*deployment|deployment", StopKind.deployment),
    (r"scaling activity|scaled in|service scheduler", StopKind.scaling),
    (r"host ec2|instance .*(terminated|stopped)|spot|termination ?notice|"
     r"container instance (deregistration|draining)", StopKind.host),
)  # fmt: skip
_COMPILED = tuple((re.compile(p, re.IGNORECASE), k) for p, k in _RULES)
_STOP_CODES = {
    "UserInitiated": StopKind.user_stop,
    "SpotInterruption": StopKind.host,
    "TerminationNotice": StopKind.host,
    "TaskFailedToStart": StopKind.start_failure,
    "EssentialContainerExited": StopKind.essential_exit,
    "ServiceSchedulerInitiated": StopKind.scaling,
}
FAILURES = frozenset(
    {
        StopKind.oom,
        StopKind.image_pull,
        StopKind.health_check,
        StopKind.start_failure,
        StopKind.essential_exit,
    }
)


def stop_kind(
    stopped_reason: str, stop_code: str = "", container_reasons: Iterable[str] = ()
) -> StopKind:
    """Classify a stopped task; ``StopKind.none`` when it gives no reason at all."""
    for text in (*container_reasons, stopped_reason):
        for pattern, kind in _COMPILED:
            if text and pattern.search(text):
                return kind
    if stop_code in _STOP_CODES:
        return _STOP_CODES[stop_code]
    return StopKind.other if (stopped_reason or stop_code) else StopKind.none


_STARTED = re.compile(r"has started \d+ tasks?", re.IGNORECASE)
_UNSTABLE = re.compile(r"unable to consistently start tasks", re.IGNORECASE)
RECENT = dt.timedelta(minutes=15)


def crash_looping(
    *,
    desired: int,
    running: int,
    deployments: Sequence[DeploymentState],
    events: Sequence[ServiceEvent],
    stopped: Sequence[TaskState] = (),
    now: dt.datetime,
) -> bool:
    """Tasks keep dying: failed task counts, failing stops, or repeated starts below desired."""
    if desired == 0:
        return False
    if any(d.failed_tasks >= 2 and d.rollout_state != "COMPLETED" for d in deployments):
        return True
    recent = [e for e in events if e.at is None or now - e.at <= RECENT]
    if any(_UNSTABLE.search(e.message) for e in recent):
        return True
    if sum(1 for t in stopped if t.stop_kind in FAILURES and _recent(t.stopped_at, now)) >= 2:
        return True
    starts = sum(1 for e in recent if _STARTED.search(e.message))
    # A steady service that keeps starting tasks is replacing ones that die, even when
    # the replacements arrive fast enough that running == desired at every glance.
    rolling = len(deployments) > 1 or any(d.rollout_state == "IN_PROGRESS" for d in deployments)
    return starts >= 3 and (running < desired or not rolling)


def _recent(at: dt.datetime | None, now: dt.datetime) -> bool:
    return at is None or now - at <= RECENT
