"""Traffic shift: move a weighted Route53 record from one environment to another, a
ramp at a time, behind a health gate.

``[traffic.NAME]`` in environments.toml names the record, the zone it lives in, and the
weighted sets (set identifier -> the environment whose load balancer it points at). The
plan shows each set's weight before -> after. Apply sets the ramp's steps (``to`` gets
1, 5, 25, 50, 100 % by default, the others share the rest as they did), pausing after
each, then checks the gate on the environment receiving traffic: its service's targets
healthy, and its 5xx rate under the limit. A failed gate restores the last good weights
and the change ends ``rolled_back``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from opskit.aws import ecs as aws_ecs
from opskit.aws import elbv2 as aws_elbv2
from opskit.aws import route53 as aws_route53
from opskit.aws.cloudwatch import MetricsReader, metric_query
from opskit.changes.bake import alerted_since
from opskit.changes.plan import Access, Diff, Plan, resource_id
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.targets import service_ref
from opskit.config import TrafficShift
from opskit.errors import UsageError

if TYPE_CHECKING:
    from types_boto3_cloudwatch import CloudWatchClient

DEFAULT_MAX_ERROR_RATE = 0.05
_WINDOW = dt.timedelta(minutes=5)
_NAMESPACE = "AWS/ApplicationELB"


@dataclass(frozen=True)
class TrafficShiftChange:
    """Ramp the weighted record of ``[traffic.NAME]`` towards the set ``to``."""

    name: str
    to: str
    steps: tuple[int, ...] = ()
    pause_seconds: float | None = None
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE

    kind: ClassVar[str] = "traffic-shift"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        p = plan.params
        steps, pause = tuple(p["steps"]), float(p["pause_seconds"])
        return cls(p["name"], p["to"], steps, pause, float(p["max_error_rate"]))

    def _shift(self, ctx: ChangeContext) -> TrafficShift:
        if self.name not in ctx.config.traffic:
            known = ", ".join(sorted(ctx.config.traffic)) or "none"
            raise UsageError(f"no [traffic.{self.name}] in environments.toml (known: {known})")
        shift = ctx.config.traffic[self.name]
        if self.to not in shift.sets:
            raise UsageError(f"--to {self.to}: [traffic.{self.name}] has {', '.join(shift.sets)}")
        return shift

    def _zone(self, ctx: ChangeContext, shift: TrafficShift) -> tuple[str, str]:
        return aws_route53.zone_of(ctx.reader(shift.zone_env, "route53"), shift.record)

    def _sets(self, ctx: ChangeContext, shift: TrafficShift, zone_id: str) -> dict[str, Any]:
        sets = aws_route53.weighted_sets(
            ctx.reader(shift.zone_env, "route53"), zone_id, shift.record
        )
        missing = [s for s in shift.sets if s not in sets]
        if missing:
            raise UsageError(f"{shift.record} has no weighted set {', '.join(missing)}")
        return {s: sets[s] for s in shift.sets}

    def _resource(self, shift: TrafficShift, zone: str, set_id: str) -> str:
        return resource_id(shift.zone_env, "route53", zone, shift.record, set_id)

    def plan(self, ctx: ChangeContext) -> Plan:
        shift = self._shift(ctx)
        zone, zone_id = self._zone(ctx, shift)
        before = {s: int(r["Weight"]) for s, r in self._sets(ctx, shift, zone_id).items()}
        now = percent(before, self.to)
        steps = [s for s in (self.steps or tuple(shift.steps)) if s > now]
        after = split(before, self.to, steps[-1]) if steps else before
        diffs = [
            Diff(self._resource(shift, zone, s), "weight", before[s], after[s])
            for s in before
            if before[s] != after[s]
        ]
        pause = shift.pause_seconds if self.pause_seconds is None else self.pause_seconds
        environment = ctx.config.environment(shift.zone_env)
        ramp = "/".join(str(s) for s in steps)
        return Plan(
            change=self.kind,
            summary=f"shift {shift.record} to {self.to} ({shift.sets[self.to]}): {ramp} %",
            env=shift.zone_env,
            account_id=environment.account_id,
            region=environment.region,
            access=self.access,
            diffs=tuple(diffs),
            params={
                "name": self.name,
                "to": self.to,
                "steps": steps,
                "pause_seconds": pause,
                "max_error_rate": self.max_error_rate,
                "zone": zone,
                "zone_id": zone_id,
            },
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        shift = self._shift(ctx)
        zone = plan.params["zone"]
        sets = self._sets(ctx, shift, plan.params["zone_id"])
        return {
            f"{self._resource(shift, zone, s)}#weight": int(r["Weight"]) for s, r in sets.items()
        }

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        shift = self._shift(ctx)
        zone_id = plan.params["zone_id"]
        sets = self._sets(ctx, shift, zone_id)
        route53 = ctx.writer(shift.zone_env, "route53")
        good = {s: int(r["Weight"]) for s, r in sets.items()}
        began = time.time()  # a monitor of the receiving service triggered since fails a step
        gates: list[dict[str, Any]] = []  # every gate passed, with its figures (the record)
        for step in plan.params["steps"]:
            weights = split(good, self.to, step)
            aws_route53.set_weights(route53, zone_id, sets, weights)
            ctx.progress(f"{shift.record}: {self.to} at {step}% ({_show(weights)})")
            ctx.sleep(float(plan.params["pause_seconds"]) / ctx.time_factor)
            figures: dict[str, Any] = {"at_percent": step, "weights": weights}
            problem = self._gate(ctx, shift, figures, began)
            if problem:
                aws_route53.set_weights(route53, zone_id, sets, good)
                ctx.progress(f"{shift.record}: gate failed at {step}% ({problem}); restored")
                return Applied({"gate_failed": problem, "at_percent": step, "weights": good,
                                "gates": gates, "failed_gate": figures})  # fmt: skip
            gates.append(figures)
            ctx.progress(f"{shift.record}: health gate passed for {step}% ({gate_text(figures)})")
            good = weights
        return Applied({"weights": good, "gates": gates})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        weights = applied.data["weights"]
        if "gate_failed" in applied.data:
            detail = (
                f"health gate failed at {applied.data['at_percent']}% "
                f"({applied.data['gate_failed']}); weights restored to {_show(weights)}"
            )
            return Result("rolled_back", detail, applied.data)
        live = self.live(ctx, plan)
        wrong = [d.resource for d in plan.diffs if live[d.key] != d.after]
        if wrong:
            return Result("failed", f"weights not as planned on {', '.join(wrong)}", applied.data)
        return Result("applied", f"traffic at {_show(weights)}", applied.data)

    def _gate(
        self, ctx: ChangeContext, shift: TrafficShift, figures: dict[str, Any], since: float = 0.0
    ) -> str | None:
        """Why the receiving environment is not healthy enough, or None; what it measured
        goes into ``figures`` (env, service, targets healthy/unhealthy, 5xx rate, limit).
        With ``since``, a managed monitor of the receiving service triggered since fails it."""
        env = shift.sets[self.to]
        ref = service_ref(ctx.config, env, shift.service)
        figures.update(env=env, service=ref.service, healthy=0, unhealthy=0, other=0)
        service = aws_ecs.describe_service(ctx.reader(env, "ecs"), ref.cluster, ref.service)
        arns = [
            b["targetGroupArn"] for b in service.get("loadBalancers", []) if "targetGroupArn" in b
        ]
        elb = ctx.reader(env, "elbv2")
        for arn in arns:
            states = [t["TargetHealth"]["State"] for t in aws_elbv2.target_health(elb, arn)]
            healthy, unhealthy = states.count("healthy"), states.count("unhealthy")
            figures["healthy"] += healthy
            figures["unhealthy"] += unhealthy
            figures["other"] += len(states) - healthy - unhealthy
            if not healthy or healthy < MIN_HEALTHY_SHARE * (healthy + unhealthy):
                return f"{env} {ref.service} targets: {', '.join(states) or 'none'}"
        rate = error_rate(ctx.reader(env, "cloudwatch"), aws_elbv2.target_groups(elb, arns))
        figures.update(error_rate=rate, max_error_rate=self.max_error_rate)
        figures["checked_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if rate is not None and rate > self.max_error_rate:
            return f"{env} {ref.service} 5xx rate {rate:.1%} > {self.max_error_rate:.1%}"
        alerted = alerted_since(ctx, ref, since) if since else None
        return f"{env} {ref.service}: {alerted}" if alerted else None


# One flapping target among many must not stop a ramp; a receiving side that is mostly
# unhealthy must. Targets still registering (initial) or draining count for neither.
MIN_HEALTHY_SHARE = 0.75


def gate_text(figures: Mapping[str, Any]) -> str:
    """A passed gate's figures on one line: ``3/3 targets healthy, 5xx 0.4% <= 5.0%``."""
    targets = figures["healthy"] + figures["unhealthy"]
    rate = figures.get("error_rate")
    shown = "no requests" if rate is None else f"{rate:.1%}"
    return (
        f"{figures['env']} {figures['service']}: {figures['healthy']}/{targets} targets "
        f"healthy, 5xx {shown} <= {figures['max_error_rate']:.1%}"
    )


