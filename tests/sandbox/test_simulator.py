"""The simulator, over HTTP, in a sandbox of its own: deployments, rollbacks, scaling, crashes.

Each test works on its own service so the tests do not depend on their order. Sandbox
time runs 200× faster (a 300 s drain takes 1.5 s). The last section pins plain moto's ECS
(in-process, unpatched): if one fails after a moto upgrade, re-check simulator_hooks.py.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, TypeVar

import boto3
import pytest
from moto import mock_aws
from test_estate import Estate, estate, paged, running_tasks, task_ip

from opskit.config import Config, load_config
from sandbox.seed.plan import CANARY_PREFIX

__all__ = ["estate"]  # the private sandbox fixture, shared with test_estate
pytestmark = pytest.mark.xdist_group("estate-sandbox")  # test_estate's worker, after it

T = TypeVar("T")


@pytest.fixture(scope="module")
def config() -> Config:
    from test_estate import CONFIG

    return load_config(CONFIG)


def wait_for(check: Callable[[], T | None], timeout: float = 30.0, every: float = 0.1) -> T:
    """Poll until ``check`` returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {timeout} s: {check.__doc__ or check}")
        time.sleep(every)


def service(ecs: Any, cluster: str, name: str) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster=cluster, services=[name])["services"][0])


def new_revision(ecs: Any, family: str, tag: str) -> str:
    """A copy of the family's latest revision with another image tag; its ARN."""
    definition = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
    containers = definition["containerDefinitions"]
    containers[0]["image"] = containers[0]["image"].rsplit(":", 1)[0] + f":{tag}"
    keep = ("networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn")
    answer = ecs.register_task_definition(
        family=family, containerDefinitions=containers, **{k: definition[k] for k in keep}
    )
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def health(elb: Any, group: str) -> dict[str, str]:
    described = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return {h["Target"]["Id"]: h["TargetHealth"]["State"] for h in described}


def messages(svc: dict[str, Any]) -> list[str]:
    return [event["message"] for event in svc["events"]]


@pytest.mark.slow
def test_a_deployment_rolls_to_completed_and_drains_the_old_targets(estate: Estate) -> None:
    ecs, elb, logs = (estate.client(s, "dev") for s in ("ecs", "elbv2", "logs"))
    before = service(ecs, "api", "tracking")
    group = before["loadBalancers"][0]["targetGroupArn"]
    old_ips = {task_ip(t) for t in running_tasks(ecs, "api", "tracking")}
    revision = new_revision(ecs, "tracking", "3.7.2")
    answer = ecs.update_service(cluster="api", service="tracking", taskDefinition=revision)[
        "service"
    ]
    assert [(d["status"], d["rolloutState"]) for d in answer["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED")
    ]  # fmt: skip
    assert answer["deployments"][0]["taskDefinition"] == revision
    seen: set[str] = set()

    def completed() -> dict[str, Any] | None:
        """the deployment COMPLETED with the old targets gone"""
        seen.update(state for ip, state in health(elb, group).items() if ip in old_ips)
        now = service(ecs, "api", "tracking")
        done = now["deployments"][0]["rolloutState"] == "COMPLETED" and len(now["deployments"]) == 1
        return now if done else None

    after = wait_for(completed)
    assert "draining" in seen
    tasks = running_tasks(ecs, "api", "tracking")
    assert [t["taskDefinitionArn"] for t in tasks] == [revision] * before["desiredCount"]
    assert health(elb, group) == {task_ip(t): "healthy" for t in tasks}
    assert not old_ips & set(health(elb, group))
    events = messages(after)
    assert any("has begun draining connections on" in m for m in events)
    assert any("deployment completed" in m for m in events)
    stopped = paged(
        ecs,
        "list_tasks",
        "taskArns",
        cluster="api",
        serviceName="tracking",
        desiredStatus="STOPPED",
    )
    reasons = {
        t["stoppedReason"] for t in ecs.describe_tasks(cluster="api", tasks=stopped)["tasks"]
    }
    assert any(r.startswith("Scaling activity initiated by (deployment") for r in reasons)
    stream = f"ecs/tracking/{tasks[0]['taskArn'].split('/')[-1]}"
    lines = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/ecs/tracking", logStreamName=stream)["events"]
    ]
    assert "starting tracking 3.7.2" in lines[0]


