"""A repeated region read: fetch the families that are due, reuse the previous read's rest.

Services are always described: the last listing's, listed again (ListServices) when
``listing`` is due, for a cluster new to the schedule, or when a known service is gone. A
cluster's tasks (hosts) are read when ``tasks`` (``hosts``) is due or when that cluster's
services moved (counts, deployments, a service came or went) since the previous read;
otherwise they, the cluster list, balancers, DNS and the utilization series are the
previous read's. The result is a whole ``RawRegion``, so assembling it is unchanged.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from opskit.aws.ecs import CLUSTERS_PER_CALL, EcsReader, batches
from opskit.aws.elbv2 import ElbReader
from opskit.estate.freshness import Family, services_moved

if TYPE_CHECKING:
    from opskit.estate.raw_region import RawRegion
    from opskit.estate.region import RegionRead


def run_due(read: RegionRead, previous: RawRegion) -> RawRegion:
    """``read`` fetching only ``read.due``'s families; the rest copied from ``previous``."""
    due, raw = read.due, read.raw
    read.read = {Family.services} | (due.families & {Family.listing})
    ecs = EcsReader(read.client("ecs"), read.where)
    with ThreadPoolExecutor(max_workers=16, thread_name_prefix=f"{read.env}") as chains:
        balancers: Future[Any] | None = None
        if Family.network in due.families:
            read.read.add(Family.network)
            elb = ElbReader(read.client("elbv2"), read.where)
            balancers = chains.submit(read._guard, "ELB", read.read_balancers, elb)
        else:
            raw.load_balancers, raw.target_groups = previous.load_balancers, previous.target_groups
            raw.routes = previous.routes
        if read.with_dns and Family.dns in due.families:
            read.read.add(Family.dns)
            chains.submit(read._guard, "Route53", read.read_dns)
        else:
            raw.zones = previous.zones
        if Family.clusters in due.families:
            read.read.add(Family.clusters)
            arns = ecs.list_clusters()
            for part in read._each(ecs.describe_clusters, batches(arns, CLUSTERS_PER_CALL)):
                raw.clusters.extend(part)
        else:
            raw.clusters = previous.clusters
        read.read |= due.families & {Family.tasks, Family.hosts}
        listed: list[Future[Any]] = []
        for cluster in raw.clusters:
            arn, label = cluster["clusterArn"], f"cluster {cluster['clusterName']}"
            listed.append(chains.submit(read._guard, label, _cluster, read, ecs, arn, previous))
        if read.metrics is not None and Family.metrics in due.families:
            read.read.add(Family.metrics)
            needed = [*listed, *([balancers] if balancers is not None else [])]
            chains.submit(read._guard, "metrics", read._utilization, needed)
        else:
            raw.series = dict(previous.series)
        if Family.revisions in due.families:
            read.read.add(Family.revisions)
            chains.submit(read._soft, "revisions", read._revisions, ecs, listed)
            chains.submit(read._soft, "schedules", read._schedules)
        else:
            raw.latest, raw.schedules = dict(previous.latest), previous.schedules
    return raw


def _cluster(read: RegionRead, ecs: EcsReader, arn: str, previous: RawRegion) -> None:
    """One cluster's services (listed again only when due); its tasks and hosts too when
    due or when the services moved."""
    known = previous.services.get(arn)  # None: a cluster new to this schedule
    relist = known is None or Family.listing in read.due.families
    read._services(ecs, arn, None if relist else [s["serviceArn"] for s in known or ()])
    moved = known is not None and services_moved(known, read.raw.services.get(arn, []))
    if moved or Family.hosts in read.due.families:
        read._instances(ecs, arn)
    else:
        read.raw.instances[arn] = previous.instances.get(arn, [])
    if moved or Family.tasks in read.due.families:
        read._tasks(ecs, arn)
    else:
        read.raw.tasks[arn] = previous.tasks.get(arn, [])
