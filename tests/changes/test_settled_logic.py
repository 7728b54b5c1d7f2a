"""The one definition of settled, over AWS's own shapes (DescribeServices, DescribeTasks,
DescribeTargetHealth as documented in the ECS and ELBv2 API references)."""

from __future__ import annotations

from typing import Any

import pytest

from opskit.changes.settled import settled

TD = "arn:aws:ecs:eu-west-1:222222222222:task-definition/api:13"
OLD_TD = "arn:aws:ecs:eu-west-1:222222222222:task-definition/api:12"
GROUP = "arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/api/0123456789abcdef"


def service(desired: int = 3, running: int = 3, pending: int = 0, **more: Any) -> dict[str, Any]:
    primary = {
        "id": "ecs-svc/1111",
        "status": "PRIMARY",
        "taskDefinition": TD,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "rolloutState": "COMPLETED",  # what a desiredCount change leaves behind at once
    }
    return {
        "serviceName": "api",
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "taskDefinition": TD,
        "deployments": [primary, *more.pop("older", [])],
        "loadBalancers": [{"targetGroupArn": GROUP, "containerName": "api", "containerPort": 80}],
        **more,
    }


def task(ip: str, last: str = "RUNNING", desired: str = "RUNNING", td: str = TD) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:eu-west-1:222222222222:task/api/{ip.replace('.', '')}",
        "taskDefinitionArn": td,
        "lastStatus": last,
        "desiredStatus": desired,
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "details": [{"name": "privateIPv4Address", "value": ip}],
            }
        ],
    }


def health(**states: str) -> dict[str, list[dict[str, Any]]]:
    """Target id (10_0_0_1 -> 10.0.0.1) -> state, as DescribeTargetHealth lists them."""
    return {
        GROUP: [
            {"Target": {"Id": ip.replace("_", "."), "Port": 80}, "TargetHealth": {"State": state}}
            for ip, state in states.items()
        ]
    }


IPS = ("10.0.0.1", "10.0.0.2", "10.0.0.3")
STEADY_TASKS = [task(ip) for ip in IPS]
STEADY_HEALTH = health(**{ip.replace(".", "_"): "healthy" for ip in IPS})


def test_a_steady_service_has_settled() -> None:
    now = settled(service(), STEADY_TASKS, STEADY_HEALTH)
    assert now.done
    assert now.line == "running 3/3 on api:13, 3 targets healthy"


@pytest.mark.parametrize(
    ("svc", "tasks", "targets", "says"),
    [
        # scale 1 -> 3 right after UpdateService: COMPLETED, yet 2 tasks still starting
        (
            service(running=1, pending=2),
            [task("10.0.0.1"), task("10.0.0.2", "PROVISIONING"), task("10.0.0.3", "PENDING")],
            health(**{"10_0_0_1": "healthy"}),
            "running 1/3 on api:13, pending 2, 2 task(s) not RUNNING yet, 1 target healthy",
        ),
        # every task RUNNING, two targets still in their health checks
        (
            service(),
            STEADY_TASKS,
            health(**{"10_0_0_1": "healthy", "10_0_0_2": "initial", "10_0_0_3": "initial"}),
            "running 3/3 on api:13, 1 target healthy, 2 initial",
        ),
        # scale 3 -> 1: counts already right, the extra targets still draining
        (
            service(desired=1, running=1),
            [task("10.0.0.1"), task("10.0.0.2", "DEACTIVATING", "STOPPED")],
            health(**{"10_0_0_1": "healthy", "10_0_0_2": "draining", "10_0_0_3": "draining"}),
            "running 1/1 on api:13, 1 stopping, 1 target healthy, 2 draining",
        ),
        # a restart (same task definition): the old deployment still has a task
        (
            service(older=[{"id": "ecs-svc/0", "status": "ACTIVE", "taskDefinition": TD}]),
            [*STEADY_TASKS, task("10.0.0.4")],
            health(**{"10_0_0_1": "healthy", "10_0_0_2": "healthy", "10_0_0_3": "healthy"}),
            "1 older deployment(s)",
        ),
        # a deploy whose old task is still wanted
        (
            service(),
            [*STEADY_TASKS[:2], task("10.0.0.3", td=OLD_TD)],
            STEADY_HEALTH,
            "1 old task(s)",
        ),
        # a task RUNNING but never registered in the target group
        (
            service(),
            STEADY_TASKS,
            health(**{"10_0_0_1": "healthy", "10_0_0_2": "healthy"}),
            "1 task(s) not yet healthy in their target group",
        ),
        # an unhealthy target
        (
            service(),
            STEADY_TASKS,
            health(**{"10_0_0_1": "healthy", "10_0_0_2": "healthy", "10_0_0_3": "unhealthy"}),
            "2 targets healthy, 1 unhealthy",
        ),
    ],
)
def test_not_settled_yet(
    svc: dict[str, Any],
    tasks: list[dict[str, Any]],
    targets: dict[str, list[dict[str, Any]]],
    says: str,
) -> None:
    now = settled(svc, tasks, targets)
    assert not now.done
    assert says in now.line, now.line


def test_a_service_without_load_balancers_settles_on_tasks_alone() -> None:
    bare = {**service(desired=2, running=2), "loadBalancers": []}
    assert settled(bare, [task("10.0.0.1"), task("10.0.0.2")], {}).done
    stopping = [task("10.0.0.1"), task("10.0.0.2"), task("10.0.0.3", "STOPPING", "STOPPED")]
    assert not settled(bare, stopping, {}).done
    stopped = [task("10.0.0.1"), task("10.0.0.2"), task("10.0.0.3", "STOPPED", "STOPPED")]
    assert settled(bare, stopped, {}).done


def test_no_primary_deployment_is_not_settled() -> None:
    assert not settled({"desiredCount": 0, "deployments": []}, [], {}).done


def test_counts_alone_can_say_not_yet_but_never_settled() -> None:
    from opskit.changes.settled import counts_settled

    starting = service(running=1, pending=2)
    assert not counts_settled(starting)
    unread = settled(starting, None, health(**{"10_0_0_1": "healthy", "10_0_0_2": "initial"}))
    assert not unread.done
    assert unread.line == "running 1/3 on api:13, pending 2, 1 target healthy, 1 initial"
    assert counts_settled(service())
    assert not settled(service(), None, STEADY_HEALTH).done  # tasks unread: not proven
    older = [{"id": "ecs-svc/0", "status": "ACTIVE", "taskDefinition": OLD_TD}]
    assert not counts_settled(service(older=older))