def test_a_broken_image_fails_and_the_old_revision_keeps_serving(estate: Estate) -> None:
    ecs, elb = estate.client("ecs", "stage"), estate.client("elbv2", "stage")
    before = service(ecs, "app", "billing")
    serving = {t["taskArn"] for t in running_tasks(ecs, "app", "billing")}
    group = before["loadBalancers"][0]["targetGroupArn"]
    ecs.update_service(
        cluster="app", service="billing", taskDefinition=new_revision(ecs, "billing", "broken")
    )
    states: set[str] = set()

    def rolled_back() -> dict[str, Any] | None:
        """the circuit breaker FAILED the deployment and the rollback COMPLETED"""
        now = service(ecs, "app", "billing")
        states.update(d["rolloutState"] for d in now["deployments"])
        primary = now["deployments"][0]
        back = primary["taskDefinition"] == before["taskDefinition"]
        return now if back and primary["rolloutState"] == "COMPLETED" else None

    after = wait_for(rolled_back)
    assert "FAILED" in states
    assert after["taskDefinition"] == before["taskDefinition"]
    assert {t["taskArn"] for t in running_tasks(ecs, "app", "billing")} == serving
    assert set(health(elb, group).values()) <= {"healthy", "unhealthy"}
    events = messages(after)
    assert any("deployment failed: tasks failed to start" in m for m in events)
    assert any("rolling back to deployment" in m for m in events)
    stopped = paged(
        ecs, "list_tasks", "taskArns", cluster="app", serviceName="billing", desiredStatus="STOPPED"
    )
    broken = [
        t
        for t in ecs.describe_tasks(cluster="app", tasks=stopped)["tasks"]
        if t["containers"][0]["image"].endswith(":broken")
    ]
    exited = [t for t in broken if t["stopCode"] == "EssentialContainerExited"]
    assert len(exited) >= 3  # the circuit breaker's threshold
    assert {(t["stoppedReason"], t["containers"][0]["exitCode"]) for t in exited} == {
        ("Essential container in task exited", 1)
    }


def test_scaling_starts_and_stops_tasks_and_their_targets(estate: Estate) -> None:
    ecs, elb = estate.client("ecs", "prod"), estate.client("elbv2", "prod")
    group = service(ecs, "cdn", "cdn-edge")["loadBalancers"][0]["targetGroupArn"]
    for desired in (8, 3):
        ecs.update_service(cluster="cdn", service="cdn-edge", desiredCount=desired)

        def settled(count: int = desired) -> bool:
            """the desired count of running tasks, with healthy targets and no others"""
            tasks = running_tasks(ecs, "cdn", "cdn-edge")
            targets = health(elb, group)
            return len(tasks) == count and targets == {task_ip(t): "healthy" for t in tasks}

        wait_for(settled)
        now = service(ecs, "cdn", "cdn-edge")
        assert (now["desiredCount"], now["runningCount"], now["pendingCount"]) == (
            desired,
            desired,
            0,
        )
    events = messages(service(ecs, "cdn", "cdn-edge"))
    assert any("has started 2 tasks" in m for m in events)
    assert any("has begun draining connections on 5 tasks" in m for m in events)
    cluster = ecs.describe_clusters(clusters=["cdn"])["clusters"][0]
    wait_for(
        lambda: ecs.describe_clusters(clusters=["cdn"])["clusters"][0]["runningTasksCount"] == 3, 10
    )
    assert cluster["registeredContainerInstancesCount"] == 3


def test_a_forced_deployment_replaces_every_task(estate: Estate) -> None:
    ecs = estate.client("ecs", "dev")
    before = {t["taskArn"] for t in running_tasks(ecs, "app", "app-jobs")}
    answer = ecs.update_service(cluster="app", service="app-jobs", forceNewDeployment=True)[
        "service"
    ]
    assert len(answer["deployments"]) == 2
    assert answer["deployments"][0]["taskDefinition"] == answer["deployments"][1]["taskDefinition"]

    def replaced() -> bool:
        now = service(ecs, "app", "app-jobs")
        tasks = {t["taskArn"] for t in running_tasks(ecs, "app", "app-jobs")}
        return len(now["deployments"]) == 1 and bool(tasks) and not tasks & before

    wait_for(replaced)


