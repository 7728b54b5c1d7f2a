"""One task's life, in sandbox time: launch, pull, run, register, drain, stop, be forgotten.

PROVISIONING (ENI attached, ``PROVISION_S``) -> PENDING (image pull, ``PULL_S``) ->
RUNNING: start-up lines logged; the target registers (``initial`` until its health checks
pass). A ``:broken`` image exits a moment later (exit code 1); a ``:crashloop…`` one runs healthy
for twenty-odd (sandbox) minutes, then crashes; the crash-looping service's
tasks run a few minutes, then die of a stack trace (exit 1) or of memory (exit 137,
"OutOfMemoryError: Container killed due to memory usage"). Stopping a task with a target
drains it first (DEACTIVATING for the target group's deregistration delay), then STOPPING,
then STOPPED: the host gets its CPU and memory back and the ENI is deleted.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from sandbox.seed import targets as estate_targets
from sandbox.seed.logs import crash_lines, sidecar_startup, startup_lines, write
from sandbox.seed.tasks import (
    begin_stop,
    choose_host,
    create_task,
    finish_stop,
    mark_pending,
    mark_running,
)
from sandbox.simulator import events as simulator_events
from sandbox.simulator import health
from sandbox.simulator.model import ServiceSim, TaskSim, refresh_counts
from sandbox.simulator.scheduler import Scheduler

PROVISION_S = 4
PULL_S = 12
BROKEN_EXIT_S = 3
STOPPING_S = 5
CRASH_AFTER_S = (120, 600)
LATE_CRASH_AFTER_S = (1200, 1500)  # a :crashloop image: after its rollout has settled
MIN_CRASH_REAL_S = 3.0
PLACEMENT_WARNING_EVERY_S = 60.0
ESSENTIAL_EXITED = "Essential container in task exited"
OUT_OF_MEMORY = "OutOfMemoryError: Container killed due to memory usage"


class Runtime(Protocol):
    """What the lifecycle needs from the simulator."""

    scheduler: Scheduler

    def reconcile_soon(self, svc: ServiceSim, delay_s: float = 0.0) -> None: ...

    def write_logs(self, svc: ServiceSim, ts: TaskSim, lines: list[tuple[float, str]]) -> None: ...

    def log_source(self, svc: ServiceSim, task: Any) -> Any: ...

    def running_changed(self, svc: ServiceSim, ts: TaskSim, running: bool) -> None: ...

    def task_stopped(self, svc: ServiceSim, ts: TaskSim) -> None: ...


def is_broken(image: str | None) -> bool:
    """An image whose tag says it cannot start (``:broken``)."""
    return bool(image) and "broken" in str(image).rsplit(":", 1)[-1]


def launch(rt: Runtime, svc: ServiceSim, deployment: dict[str, Any]) -> TaskSim | None:
    """Place and start one task of ``deployment``; None (and an event) if nothing fits."""
    account = svc.account
    ecs = account.ecs
    task_definition = ecs.describe_task_definition(deployment["taskDefinition"])
    requirements = ecs._calculate_task_resource_requirements(task_definition)
    cpu, memory = int(requirements["CPU"]), int(requirements["MEMORY"] or 0)
    per_host: dict[str, int] = {}
    for live in svc.live_tasks():
        if live.host is not None:
            per_host[live.host.arn] = per_host.get(live.host.arn, 0) + 1
    hosts = account.hosts.get(svc.cluster, [])
    host = choose_host(hosts, cpu, memory, per_host)
    if host is None:
        now = time.time()
        if hosts and now - svc.placement_warned_at > PLACEMENT_WARNING_EVERY_S:
            svc.placement_warned_at = now
            closest = max(hosts, key=lambda h: h.free("MEMORY"))
            short = "CPU units" if closest.free("CPU") < cpu else "memory"
            simulator_events.unable_to_place(svc.service, closest.arn.split("/")[-1], short)
        return None
    pool = account.pools.get(host.subnet_id)
    awsvpc = task_definition.network_mode == "awsvpc"
    address = pool.take() if awsvpc and pool is not None else None
    task = create_task(
        ecs=ecs,
        cluster_name=svc.cluster,
        task_definition=task_definition,
        host=host,
        address=address,
        security_group=svc.security_group,
        group=f"service:{svc.name}",
        started_by=deployment["id"],
    )
    ts = TaskSim(task=task, deployment=deployment["id"], host=host, address=address)
    tasks = dict(svc.tasks)
    tasks[task.task_arn] = ts
    svc.tasks = tasks
    rt.scheduler.at(rt.scheduler.scaled(PROVISION_S), lambda: _pull(rt, svc, ts))
    return ts


def _pull(rt: Runtime, svc: ServiceSim, ts: TaskSim) -> None:
    if ts.status != "PROVISIONING" or ts.task.desired_status == "STOPPED":
        return
    mark_pending(ts.task)
    refresh_counts(svc)
    rt.scheduler.at(rt.scheduler.scaled(PULL_S), lambda: _run(rt, svc, ts))


def _run(rt: Runtime, svc: ServiceSim, ts: TaskSim) -> None:
    if ts.status != "PENDING" or ts.task.desired_status == "STOPPED":
        return
    scheduler = rt.scheduler
    mark_running(ts.task)
    refresh_counts(svc)
    rt.running_changed(svc, ts, True)
    source = rt.log_source(svc, ts.task)
    broken = is_broken(ts.task.containers[0].image)
    rt.write_logs(svc, ts, startup_lines(source, time.time(), broken))
    definition = svc.account.ecs.describe_task_definition(ts.task.task_definition_arn)
    for log_group, stream, lines in sidecar_startup(definition, ts.task.id, time.time()):
        write(svc.account.logs, log_group, stream, lines)  # each sidecar's own stream
    if broken:
        scheduler.at(scheduler.scaled(BROKEN_EXIT_S), lambda: exited(rt, svc, ts, 1, None))
        rt.reconcile_soon(svc)
        return
    group = svc.target_group
    port = svc.container_port
    if group is not None and port is not None and ts.address:
        group.register([{"Id": ts.address, "Port": port}])
        ts.target = True
        svc.just_registered += 1
        rt.reconcile_soon(svc, estate_targets.healthy_at(group, ts.address) + 0.05)
    else:
        ts.healthy_once = True
        rt.reconcile_soon(svc)
    if svc.crash_loops:
        schedule_crash(rt, svc, ts)
    elif crashes_later(ts.task.containers[0].image):
        schedule_crash(rt, svc, ts, LATE_CRASH_AFTER_S)


def crashes_later(image: str | None) -> bool:
    """An image whose tag says it starts, passes its health checks, then crashes
    (``:crashloop…``): what a bake gate exists to catch."""
    return bool(image) and "crashloop" in str(image).rsplit(":", 1)[-1]


def schedule_crash(
    rt: Runtime, svc: ServiceSim, ts: TaskSim, after_s: tuple[float, float] = CRASH_AFTER_S
) -> None:
    """The crash-looping service's task dies a few (sandbox) minutes from now."""
    scheduler = rt.scheduler
    low, high = after_s
    after = max(MIN_CRASH_REAL_S, scheduler.scaled(scheduler.rng.uniform(low, high)))
    scheduler.at(after, lambda: _crash(rt, svc, ts))