def error_rate(cloudwatch: CloudWatchClient, groups: Sequence[Mapping[str, Any]]) -> float | None:
    """5xx responses / requests over the last five minutes for the target groups."""
    queries = []
    for i, group in enumerate(groups):
        dims = {"TargetGroup": group["TargetGroupArn"].split(":", 5)[-1]}
        for lb in group.get("LoadBalancerArns", [])[:1]:
            dims["LoadBalancer"] = lb.split(":loadbalancer/", 1)[-1]
        for name, metric in (("e", "HTTPCode_Target_5XX_Count"), ("r", "RequestCount")):
            query = metric_query(f"{name}{i}", _NAMESPACE, metric, dims, period=60, stat="Sum")
            queries.append(query)
    if not queries:
        return None
    end = dt.datetime.now(dt.UTC)
    reader = MetricsReader(cloudwatch, "reading load balancer error metrics")
    sums = {"e": 0.0, "r": 0.0}
    for query_id, (_, values) in reader.get(queries, end - _WINDOW, end).items():
        sums[query_id[0]] += sum(values)
    return sums["e"] / sums["r"] if sums["r"] else None


def percent(weights: Mapping[str, int], set_id: str) -> int:
    """The share of traffic ``set_id`` gets, in whole percent."""
    total = sum(weights.values())
    return round(100 * weights[set_id] / total) if total else 0


def split(before: Mapping[str, int], to: str, pct: int) -> dict[str, int]:
    """Weights giving ``to`` ``pct`` % and the others the rest, shared as ``before`` did."""
    others = [s for s in before if s != to]
    rest = 100 - pct
    total = sum(before[s] for s in others)
    shares = {s: (before[s] / total if total else 1 / len(others)) for s in others}
    weights = {s: int(rest * shares[s]) for s in others}
    if others:
        weights[others[0]] += rest - sum(weights.values())
    return {to: pct, **weights}


def _show(weights: Mapping[str, int]) -> str:
    return ", ".join(f"{s}={w}" for s, w in weights.items())
