"""The one definition of a settled ECS service: a pure function over what the gateways read.

A desiredCount change leaves the deployment ``COMPLETED`` at once and a forced deployment
keeps the task definition, so neither ``rolloutState`` nor the task definition alone says
a service is done. A service has settled when, all at once:

- its PRIMARY deployment is the only deployment left;
- that deployment (and the service) runs ``desiredCount`` tasks with none pending;
- every task the service wants running (desiredStatus RUNNING) is RUNNING (lastStatus), on
  the PRIMARY's task definition, and there are exactly ``desiredCount`` of them;
- no task told to stop is still on its way (DEACTIVATING, STOPPING: scale-in not done);
- where the service has target groups, every task's address is ``healthy`` in each of
  them, and no target of those groups is ``draining`` any more.

Every change's verify (through ``opskit.changes.waiting``), and so the CLI, the TUI, runbooks
and the journal's outcome, ask this function, and quote its ``line`` with the live numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TARGET_STATES = ("healthy", "initial", "unhealthy", "draining", "unavailable", "unused")


@dataclass(frozen=True)
class Settled:
    """Whether a service has settled, with the live numbers that say why (or why not)."""

    done: bool
    desired: int
    running: int
    pending: int
    task_definition: str = ""
    other_deployments: int = 0
    not_running: int = 0  # wanted tasks still PROVISIONING / PENDING / ACTIVATING
    old_tasks: int = 0  # wanted tasks on another task definition
    stopping: int = 0  # tasks told to stop that are not STOPPED yet
    unregistered: int = 0  # task addresses missing (or not healthy) in a target group
    targets: Mapping[str, int] = field(default_factory=dict)  # target state -> count

    @property
    def line(self) -> str:
        """``running 1/3, pending 2, 1 target initial, 1 draining`` (one line for people)."""
        on = f" on {self.task_definition}" if self.task_definition else ""
        parts = [f"running {self.running}/{self.desired}{on}"]
        if self.pending:
            parts.append(f"pending {self.pending}")
        if self.not_running:
            parts.append(f"{self.not_running} task(s) not RUNNING yet")
        if self.other_deployments:
            parts.append(f"{self.other_deployments} older deployment(s)")
        if self.old_tasks:
            parts.append(f"{self.old_tasks} old task(s)")
        if self.stopping:
            parts.append(f"{self.stopping} stopping")
        first = True
        for state in (*TARGET_STATES, *sorted(set(self.targets) - set(TARGET_STATES))):
            count = self.targets.get(state, 0)
            if count:
                noun = (" target" if count == 1 else " targets") if first else ""
                parts.append(f"{count}{noun} {state}")
                first = False
        if self.unregistered and not self.targets.get("initial"):
            parts.append(f"{self.unregistered} task(s) not yet healthy in their target group")
        return ", ".join(parts)


def short_td(arn: str) -> str:
    """``family:revision`` of a task definition ARN."""
    return arn.rsplit("/", 1)[-1]


def primary_of(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The PRIMARY deployment of a described service (None when it has none)."""
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def task_addresses(task: Mapping[str, Any]) -> set[str]:
    """The private IPv4 addresses of a described task (its awsvpc ENIs)."""
    found: set[str] = set()
    for attachment in task.get("attachments") or []:
        for detail in attachment.get("details") or []:
            if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                found.add(str(detail["value"]))
    for container in task.get("containers") or []:
        for eni in container.get("networkInterfaces") or []:
            if eni.get("privateIpv4Address"):
                found.add(str(eni["privateIpv4Address"]))
    return found


def counts_settled(service: Mapping[str, Any]) -> bool:
    """The cheap half, from DescribeServices alone: one deployment, its counts all in.

    When it is False the service has not settled, whatever its tasks say, so a waiter
    need not read them (it saves ListTasks and DescribeTasks on every poll of a rollout).
    """
    primary = primary_of(service)
    desired = int(service.get("desiredCount", 0))
    return (
        primary is not None
        and len(service.get("deployments", [])) == 1
        and int(primary.get("runningCount", 0)) == desired
        and int(primary.get("pendingCount", 0)) == 0
        and int(service.get("runningCount", desired)) == desired
    )


def settled(
    service: Mapping[str, Any],
    tasks: Sequence[Mapping[str, Any]] | None,
    target_health: Mapping[str, Sequence[Mapping[str, Any]]],
) -> Settled:
    """Has ``service`` settled? ``tasks``: its described tasks (wanted running, and those
    told to stop), or None when not read because ``counts_settled`` already says no;
    ``target_health``: DescribeTargetHealth descriptions per target group ARN of the
    service's load balancers (empty when it has none)."""
    primary = primary_of(service)
    desired = int(service.get("desiredCount", 0))
    if primary is None:
        return Settled(False, desired, int(service.get("runningCount", 0)), 0)
    running = int(primary.get("runningCount", 0))
    pending = int(primary.get("pendingCount", 0))
    td = str(primary.get("taskDefinition") or service.get("taskDefinition") or "")
    others = len(service.get("deployments", [])) - 1
    read = tasks is not None
    tasks = tasks or []
    wanted = [t for t in tasks if t.get("desiredStatus") != "STOPPED"]
    stopping = [
        t for t in tasks if t.get("desiredStatus") == "STOPPED" and t.get("lastStatus") != "STOPPED"
    ]
    old = [t for t in wanted if td and t.get("taskDefinitionArn") != td]
    not_running = [t for t in wanted if t.get("lastStatus") != "RUNNING"]
    states: Counter[str] = Counter()
    unregistered = 0
    for descriptions in target_health.values():
        by_id = {
            str(d["Target"]["Id"]): str(d["TargetHealth"]["State"])
            for d in descriptions
            if d.get("Target") and d.get("TargetHealth")
        }
        states.update(by_id.values())
        addressed = [task_addresses(t) for t in wanted]
        for addresses in addressed:
            if addresses and not any(by_id.get(a) == "healthy" for a in addresses):
                unregistered += 1
        bare = sum(1 for a in addressed if not a)  # bridge/host mode: instance targets
        if bare and list(by_id.values()).count("healthy") < len(wanted):
            unregistered += bare
    done = (
        read
        and others == 0
        and running == desired
        and int(primary.get("desiredCount", desired)) == desired
        and int(service.get("runningCount", running)) == desired
        and pending == 0
        and int(service.get("pendingCount", 0)) == 0
        and len(wanted) == desired
        and not old
        and not not_running
        and not stopping
        and unregistered == 0
        and states.get("draining", 0) == 0
    )
    return Settled(
        done=done,
        desired=desired,
        running=running,
        pending=pending,
        task_definition=short_td(td) if td else "",
        other_deployments=others,
        not_running=len(not_running),
        old_tasks=len(old),
        stopping=len(stopping),
        unregistered=unregistered,
        targets=dict(states),
    )