def _crash(rt: Runtime, svc: ServiceSim, ts: TaskSim) -> None:
    if ts.status != "RUNNING" or ts.task.desired_status == "STOPPED":
        return
    out_of_memory = rt.scheduler.rng.random() < 0.5
    rt.write_logs(svc, ts, crash_lines(rt.log_source(svc, ts.task), time.time(), out_of_memory))
    svc.crashes += 1
    if out_of_memory:
        exited(rt, svc, ts, 137, OUT_OF_MEMORY)
    else:
        exited(rt, svc, ts, 1, None)
    if svc.crashes % 3 == 0:
        simulator_events.unable_to_start(svc.service)


def exited(rt: Runtime, svc: ServiceSim, ts: TaskSim, exit_code: int, reason: str | None) -> None:
    """The essential container exited on its own: the task stops and is replaced."""
    if ts.task.desired_status == "STOPPED":
        return
    health.task_exited(svc.account.account_id, svc.cluster, svc.name)
    ts.failed = not ts.healthy_once
    if ts.failed:
        for deployment in svc.service.deployments:
            if deployment["id"] == ts.deployment:
                simulator_events.touch(deployment, failedTasks=deployment.get("failedTasks", 0) + 1)
    begin_stop(
        ts.task,
        reason=ESSENTIAL_EXITED,
        stop_code="EssentialContainerExited",
        exit_code=exit_code,
        container_reason=reason,
    )
    _untarget(svc, ts)
    refresh_counts(svc)
    rt.running_changed(svc, ts, False)
    rt.scheduler.at(rt.scheduler.scaled(1), lambda: finish(rt, svc, ts))
    rt.reconcile_soon(svc)


def stop(rt: Runtime, svc: ServiceSim, ts: TaskSim, reason: str, stop_code: str) -> bool:
    """Stop a task as ECS does: drain its target first. True if it drains."""
    if ts.task.desired_status == "STOPPED":
        return False
    scheduler = rt.scheduler
    group = svc.target_group
    drains = ts.target and group is not None and ts.status == "RUNNING"
    begin_stop(ts.task, reason=reason, stop_code=stop_code, draining=drains)
    refresh_counts(svc)
    rt.running_changed(svc, ts, False)
    if drains and group is not None and ts.address:
        estate_targets.start_draining(group, ts.address)
        ts.target = False
        left = estate_targets.draining_left(group, ts.address)
        scheduler.at(left + 0.01, lambda: _stopping(rt, svc, ts))
        return True
    _untarget(svc, ts)
    scheduler.at(scheduler.scaled(STOPPING_S), lambda: finish(rt, svc, ts))
    return False


def _stopping(rt: Runtime, svc: ServiceSim, ts: TaskSim) -> None:
    if ts.status == "STOPPED":
        return
    ts.task.last_status = "STOPPING"
    svc.just_stopped.append(ts.short_id)
    rt.scheduler.at(rt.scheduler.scaled(STOPPING_S), lambda: finish(rt, svc, ts))


def _untarget(svc: ServiceSim, ts: TaskSim) -> None:
    group = svc.target_group
    if ts.target and group is not None and ts.address:
        estate_targets.start_draining(group, ts.address)
        simulator_events.deregistered(svc.service, 1, group.arn)
    ts.target = False


def finish(rt: Runtime, svc: ServiceSim, ts: TaskSim) -> None:
    """STOPPED: resources back to the host, address back to the pool."""
    if ts.status == "STOPPED":
        return
    finish_stop(svc.account.ecs, ts.task, ts.host)
    if ts.host is not None and ts.address:
        pool = svc.account.pools.get(ts.host.subnet_id)
        if pool is not None:
            pool.give_back(ts.address)
    ts.stopped_at = time.time()
    refresh_counts(svc)
    rt.task_stopped(svc, ts)
    rt.reconcile_soon(svc)
