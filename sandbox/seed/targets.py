"""Target health as an ALB reports it, which moto (only ever ``healthy``) cannot.

A patch on moto's ELBv2 target groups (``install``), pinned to moto 5.2.5 by
tests/sandbox/test_estate.py. Every target carries a health record whose state moves by
itself with time, so nobody has to tick it:

- RegisterTargets -> ``initial`` (Elb.RegistrationInProgress) for health-check interval ×
  healthy threshold, then ``healthy``;
- DeregisterTargets -> ``draining`` (Target.DeregistrationInProgress) for the target
  group's ``deregistration_delay.timeout_seconds`` at that moment, then the target is gone
  (moto would drop it at once, and DescribeTargetHealth would never show it draining);
- the simulator may turn a target ``unhealthy`` (with AWS's reason codes) and back.

Sandbox time: every duration is divided by the time factor (``configure``), so a 300 s
drain takes 15 s at the default factor of 20.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

_settings = {"time_factor": 1.0}
_installed = False

INITIAL = ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
UNUSED = ("unused", "Target.NotRegistered", "Target is not registered to the target group")
UNHEALTHY_REASONS = {
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [502]",
    "Target.Timeout": "Request timed out",
    "Target.FailedHealthChecks": "Health checks failed",
}


@dataclass
class Health:
    """One target's health: ``state`` until ``until`` (epoch seconds), then ``then``."""

    state: str
    reason: str | None = None
    description: str | None = None
    until: float | None = None
    then: str | None = None  # "healthy" or "gone"


def configure(time_factor: float) -> None:
    """Sandbox time runs ``time_factor`` times faster than the durations AWS uses."""
    _settings["time_factor"] = max(1.0, float(time_factor))


def scaled(seconds: float) -> float:
    """``seconds`` of AWS time in real seconds."""
    return seconds / _settings["time_factor"]


def install() -> None:
    """Patch moto's target groups (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.elbv2.models import ELBv2Backend, FakeTargetGroup

    original_register = FakeTargetGroup.register
    original_describe = ELBv2Backend.describe_target_health

    def register(self: Any, targets: list[dict[str, Any]]) -> None:
        original_register(self, targets)
        for target in targets:
            registration_started(self, target["Id"])

    def deregister(self: Any, targets: list[dict[str, Any]]) -> None:
        from moto.elbv2.exceptions import InvalidTargetError

        for target in targets:
            if target["Id"] not in self.targets:
                raise InvalidTargetError()
        for target in targets:
            start_draining(self, target["Id"])

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        from moto.elbv2.models import FakeHealthStatus

        registered = self.targets.get(target["Id"])
        port = (registered or target).get("Port", self.port)
        health = current(self, target["Id"])
        if health is None or registered is None:
            state, reason, description = UNUSED
            return FakeHealthStatus(
                target["Id"], port, self.health_check_port, state, reason, description
            )
        return FakeHealthStatus(
            target["Id"],
            port,
            self.health_check_port,
            health.state,
            health.reason,
            health.description,
        )

    def describe_target_health(self: Any, target_group_arn: str, targets: list[Any]) -> Any:
        group = self.target_groups.get(target_group_arn)
        if group is not None:
            purge(group)
        return original_describe(self, target_group_arn, targets)

    setattr(FakeTargetGroup, "register", register)  # noqa: B010
    setattr(FakeTargetGroup, "deregister", deregister)  # noqa: B010
    setattr(FakeTargetGroup, "health_for", health_for)  # noqa: B010
    setattr(ELBv2Backend, "describe_target_health", describe_target_health)  # noqa: B010
    _installed = True


def _records(group: Any) -> dict[str, Health]:
    records: dict[str, Health] | None = getattr(group, "_opskit_health", None)
    if records is None:
        records = {}
        group._opskit_health = records
    return records


def registration_started(group: Any, target_id: str) -> None:
    """A target was registered: ``initial`` until enough health checks passed."""
    checks = int(group.health_check_interval_seconds) * int(group.healthy_threshold_count)
    state, reason, description = INITIAL
    _records(group)[target_id] = Health(
        state, reason, description, until=time.time() + scaled(checks), then="healthy"
    )


def register_healthy(group: Any, target_id: str, port: int) -> None:
    """Register a target that is already healthy (the seeded estate's steady state)."""
    targets = dict(group.targets)
    targets[target_id] = {"Id": target_id, "Port": port}
    group.targets = targets
    _records(group)[target_id] = Health("healthy")


def start_draining(group: Any, target_id: str) -> None:
    """Deregistration: ``draining`` for the group's deregistration delay, then gone."""
    if target_id not in group.targets:
        return
    current_health = current(group, target_id)
    if current_health is not None and current_health.state == "draining":
        return
    delay = float(group.attributes.get("deregistration_delay.timeout_seconds", 300))
    state, reason, description = DRAINING
    _records(group)[target_id] = Health(
        state, reason, description, until=time.time() + scaled(delay), then="gone"
    )


def set_unhealthy(group: Any, target_id: str, reason: str) -> None:
    """A health check started failing (``reason``: a key of UNHEALTHY_REASONS)."""
    if target_id in group.targets:
        _records(group)[target_id] = Health("unhealthy", reason, UNHEALTHY_REASONS[reason])


def set_healthy(group: Any, target_id: str) -> None:
    if target_id in group.targets:
        _records(group)[target_id] = Health("healthy")


def current(group: Any, target_id: str) -> Health | None:
    """The target's health now (a timed state that has run out has moved on)."""
    health = _records(group).get(target_id)
    if health is None:
        return Health("healthy") if target_id in group.targets else None
    if health.until is not None and time.time() >= health.until:
        if health.then == "healthy":
            health = Health("healthy")
            _records(group)[target_id] = health
        elif health.then == "gone":
            _forget(group, target_id)
            return None
    return health


def state(group: Any, target_id: str) -> str:
    """``initial``, ``healthy``, ``unhealthy``, ``draining`` or ``unused``."""
    health = current(group, target_id)
    return "unused" if health is None else health.state


def purge(group: Any) -> None:
    """Drop targets whose draining has finished."""
    for target_id, health in list(_records(group).items()):
        if health.then == "gone" and health.until is not None and time.time() >= health.until:
            _forget(group, target_id)


def _forget(group: Any, target_id: str) -> None:
    targets = dict(group.targets)
    gone = targets.pop(target_id, None)
    group.targets = targets
    if gone is not None:
        group.deregistered_targets[target_id] = gone
    _records(group).pop(target_id, None)


def draining_left(group: Any, target_id: str) -> float:
    """Real seconds until a draining target is gone (0 if it is not draining)."""
    health = _records(group).get(target_id)
    if health is None or health.state != "draining" or health.until is None:
        return 0.0
    return max(0.0, health.until - time.time())


def healthy_at(group: Any, target_id: str) -> float:
    """Real seconds until a target in ``initial`` passes its health checks (0 if it has)."""
    health = _records(group).get(target_id)
    if health is None or health.state != "initial" or health.until is None:
        return 0.0
    return max(0.0, health.until - time.time())
