"""Fetch one environment's region at overview depth: every call at once, each page full.

Work runs as *chains* (a list followed by its page's describes; the balancers with their
listeners and rules; DNS; utilization once services and hosts are known) on threads of
this read, and the single calls they fan out to (describe batches, GetMetricData batches)
run on the estate's shared pool. Chains wait; pool jobs never do, so the two cannot
deadlock. A failing part is recorded in ``errors`` and the rest still arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any, TypeVar

from opskit.aws.ecs import (
    CLUSTERS_PER_CALL,
    INSTANCES_PER_CALL,
    SERVICES_PER_CALL,
    TASKS_PER_CALL,
    EcsReader,
    batches,
)
from opskit.aws.elbv2 import ElbReader
from opskit.aws.route53 import DnsReader
from opskit.errors import OpskitError
from opskit.estate.freshness import ALL, Due, Family
from opskit.estate.metrics import CPU, MEMORY, UNHEALTHY, MetricQuery, MetricsSource
from opskit.estate.raw_region import AwsDict, RawRegion

T = TypeVar("T")


def cluster_key(cluster: str, metric: str) -> str:
    return f"cluster/{cluster}/{metric}"


def service_key(cluster: str, service: str, metric: str) -> str:
    return f"service/{cluster}/{service}/{metric}"


def instance_key(ec2_id: str, metric: str) -> str:
    return f"instance/{ec2_id}/{metric}"


def target_group_key(arn: str) -> str:
    return f"tg/{arn}/{UNHEALTHY}"


class RegionRead:
    """One overview read of ``env`` in ``region``; ``run()`` returns a RawRegion."""

    def __init__(
        self,
        accounts: Any,
        env: str,
        region: str,
        *,
        pool: Executor,
        metrics: MetricsSource | None,
        window: tuple[dt.datetime, dt.datetime],
        dns: bool,
        due: Due | None = None,
    ) -> None:
        self.accounts, self.env, self.region = accounts, env, region
        self.pool, self.metrics, self.window, self.with_dns = pool, metrics, window, dns
        self.where = f"{env} ({region})"
        self.raw = RawRegion(env, region)
        self.due = due or Due(ALL)  # what to fetch; the rest is reused (opskit.estate.freshness)
        self.read: set[Family] = set()  # the families this read fetched

    def client(self, service: str) -> Any:
        return self.accounts.client(self.env, service, region=self.region)

    def run(self) -> RawRegion:
        """Everything at overview depth; raises OpskitError only if nothing can be read.

        (A repeated read that fetches only what is due is ``opskit.estate.reuse.run_due``.)"""
        self.read = set(ALL)
        ecs = EcsReader(self.client("ecs"), self.where)
        elb = ElbReader(self.client("elbv2"), self.where)
        with ThreadPoolExecutor(max_workers=16, thread_name_prefix=f"{self.env}") as chains:
            balancers = chains.submit(self._guard, "ELB", self.read_balancers, elb)
            if self.with_dns:
                chains.submit(self._guard, "Route53", self.read_dns)
            arns = ecs.list_clusters()
            for part in self._each(ecs.describe_clusters, batches(arns, CLUSTERS_PER_CALL)):
                self.raw.clusters.extend(part)
            listed: list[Future[Any]] = []
            for cluster in self.raw.clusters:
                arn = cluster["clusterArn"]
                label = f"cluster {cluster['clusterName']}"
                listed.append(chains.submit(self._guard, label, self._services, ecs, arn))
                listed.append(chains.submit(self._guard, label, self._instances, ecs, arn))
                chains.submit(self._guard, label, self._tasks, ecs, arn)
            if self.metrics is not None:
                chains.submit(self._guard, "metrics", self._utilization, [*listed, balancers])
            chains.submit(self._soft, "revisions", self._revisions, ecs, listed)
            chains.submit(self._soft, "schedules", self._schedules)
        return self.raw

    # -- chains ---------------------------------------------------------------------

    def _guard(self, label: str, chain: Callable[..., None], *args: Any) -> None:
        try:
            chain(*args)
        except OpskitError as error:
            self.raw.errors.append(f"{label}: {error}")
            self.raw.failed.setdefault(family_of(label), error)

    def _soft(self, label: str, chain: Callable[..., None], *args: Any) -> None:
        """A chain whose failure leaves its part unknown and fails nothing else."""
        try:
            chain(*args)
        except OpskitError as error:
            if label == "schedules":
                self.raw.schedules = None
            self.raw.warnings.append(f"{label} unknown: {error}")

    def _revisions(self, ecs: EcsReader, needed: Sequence[Future[Any]]) -> None:
        """The newest ACTIVE revision of each family a service runs: one call per family.

        DescribeTaskDefinition with a bare family answers its latest ACTIVE revision
        (ListTaskDefinitions' ``familyPrefix`` is a prefix: "api" lists "api-worker" too).
        """
        for future in needed:
            future.result()
        families = sorted(
            {
                str(s.get("taskDefinition", "")).rsplit("/", 1)[-1].rsplit(":", 1)[0]
                for services in list(self.raw.services.values())
                for s in services
            }
            - {""}
        )

        def latest(family: str) -> int | str:
            try:
                return int(ecs.describe_task_definition(family).get("revision", 0))
            except OpskitError as error:  # e.g. no ACTIVE revision left: that one unknown
                return str(error)

        answers = self._each(latest, families)
        self.raw.latest = {
            f: a for f, a in zip(families, answers, strict=True) if isinstance(a, int)
        }
        failed = [a for a in answers if isinstance(a, str)]
        if failed:
            self.raw.warnings.append(f"latest revision unknown for {len(failed)}: {failed[0]}")

    def _schedules(self) -> None:
        from opskit.estate.schedules import rule_tasks, schedule_tasks

        found = rule_tasks(self.client("events"), self.where, self.region, self._each)
        found += schedule_tasks(self.client("scheduler"), self.where, self.region, self._each)
        self.raw.schedules = found

    def _services(self, ecs: EcsReader, cluster: str, known: Sequence[str] | None = None) -> None:
        """The cluster's services: listed, or ``known`` (the last listing) described again.

        A known service that is gone (not ACTIVE, or missing from the answer) means the
        list moved: the cluster is listed again at once."""
        arns = ecs.list_services(cluster) if known is None else list(known)
        found: list[AwsDict] = []
        for part in self._each(
            lambda names: ecs.describe_services(cluster, names), batches(arns, SERVICES_PER_CALL)
        ):
            found.extend(part)
        if known is not None and (
            len(found) != len(arns) or any(s.get("status") != "ACTIVE" for s in found)
        ):
            self._services(ecs, cluster)
            return
        self.raw.services[cluster] = found

    def _tasks(self, ecs: EcsReader, cluster: str) -> None:
        arns = ecs.list_tasks(cluster)
        found: list[AwsDict] = []
        for part in self._each(
            lambda names: ecs.describe_tasks(cluster, names), batches(arns, TASKS_PER_CALL)
        ):
            found.extend(part)
        self.raw.tasks[cluster] = found

    def _instances(self, ecs: EcsReader, cluster: str) -> None:
        arns = ecs.list_container_instances(cluster)
        found: list[AwsDict] = []
        for part in self._each(
            lambda names: ecs.describe_container_instances(cluster, names),
            batches(arns, INSTANCES_PER_CALL),
        ):
            found.extend(part)
        self.raw.instances[cluster] = found

    def read_balancers(self, elb: ElbReader) -> None:
        """Balancers, target groups, and the routes their listeners and rules define."""
        groups = self.pool.submit(elb.target_groups)
        self.raw.load_balancers = list(elb.load_balancers())
        listeners = [
            listener
            for part in self._each(
                elb.listeners, [lb["LoadBalancerArn"] for lb in self.raw.load_balancers]
            )
            for listener in part
        ]
        for listener in listeners:
            for action in listener.get("DefaultActions", []):
                for tg in _forwards(action):
                    self.raw.routes.by_balancer[listener["LoadBalancerArn"]].add(tg)
        for rules in self._each(elb.rules, [listener["ListenerArn"] for listener in listeners]):
            for rule in rules:
                hosts = _hosts(rule)
                for action in rule.get("Actions", []):
                    for tg in _forwards(action):
                        for host in hosts:
                            self.raw.routes.by_host[host].add(tg)
        self.raw.target_groups = list(groups.result())

    def read_dns(self) -> None:
        """Every hosted zone of the account with all its records."""
        dns = DnsReader(self.client("route53"), self.where)
        zones = dns.zones()
        answers = self._each(dns.records, [z["Id"] for z in zones])
        self.raw.zones = [
            (z["Name"], list(records)) for z, records in zip(zones, answers, strict=True)
        ]

    def _utilization(self, needed: Sequence[Future[Any]]) -> None:
        for future in needed:
            future.result()
        self.read_series(self._queries())

    def read_series(self, queries: Sequence[MetricQuery]) -> None:
        """``queries`` in as few source calls as possible, run at once."""
        if self.metrics is None or not queries:
            return
        start, end = self.window
        size = self.metrics.batch_size
        count = -(-len(queries) // size)  # ceil: as few calls as possible, evenly filled
        chunks = [list(queries[i::count]) for i in range(count)]
        source = self.metrics
        for part in self._each(
            lambda chunk: source.fetch(self.env, self.region, chunk, start, end), chunks
        ):
            self.raw.series.update(part)

    def _queries(self) -> list[MetricQuery]:
        queries = []
        for cluster in self.raw.clusters:
            name, arn = cluster["clusterName"], cluster["clusterArn"]
            for metric in (CPU, MEMORY):
                queries.append(MetricQuery(cluster_key(name, metric), metric, cluster=name))
                for service in self.raw.services.get(arn, []):
                    svc = service["serviceName"]
                    key = service_key(name, svc, metric)
                    queries.append(MetricQuery(key, metric, cluster=name, service=svc))
                for host in self.raw.instances.get(arn, []):
                    ec2, host_arn = host.get("ec2InstanceId", ""), host["containerInstanceArn"]
                    if ec2:
                        key = instance_key(ec2, metric)
                        queries.append(
                            MetricQuery(
                                key, metric, cluster=name, instance=ec2,
                                container_instance=host_arn.rsplit("/", 1)[-1],
                            )
                        )  # fmt: skip
        for group in self.raw.target_groups:
            for balancer in group.get("LoadBalancerArns", [])[:1]:
                arn = group["TargetGroupArn"]
                queries.append(
                    MetricQuery(
                        target_group_key(arn), UNHEALTHY, target_group=arn, load_balancer=balancer
                    )
                )
        return queries

    # -- fan-out --------------------------------------------------------------------

    def _each(self, call: Callable[[Any], T], items: Any) -> list[T]:
        """``call`` on every item at once on the shared pool; results in order."""
        futures = [self.pool.submit(call, item) for item in items]
        return [f.result() for f in futures]


# The API family of each chain's label: a failing family marks only what it feeds unknown.
_FAMILY_OF_LABEL = {"ELB": "elbv2", "Route53": "route53", "metrics": "metrics"}


def family_of(label: str) -> str:
    """The API family of a chain's label (``cluster NAME`` chains are ECS)."""
    return _FAMILY_OF_LABEL.get(label, "ecs")


def _forwards(action: AwsDict) -> list[str]:
    if action.get("Type") != "forward":
        return []
    groups = [
        g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])
    ]
    if action.get("TargetGroupArn"):
        groups.append(action["TargetGroupArn"])
    return groups


def _hosts(rule: AwsDict) -> list[str]:
    hosts: list[str] = []
    for condition in rule.get("Conditions", []):
        if condition.get("Field") == "host-header":
            values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get(
                "Values", []
            )
            hosts.extend(v.lower().rstrip(".") for v in values)
    return hosts
