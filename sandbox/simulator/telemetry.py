"""What the estate emits while it runs: metrics, container logs, and an unhealthy target.

Cheap at any size: each job does a bounded slice of work per run instead of walking the
whole estate. Metrics are written per cluster when the cluster is due (every
``metric_interval_s``); log lines go to a random sample of running tasks sized so that each
task writes one line every ``log_gap_s`` on average; now and then one healthy target of a
steady service fails its health checks for a while and recovers.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sandbox.seed import targets as estate_targets
from sandbox.seed.cloudwatch import store_for
from sandbox.seed.container_metrics import emit_due
from sandbox.seed.logs import activity_line
from sandbox.seed.metrics import ClusterSeries, emit_cluster
from sandbox.simulator import events as simulator_events
from sandbox.simulator.model import AccountSim, ServiceSim, TaskSim
from sandbox.simulator.scheduler import Scheduler

FLAP_REASONS = ("Target.ResponseCodeMismatch", "Target.Timeout")


@dataclass
class Telemetry:
    """Metric and log emission state shared by the periodic jobs."""

    scheduler: Scheduler
    accounts: list[AccountSim]
    metric_interval_s: float
    log_gap_s: float
    running: dict[int, tuple[ServiceSim, TaskSim]] = field(default_factory=dict)
    _due: dict[tuple[str, str], float] = field(default_factory=dict)
    _handles: dict[tuple[str, str], ClusterSeries] = field(default_factory=dict)
    flapping: dict[int, tuple[ServiceSim, TaskSim]] = field(default_factory=dict)

    def metrics_job(self) -> int:
        """Emit every cluster that is due; how many datapoints were written."""
        now = time.time()
        written = 0
        for account in self.accounts:
            for cluster in list(account.ecs.clusters):
                key = (account.account_id, cluster)
                if self._due.get(key, 0.0) > now:
                    continue
                self._due[key] = now + self.metric_interval_s
                handles = self._handles.get(key)
                if handles is None:
                    store = store_for(account.account_id, account.region)
                    handles = self._handles[key] = ClusterSeries(store, cluster)
                written += emit_cluster(account.ecs, cluster, handles, now, self.scheduler.rng)
                written += emit_due(account.ecs, cluster, handles.store, now, self.scheduler.rng)
        return written

    def logs_job(self, period_s: float, write: Any, source: Any) -> int:
        """Write activity lines for a sample of running tasks; how many lines."""
        if not self.running:
            return 0
        rng = self.scheduler.rng
        expected = len(self.running) * period_s / self.log_gap_s
        count = min(len(self.running), int(expected) + (rng.random() < expected % 1))
        now = time.time()
        for svc, ts in rng.sample(list(self.running.values()), count):
            started = ts.task.started_at.replace(tzinfo=UTC).timestamp() + 0.5
            times = sorted(
                max(started, now - rng.uniform(0, period_s))
                for _ in range(rng.choice((1, 1, 2, 3)))
            )
            src = source(svc, ts.task)
            write(svc, ts, [(when, activity_line(src, when, rng)) for when in times])
        return count

    def flap_job(self, recover_after_s: float) -> None:
        """Turn one healthy target of a steady service unhealthy; it recovers later."""
        rng = self.scheduler.rng
        candidates = [
            (svc, ts) for svc, ts in self.running.values()
            if ts.target and not svc.crash_loops and _steady(svc) and id(ts) not in self.flapping
        ]  # fmt: skip
        if not candidates:
            return
        svc, ts = rng.choice(candidates)
        group = svc.target_group
        if group is None or not ts.address or estate_targets.state(group, ts.address) != "healthy":
            return
        reason = rng.choice(FLAP_REASONS)
        estate_targets.set_unhealthy(group, ts.address, reason)
        simulator_events.unhealthy(
            svc.service, ts.short_id, svc.container_port or 0, group.arn,
            estate_targets.UNHEALTHY_REASONS[reason],
        )  # fmt: skip
        self.flapping[id(ts)] = (svc, ts)

        def recover() -> None:
            self.flapping.pop(id(ts), None)
            if ts.target and ts.address and estate_targets.state(group, ts.address) == "unhealthy":
                estate_targets.set_healthy(group, ts.address)

        self.scheduler.at(recover_after_s, recover)


def _steady(svc: ServiceSim) -> bool:
    primary = simulator_events.primary(svc.service)
    return (
        primary is not None
        and primary.get("rolloutState") == "COMPLETED"
        and len(svc.service.deployments) == 1
        and svc.service.running_count == svc.service.desired_count
    )


def log_sample_period(log_gap_s: float) -> float:
    """How often the log job runs: about every 3 s, never slower than the gap."""
    return max(1.0, min(3.0, math.floor(log_gap_s)))