def test_the_crash_looping_service_shows_stopped_tasks_with_reasons(estate: Estate) -> None:
    ecs, logs = estate.client("ecs", "dev"), estate.client("logs", "dev")

    def stopped() -> list[dict[str, Any]]:
        arns = paged(
            ecs,
            "list_tasks",
            "taskArns",
            cluster="app",
            serviceName="integrations",
            desiredStatus="STOPPED",
        )
        found = ecs.describe_tasks(cluster="app", tasks=arns[:100])["tasks"] if arns else []
        # As on ECS, a task told to stop passes DEACTIVATING and STOPPING before it is
        # STOPPED, and only then has a stoppedAt: look at those that got there.
        done = [t for t in found if t["lastStatus"] == "STOPPED"]
        return done if len(done) >= 2 else []

    tasks = wait_for(stopped, timeout=60)
    for task in tasks:
        container = task["containers"][0]
        assert task["stoppedReason"] == "Essential container in task exited"
        assert task["stopCode"] == "EssentialContainerExited"
        assert (container["exitCode"], container.get("reason")) in {
            (1, None), (137, "OutOfMemoryError: Container killed due to memory usage")
        }  # fmt: skip
        assert task["stoppedAt"] >= task["startedAt"]
    events = messages(service(ecs, "app", "integrations"))
    assert any("(service integrations) has started 1 tasks" in m for m in events)
    lines = []
    for task in tasks:
        stream = f"ecs/integrations/{task['taskArn'].split('/')[-1]}"
        lines += [
            e["message"]
            for e in logs.get_log_events(logGroupName="/ecs/integrations", logStreamName=stream)[
                "events"
            ]
        ]
    assert any(
        "Traceback (most recent call last):" in line or "memory usage at" in line for line in lines
    )
    assert not any(CANARY_PREFIX in line for line in lines)


def test_a_stopped_task_drains_and_is_replaced(estate: Estate) -> None:
    ecs, elb = estate.client("ecs", "dev"), estate.client("elbv2", "dev")
    group = service(ecs, "app", "app-web")["loadBalancers"][0]["targetGroupArn"]
    victim = running_tasks(ecs, "app", "app-web")[0]
    answer = ecs.stop_task(cluster="app", task=victim["taskArn"], reason="testing a stop")["task"]
    assert answer["desiredStatus"] == "STOPPED"
    assert health(elb, group).get(task_ip(victim)) == "draining"

    def replaced() -> bool:
        tasks = running_tasks(ecs, "app", "app-web")
        return len(tasks) == 1 and tasks[0]["taskArn"] != victim["taskArn"]

    wait_for(replaced)

    def stopped() -> dict[str, Any] | None:
        """the stopped task, STOPPED"""
        task = ecs.describe_tasks(cluster="app", tasks=[victim["taskArn"]])["tasks"][0]
        return task if task["lastStatus"] == "STOPPED" else None

    task = wait_for(stopped)
    assert (task["stoppedReason"], task["stopCode"]) == ("testing a stop", "UserInitiated")


def test_metrics_keep_arriving(estate: Estate) -> None:
    cloudwatch = estate.client("cloudwatch", "prod")
    started = dt.datetime.now(dt.UTC)

    def newer() -> bool:
        """a service CPU datapoint newer than the test's start"""
        now = dt.datetime.now(dt.UTC)
        dimensions = {"ClusterName": "api", "ServiceName": "api"}
        query = {
            "Namespace": "AWS/ECS",
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        }
        result = cloudwatch.get_metric_data(
            MetricDataQueries=[
                {"Id": "a", "MetricStat": {"Metric": query, "Period": 1, "Stat": "Maximum"}}
            ],
            StartTime=started,
            EndTime=now + dt.timedelta(seconds=1),
        )["MetricDataResults"][0]
        return bool(result["Timestamps"]) and all(0 < v <= 100 for v in result["Values"])

    wait_for(newer, timeout=30, every=1.0)


