"""AWS response shapes -> model values. Pure functions, no calls, tested without AWS.

Task-definition environment variables are reduced to their names here, so a value never
leaves this module (nor reaches the model, a screen or a log).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from opskit.estate.classify import stop_kind
from opskit.estate.model import (
    ContainerDefinition,
    ContainerState,
    DeploymentState,
    DnsRecord,
    InstanceState,
    LoadBalancerBinding,
    LoadBalancerState,
    ServiceEvent,
    StopKind,
    TargetGroupState,
    TargetState,
    TaskDefinitionState,
    TaskState,
    image_tag,
)

AwsDict = Mapping[str, Any]


def arn_name(arn: str) -> str:
    """The last path segment of an ARN (service, task, container instance, cluster name)."""
    return arn.rsplit("/", 1)[-1]


def family_revision(task_definition_arn: str) -> str:
    """``family:revision`` of a task definition ARN (or the input, when already short)."""
    return arn_name(task_definition_arn)


def when(value: Any) -> dt.datetime | None:
    """A timezone-aware datetime from botocore's datetime, an ISO string or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def task(raw: AwsDict) -> TaskState:
    containers = tuple(
        ContainerState(
            name=c.get("name", ""),
            image=c.get("image", ""),
            tag=image_tag(c.get("image", "")) if c.get("image") else "",
            last_status=c.get("lastStatus", ""),
            exit_code=c.get("exitCode")
            if "STOPPED" in (c.get("lastStatus"), raw.get("lastStatus"))
            else None,
            reason=c.get("reason", ""),
            health=c.get("healthStatus", "UNKNOWN"),
        )
        for c in raw.get("containers", [])
    )
    reason = raw.get("stoppedReason", "") or ""
    code = raw.get("stopCode", "") or ""
    stopped = raw.get("lastStatus") == "STOPPED" or raw.get("desiredStatus") == "STOPPED"
    group = raw.get("group", "") or ""
    return TaskState(
        arn=raw["taskArn"],
        id=arn_name(raw["taskArn"]),
        service=group.split(":", 1)[1] if group.startswith("service:") else "",
        task_definition=family_revision(raw.get("taskDefinitionArn", "")),
        last_status=raw.get("lastStatus", ""),
        desired_status=raw.get("desiredStatus", ""),
        health=raw.get("healthStatus", "UNKNOWN"),
        started_at=when(raw.get("startedAt")),
        stopped_at=when(raw.get("stoppedAt")),
        stop_code=code,
        stopped_reason=reason,
        stop_kind=stop_kind(reason, code, [c.reason for c in containers])
        if stopped
        else StopKind.none,
        container_instance=arn_name(raw.get("containerInstanceArn", "") or ""),
        containers=containers,
        group=group,
        started_by=raw.get("startedBy", "") or "",
    )


def deployment(raw: AwsDict) -> DeploymentState:
    return DeploymentState(
        id=raw.get("id", ""),
        status=raw.get("status", ""),
        task_definition=family_revision(raw.get("taskDefinition", "")),
        rollout_state=raw.get("rolloutState", "") or "",
        rollout_reason=raw.get("rolloutStateReason", "") or "",
        desired=int(raw.get("desiredCount", 0)),
        running=int(raw.get("runningCount", 0)),
        pending=int(raw.get("pendingCount", 0)),
        failed_tasks=int(raw.get("failedTasks", 0)),
        created_at=when(raw.get("createdAt")),
        updated_at=when(raw.get("updatedAt")),
    )


def events(raw: Iterable[AwsDict], limit: int) -> tuple[ServiceEvent, ...]:
    """The newest ``limit`` service events, newest first."""
    items = [ServiceEvent(when(e.get("createdAt")), e.get("message", "")) for e in raw]
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    items.sort(key=lambda e: e.at or epoch, reverse=True)
    return tuple(items[:limit])


def bindings(raw: AwsDict) -> tuple[LoadBalancerBinding, ...]:
    return tuple(
        LoadBalancerBinding(
            target_group_arn=lb.get("targetGroupArn", ""),
            container_name=lb.get("containerName", ""),
            container_port=int(lb.get("containerPort", 0)),
        )
        for lb in raw.get("loadBalancers", [])
        if lb.get("targetGroupArn")
    )


def _resources(items: Any) -> dict[str, int]:
    return {r["name"]: int(r.get("integerValue", 0)) for r in items or [] if "name" in r}


