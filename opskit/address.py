"""Where a service or task lives, found by discovery: the one resolver every front end uses.

A service is addressed as ``SERVICE``, ``CLUSTER/SERVICE`` or ``REGION:CLUSTER/SERVICE``;
a task by its id, its ARN, or any unique prefix of its id (as git takes hashes). The answer
comes from what is live in every configured region of the environment (ListClusters, then
DescribeServices or ListTasks in each cluster), never from the catalog: the catalog adds
policy to a service, it does not decide where the service is. A name that matches in more
than one place is a usage error (exit 2) naming every candidate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from opskit.aws import ecs as aws_ecs
from opskit.aws.ecs import EcsReader
from opskit.config import Config
from opskit.errors import OpskitError, UsageError
from opskit.suggest import did_you_mean

T = TypeVar("T")
EcsClients = Callable[[str], Any]  # region -> an ECS client of the environment there
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_TASK = re.compile(r"^[0-9a-f][0-9a-f-]{0,35}$")  # 32 hex digits (some endpoints: a UUID)


@dataclass(frozen=True)
class Address:
    """What the user wrote: the service, and the cluster and region if they said so."""

    service: str
    cluster: str | None = None
    region: str | None = None

    def __str__(self) -> str:
        where = f"{self.cluster}/" if self.cluster else ""
        return f"{self.region}:{where}{self.service}" if self.region else f"{where}{self.service}"


@dataclass(frozen=True)
class Located:
    """A live service: its region, cluster name, name, and its DescribeServices answer."""

    env: str
    region: str
    cluster: str
    service: str
    raw: Any

    @property
    def address(self) -> str:
        return f"{self.region}:{self.cluster}/{self.service}"


@dataclass(frozen=True)
class LocatedTask:
    """A live task: region, cluster name, full task id, and its DescribeTasks answer."""

    env: str
    region: str
    cluster: str
    task: str
    raw: Any


def parse(text: str) -> Address:
    """``SERVICE``, ``CLUSTER/SERVICE`` or ``REGION:CLUSTER/SERVICE``; UsageError otherwise."""
    region, colon, rest = text.partition(":")
    if not colon:
        region, rest = "", text
    cluster, slash, service = rest.rpartition("/")
    bad = (
        (colon and not _REGION.match(region))
        or (colon and not slash)
        or (slash and not _NAME.match(cluster))
        or not _NAME.match(service)
    )
    if bad:
        raise UsageError(
            f"service '{text}': use SERVICE, CLUSTER/SERVICE or REGION:CLUSTER/SERVICE"
        )
    return Address(service, cluster or None, region or None)


def _regions(config: Config, env: str, asked: str | None, text: str) -> list[str]:
    regions = list(config.environment(env).regions)
    if asked is None:
        return regions
    if asked not in regions:
        raise UsageError(f"'{text}': {env} runs in {', '.join(regions)}, not {asked}")
    return [asked]


def _clusters(ecs: Any, where: str, cluster: str | None) -> list[str]:
    names = [arn.rsplit("/", 1)[-1] for arn in EcsReader(ecs, where).list_clusters()]
    return [c for c in names if cluster is None or c == cluster]


def _names_near(config: Config, clients: EcsClients, env: str, looked: Sequence[str]) -> set[str]:
    """Names a typo may have meant: the catalog's and those live where we looked (read only
    on this error path; a failure to list is no reason to hide the error)."""
    names = set(config.services)
    for place in looked:
        region, _, cluster = place.partition(":")
        try:
            names.update(
                arn.rsplit("/", 1)[-1]
                for arn in EcsReader(clients(region), f"{env} ({region})").list_services(cluster)
            )
        except OpskitError:
            continue
    return names


def locate(config: Config, clients: EcsClients, env: str, text: str) -> Located:
    """The one live service ``text`` names in ``env``; UsageError when none or several."""
    address = parse(text)
    regions = _regions(config, env, address.region, text)

    def in_region(region: str) -> tuple[list[str], list[Located]]:
        ecs = clients(region)
        clusters = _clusters(ecs, f"{env} ({region})", address.cluster)
        found = []
        for cluster in clusters:
            raw = aws_ecs.describe_services(ecs, cluster, [address.service]).get(address.service)
            if raw is not None:
                found.append(Located(env, region, cluster, address.service, raw))
        return [f"{region}:{c}" for c in clusters], found

    looked, found = _everywhere(regions, in_region)
    if not found:
        where = ", ".join(looked) or "no clusters"
        hint = did_you_mean(address.service, _names_near(config, clients, env, looked))
        raise UsageError(
            f"service '{text}' not found in {env} (looked in: {where}).{hint}"
            if hint
            else f"service '{text}' not found in {env} (looked in: {where})"
        )
    if len(found) > 1:
        raise UsageError(
            f"service '{text}' is ambiguous in {env}: "
            f"{', '.join(f.address for f in found)} (name one as CLUSTER/SERVICE or "
            "REGION:CLUSTER/SERVICE)"
        )
    return found[0]


def locate_task(
    config: Config, clients: EcsClients, env: str, text: str, cluster: str | None = None
) -> LocatedTask:
    """The one task whose id (or ARN, or id prefix) is ``text``, in ``cluster`` if given."""
    task = text.rsplit("/", 1)[-1].lower()
    region_asked = None
    if cluster and ":" in cluster:
        region_asked, _, cluster = cluster.partition(":")
    if not _TASK.match(task):
        raise UsageError(f"task '{text}': give a task id, a prefix of one, or its ARN")
    regions = _regions(config, env, region_asked, text)

    def in_region(region: str) -> tuple[list[str], list[LocatedTask]]:
        ecs = clients(region)
        reader = EcsReader(ecs, f"{env} ({region})")
        clusters = _clusters(ecs, reader.where, cluster)
        found = []
        for name in clusters:
            ids = {
                arn.rsplit("/", 1)[-1]
                for status in ("RUNNING", "STOPPED")
                for arn in reader.list_tasks(name, desired_status=status)
            }
            matches = sorted(i for i in ids if i.startswith(task))
            for raw in aws_ecs.describe_tasks(ecs, name, matches) if matches else []:
                full = str(raw.get("taskArn", "")).rsplit("/", 1)[-1]
                found.append(LocatedTask(env, region, name, full, raw))
        return [f"{region}:{c}" for c in clusters], found

    looked, found = _everywhere(regions, in_region)
    if not found:
        where = ", ".join(looked) or "no clusters"
        raise UsageError(f"no task '{task}' in {env} (looked in: {where})")
    if len(found) > 1:
        names = ", ".join(f"{f.cluster}/{f.task}" for f in found[:10])
        raise UsageError(f"task '{task}' is ambiguous in {env}: {names}")
    return found[0]


def _everywhere(
    regions: Sequence[str], read: Callable[[str], tuple[list[str], list[T]]]
) -> tuple[list[str], list[T]]:
    """``read`` in every region at once; (where it looked, what it found), in region order."""
    with ThreadPoolExecutor(max(1, len(regions)), thread_name_prefix="locate") as pool:
        answers = list(pool.map(read, regions))
    return [w for a in answers for w in a[0]], [f for a in answers for f in a[1]]