def test_target_health_moves_with_sandbox_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sandbox.seed import targets as estate_targets

    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])  # the clock targets.py reads
    monkeypatch.setitem(estate_targets._settings, "time_factor", 10.0)

    group = SimpleNamespace(
        health_check_interval_seconds=15,
        healthy_threshold_count="3",
        attributes={"deregistration_delay.timeout_seconds": "60"},
        targets={"10.0.0.1": {"Id": "10.0.0.1", "Port": 80}},
        deregistered_targets={},
    )
    estate_targets.registration_started(group, "10.0.0.1")
    assert estate_targets.state(group, "10.0.0.1") == "initial"
    clock[0] += 4.6  # 45 s of health checks at a factor of 10
    assert estate_targets.state(group, "10.0.0.1") == "healthy"
    estate_targets.set_unhealthy(group, "10.0.0.1", "Target.Timeout")
    assert estate_targets.current(group, "10.0.0.1").reason == "Target.Timeout"  # type: ignore[union-attr]
    estate_targets.start_draining(group, "10.0.0.1")
    assert estate_targets.state(group, "10.0.0.1") == "draining"
    clock[0] += 6.1  # the 60 s deregistration delay
    estate_targets.purge(group)
    assert estate_targets.state(group, "10.0.0.1") == "unused" and not group.targets


# -- plain moto, pinned (in-process, unpatched) ------------------------------------------------


# -- plain moto ECS, pinned (in-process, unpatched) -----------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from sandbox.simulator import hooks as simulator_hooks

    if simulator_hooks._installed:
        pytest.skip("the simulator's hooks are installed in this process")
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with mock_aws():
        yield lambda name: boto3.client(name, region_name="eu-west-1")


def test_moto_ecs_services_never_roll(aws: Any) -> None:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="c")
    for tag in ("1", "2"):
        ecs.register_task_definition(
            family="t", containerDefinitions=[{"name": "c", "image": f"i:{tag}", "memory": 64}]
        )
    created = ecs.create_service(
        cluster="c", serviceName="s", taskDefinition="t:1", desiredCount=2
    )["service"]
    assert (
        created["runningCount"] == 0 and created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    )
    before = created["deployments"][0]["id"]
    updated = ecs.update_service(cluster="c", service="s", taskDefinition="t", desiredCount=3)[
        "service"
    ]
    assert (
        len(updated["deployments"]) == 1 and updated["runningCount"] == 3
    )  # no deployment, no task
    assert updated["taskDefinition"] == "t"  # a family is not resolved to its latest revision
    forced = ecs.update_service(cluster="c", service="s", forceNewDeployment=True)["service"]
    assert len(forced["deployments"]) == 1 and forced["deployments"][0]["id"] != before  # renamed


def test_moto_tasks_start_running_and_move_on_every_describe(aws: Any) -> None:
    ecs, ec2 = aws("ecs"), aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    ecs.create_cluster(clusterName="c")
    document = json.dumps({"instanceId": instance["InstanceId"]})
    ecs.register_container_instance(cluster="c", instanceIdentityDocument=document)
    ecs.register_task_definition(
        family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}]
    )
    task = ecs.run_task(cluster="c", taskDefinition="t")["tasks"][0]
    assert task["lastStatus"] == "RUNNING" and "startedAt" not in task and "createdAt" not in task
    described = ecs.describe_tasks(cluster="c", tasks=[task["taskArn"]])["tasks"][0]
    assert described["lastStatus"] == "DEACTIVATING"


def test_moto_target_health_is_only_healthy_and_keyed_by_id(aws: Any) -> None:
    ec2, elb = aws("ec2"), aws("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elb.create_target_group(Name="g", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(
        TargetGroupArn=arn, Targets=[{"Id": "10.0.0.9", "Port": 80}, {"Id": "10.0.0.9", "Port": 81}]
    )
    health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert [(h["Target"]["Port"], h["TargetHealth"]["State"]) for h in health] == [(81, "healthy")]
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.0.9", "Port": 81}])
    assert (
        elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] == []
    )  # no draining
