"""What AWS answered for one environment and region, before it becomes the estate model.

Its own module so that the refresh schedule (``freshness``), the repeated read (``reuse``)
and the full read (``region``) share the shape without importing one another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opskit.errors import OpskitError
from opskit.estate.model import ScheduledTask, Series

AwsDict = Mapping[str, Any]


@dataclass
class Routes:
    """Which target groups a host name reaches, from listener rules and default actions."""

    by_host: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_balancer: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class RawRegion:
    """What AWS answered for one environment and region (plain AWS shapes)."""

    env: str
    region: str
    clusters: list[AwsDict] = field(default_factory=list)
    services: dict[str, list[AwsDict]] = field(default_factory=dict)  # by cluster ARN
    tasks: dict[str, list[AwsDict]] = field(default_factory=dict)
    instances: dict[str, list[AwsDict]] = field(default_factory=dict)
    load_balancers: list[AwsDict] = field(default_factory=list)
    target_groups: list[AwsDict] = field(default_factory=list)
    routes: Routes = field(default_factory=Routes)
    zones: list[tuple[str, list[AwsDict]]] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    latest: dict[str, int] = field(default_factory=dict)  # family -> newest ACTIVE revision
    schedules: list[ScheduledTask] | None = field(default_factory=list)  # None: unknown
    warnings: list[str] = field(default_factory=list)  # unknown parts that fail nothing

    failed: dict[str, OpskitError] = field(default_factory=dict)  # API family -> first failure
