"""The simulator: keeps the seeded estate alive inside the sandbox process.

``start_simulator(ctx)`` discovers every environment's estate from moto's backends, hooks
moto's ECS API (``simulator_hooks``) and runs one background thread that:

- rolls deployments, scales services and trips the circuit breaker (``simulator_rollout``),
  moving each task through its life (``simulator_lifecycle``);
- crash-loops the catalog's ``integrations`` service (stopped reasons "Essential container
  in task exited", container reason "OutOfMemoryError: Container killed due to memory
  usage" or exit code 1 after a stack trace), with service events;
- emits metrics, log lines and now and then an unhealthy target (``simulator_telemetry``);
- forgets stopped tasks after ``STOPPED_RETENTION_S`` of sandbox time (AWS: about an hour).

Everything is event-driven on one clock (``simulator_scheduler``); AWS durations shrink by
``ctx.time_factor``. Idle cost is the periodic jobs only, sized for the large estate.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from sandbox.seed import cloudwatch as estate_cloudwatch
from sandbox.seed import targets as estate_targets
from sandbox.seed.context import EstateContext
from sandbox.seed.ecs import refresh_cluster_counts
from sandbox.seed.logs import LogSource, log_source, write
from sandbox.seed.plans import plan_estate
from sandbox.seed.tasks import forget_task
from sandbox.simulator import health as simulator_health
from sandbox.simulator import hooks as simulator_hooks
from sandbox.simulator.lifecycle import schedule_crash, stop
from sandbox.simulator.model import AccountSim, ServiceSim, TaskSim, adopt_service, discover
from sandbox.simulator.rollout import DEFAULT_CONFIGURATION, on_update, reconcile
from sandbox.simulator.scheduler import Scheduler
from sandbox.simulator.telemetry import Telemetry, log_sample_period

log = logging.getLogger(__name__)

STOPPED_RETENTION_S = 3600
MIN_STOPPED_RETENTION_S = 60.0
PRUNE_EVERY_S = 10.0
FLAP_EVERY_S = (45.0, 120.0)
FLAP_RECOVERY_S = (15.0, 45.0)
COUNTS_EVERY_S = 2.0
COALESCE_S = 0.05


class Simulator:
    """The running simulator; ``stop()`` ends it."""

    def __init__(self, ctx: EstateContext) -> None:
        self.ctx = ctx
        self.scheduler = Scheduler(ctx.time_factor)
        large = ctx.scale == "large"
        self.plans = plan_estate(ctx.config, ctx.scale)
        self.accounts: list[AccountSim] = []
        self.telemetry = Telemetry(
            scheduler=self.scheduler,
            accounts=self.accounts,
            metric_interval_s=30.0 if large else 10.0,
            log_gap_s=45.0 if large else 8.0,
        )
        self._stopped: collections.deque[tuple[float, ServiceSim, TaskSim]] = collections.deque()
        self._sources: dict[str, LogSource] = {}
        self._dirty_clusters: set[tuple[int, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-simulator", daemon=True)
        self._pending: dict[int, set[float]] = {}
        self._last_reconcile: dict[int, float] = {}

    # -- lifecycle of the simulator itself -------------------------------------------------

    def start(self) -> Simulator:
        estate_targets.configure(self.ctx.time_factor)
        simulator_health.configure(self.ctx.time_factor)
        simulator_hooks.install()
        with self.scheduler.lock:
            for plan in self.plans:
                account = discover(plan)
                self.accounts.append(account)
                for svc in account.services.values():
                    for ts in svc.tasks.values():
                        if ts.status == "RUNNING":
                            self.running_changed(svc, ts, True)
                            if svc.crash_loops:
                                schedule_crash(self, svc, ts)
                simulator_hooks.register(account.account_id, account.region, _Hooks(self, account))
        period = log_sample_period(self.telemetry.log_gap_s)
        every = self.scheduler.every
        every(5.0, self.telemetry.metrics_job, first_s=1.0)
        every(period, lambda: self.telemetry.logs_job(period, self.write_logs, self.log_source))
        every(PRUNE_EVERY_S, self._prune, first_s=PRUNE_EVERY_S)
        every(COUNTS_EVERY_S, self._refresh_clusters)
        self._schedule_flap()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.scheduler.wake()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for account in self.accounts:
            simulator_hooks.unregister(account.account_id, account.region)

    def _run(self) -> None:
        while not self._stop.is_set() and not self.ctx.stop_event.is_set():
            wait = self.scheduler.run_due()
            self.scheduler.wait(min(wait, 1.0))

    # -- Runtime (what lifecycle and rollout call back) ----------------------------------------

    def reconcile_soon(self, svc: ServiceSim, delay_s: float = 0.0) -> None:
        due = time.time() + delay_s
        key = id(svc)
        pending = self._pending.setdefault(key, set())
        if any(abs(other - due) < COALESCE_S for other in pending):
            return
        pending.add(due)

        def run() -> None:
            pending.discard(due)
            if self._last_reconcile.get(key, 0.0) >= due:
                return
            self._last_reconcile[key] = time.time()
            reconcile(self, svc)
            self._dirty_clusters.add((id(svc.account), svc.cluster))

        self.scheduler.at(delay_s, run)

    def running_changed(self, svc: ServiceSim, ts: TaskSim, running: bool) -> None:
        if running:
            self.telemetry.running[id(ts)] = (svc, ts)
        else:
            self.telemetry.running.pop(id(ts), None)
        self._dirty_clusters.add((id(svc.account), svc.cluster))

    def task_stopped(self, svc: ServiceSim, ts: TaskSim) -> None:
        self._stopped.append((time.time(), svc, ts))
        self._dirty_clusters.add((id(svc.account), svc.cluster))

    def log_source(self, svc: ServiceSim, task: Any) -> LogSource:
        source = self._sources.get(task.task_definition_arn)
        if source is None:
            definition = svc.account.ecs.describe_task_definition(task.task_definition_arn)
            source = self._sources[task.task_definition_arn] = log_source(
                definition, svc.secret_names
            )
        return source

    def write_logs(self, svc: ServiceSim, ts: TaskSim, lines: list[tuple[float, str]]) -> None:
        source = self.log_source(svc, ts.task)
        write(svc.account.logs, source.group, source.stream(ts.task.id), lines)

    # -- periodic housekeeping ------------------------------------------------------------------

    def _prune(self) -> None:
        keep = max(MIN_STOPPED_RETENTION_S, self.scheduler.scaled(STOPPED_RETENTION_S))
        cutoff = time.time() - keep
        while self._stopped and self._stopped[0][0] < cutoff:
            _, svc, ts = self._stopped.popleft()
            forget_task(svc.account.ecs, ts.task)
            tasks = dict(svc.tasks)
            tasks.pop(ts.task.task_arn, None)
            svc.tasks = tasks
        estate_cloudwatch.prune_all(time.time())

    def _refresh_clusters(self) -> None:
        dirty, self._dirty_clusters = self._dirty_clusters, set()
        by_id = {id(a): a for a in self.accounts}
        for account_id, cluster in dirty:
            account = by_id.get(account_id)
            if account is not None:
                refresh_cluster_counts(account.ecs, cluster)

    def _schedule_flap(self) -> None:
        rng = self.scheduler.rng

        def flap() -> None:
            self.telemetry.flap_job(rng.uniform(*FLAP_RECOVERY_S))
            self.scheduler.at(rng.uniform(*FLAP_EVERY_S), flap)

        self.scheduler.at(rng.uniform(*FLAP_EVERY_S), flap)


class _Hooks:
    """The hook listener of one account: API changes become simulator work."""

    def __init__(self, simulator: Simulator, account: AccountSim) -> None:
        self.simulator = simulator
        self.account = account

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self.simulator.scheduler.lock:
            yield

    def _sim(self, service: Any) -> ServiceSim | None:
        return self.account.services.get((service.cluster_name, service.name))

    def service_updated(self, service: Any, before: str | None, forced: bool) -> None:
        svc = self._sim(service)
        if svc is not None:
            on_update(self.simulator, svc, before, forced)

    def service_created(self, service: Any) -> None:
        if getattr(service, "deployment_configuration", None) is None:
            service.deployment_configuration = dict(DEFAULT_CONFIGURATION)
        svc = adopt_service(self.account, service)
        svc.steady_announced = False
        self.simulator.reconcile_soon(svc)

    def service_deleted(self, service: Any) -> None:
        svc = self._sim(service)
        if svc is not None:
            self.simulator.reconcile_soon(svc)

    def stop_task(self, cluster: str, task_id: str, reason: str | None) -> Any | None:
        for svc in self.account.services.values():
            if svc.cluster != cluster:
                continue
            for ts in svc.tasks.values():
                if ts.task.id == task_id or ts.task.task_arn.endswith(task_id):
                    if ts.live:
                        stop(
                            self.simulator,
                            svc,
                            ts,
                            reason or "Task stopped by user",
                            "UserInitiated",
                        )
                        self.simulator.reconcile_soon(svc)
                    return ts.task
        return None


def start_simulator(ctx: EstateContext) -> Simulator:
    """Start keeping the estate alive; call ``.stop()`` on the result to end it."""
    return Simulator(ctx).start()