def instance(raw: AwsDict) -> InstanceState:
    registered = _resources(raw.get("registeredResources"))
    remaining = _resources(raw.get("remainingResources"))
    attributes = {a["name"]: a.get("value", "") for a in raw.get("attributes", []) or []}
    return InstanceState(
        id=arn_name(raw["containerInstanceArn"]),
        arn=raw["containerInstanceArn"],
        ec2_instance_id=raw.get("ec2InstanceId", ""),
        instance_type=attributes.get("ecs.instance-type", ""),
        status=raw.get("status", ""),
        agent_connected=bool(raw.get("agentConnected", False)),
        cpu_registered=registered.get("CPU", 0),
        cpu_remaining=remaining.get("CPU", 0),
        memory_registered=registered.get("MEMORY", 0),
        memory_remaining=remaining.get("MEMORY", 0),
        running_tasks=int(raw.get("runningTasksCount", 0)),
        pending_tasks=int(raw.get("pendingTasksCount", 0)),
    )


def target_group(raw: AwsDict, region: str) -> TargetGroupState:
    return TargetGroupState(
        arn=raw["TargetGroupArn"],
        name=raw.get("TargetGroupName", ""),
        port=raw.get("Port"),
        protocol=raw.get("Protocol", ""),
        health_check_path=raw.get("HealthCheckPath", "") or "",
        load_balancer_arns=tuple(raw.get("LoadBalancerArns", [])),
        region=region,
    )


def target(raw: AwsDict) -> TargetState:
    health = raw.get("TargetHealth", {})
    spot = raw.get("Target", {})
    return TargetState(
        id=spot.get("Id", ""),
        port=int(spot.get("Port", 0)),
        state=health.get("State", ""),
        reason=health.get("Reason", "") or "",
        description=health.get("Description", "") or "",
    )


def load_balancer(raw: AwsDict, region: str) -> LoadBalancerState:
    return LoadBalancerState(
        arn=raw["LoadBalancerArn"],
        name=raw.get("LoadBalancerName", ""),
        dns_name=raw.get("DNSName", ""),
        type=raw.get("Type", ""),
        scheme=raw.get("Scheme", ""),
        state=(raw.get("State") or {}).get("Code", ""),
        region=region,
    )


def dns_host(name: str) -> str:
    """A DNS name compared loosely: lower case, no trailing dot, no ``dualstack.``."""
    host = name.lower().rstrip(".")
    return host.removeprefix("dualstack.")


def dns_record(raw: AwsDict, zone: str, lb_by_host: Mapping[str, str]) -> DnsRecord:
    """A record set; ``load_balancer`` names the balancer it points at, if one of ours."""
    alias = (raw.get("AliasTarget") or {}).get("DNSName", "")
    values = tuple(r.get("Value", "") for r in raw.get("ResourceRecords", []) or [])
    pointed = [lb_by_host.get(dns_host(v), "") for v in (alias, *values) if v]
    return DnsRecord(
        zone=zone.rstrip("."),
        name=raw.get("Name", "").rstrip("."),
        type=raw.get("Type", ""),
        values=values,
        alias_target=alias.rstrip("."),
        set_identifier=raw.get("SetIdentifier", "") or "",
        weight=raw.get("Weight"),
        ttl=raw.get("TTL"),
        load_balancer=next((p for p in pointed if p), ""),
    )


def task_definition(raw: AwsDict) -> TaskDefinitionState:
    containers = []
    for c in raw.get("containerDefinitions", []):
        logs = c.get("logConfiguration") or {}
        options = logs.get("options", {}) if logs.get("logDriver") == "awslogs" else {}
        check = (c.get("healthCheck") or {}).get("command", [])
        containers.append(
            ContainerDefinition(
                name=c.get("name", ""),
                image=c.get("image", ""),
                tag=image_tag(c.get("image", "")),
                cpu=int(c.get("cpu", 0) or 0),
                memory=c.get("memory"),
                essential=bool(c.get("essential", True)),
                ports=tuple(int(p["containerPort"]) for p in c.get("portMappings", [])),
                env_names=tuple(sorted(e["name"] for e in c.get("environment", []))),
                secret_names=tuple(sorted(s["name"] for s in c.get("secrets", []))),
                health_check=tuple(check),
                log_group=options.get("awslogs-group", ""),
                log_stream_prefix=options.get("awslogs-stream-prefix", ""),
                log_region=options.get("awslogs-region", ""),
            )
        )
    return TaskDefinitionState(
        arn=raw.get("taskDefinitionArn", ""),
        family=raw.get("family", ""),
        revision=int(raw.get("revision", 0)),
        cpu=str(raw.get("cpu", "") or ""),
        memory=str(raw.get("memory", "") or ""),
        containers=tuple(containers),
    )
