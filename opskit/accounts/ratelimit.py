"""Client-side token buckets per account, region and API family.

AWS throttles per account and region, with buckets shared by every caller. Staying under
the sustained rate ourselves keeps a dashboard from starving a deploy running elsewhere;
boto3's adaptive retry mode handles whatever throttling still happens.
"""

from __future__ import annotations

import threading
import time
from typing import Any

# (burst, sustained per second), from AWS's published limits (see field-notes.md).
RATES: dict[str, tuple[float, float]] = {
    "ecs.clusters": (50, 20),
    "ecs.services": (100, 20),
    "ecs.tasks": (100, 20),
    "ecs.read": (50, 20),
    "ecs.write": (50, 5),
    "ecs.RegisterTaskDefinition": (20, 1),
    "elasticloadbalancing": (40, 10),
    "monitoring": (50, 50),
    "route53": (5, 5),
    "logs": (25, 10),
}
_DEFAULT = (100.0, 50.0)
# AWS gives these ECS reads their own buckets (field-notes.md, "AWS API limits").
_ECS_READ_FAMILIES = {
    "ListClusters": "ecs.clusters",
    "DescribeClusters": "ecs.clusters",
    "ListServices": "ecs.services",
    "DescribeServices": "ecs.services",
    "ListTasks": "ecs.tasks",
    "DescribeTasks": "ecs.tasks",
    "ListContainerInstances": "ecs.tasks",
    "DescribeContainerInstances": "ecs.tasks",
}


def family(service: str, operation: str) -> str:
    """The bucket an operation draws from."""
    if service == "ecs":
        if operation == "RegisterTaskDefinition":
            return "ecs.RegisterTaskDefinition"
        if operation in _ECS_READ_FAMILIES:
            return _ECS_READ_FAMILIES[operation]
        read = operation.startswith(("Describe", "List", "Get"))
        return "ecs.read" if read else "ecs.write"
    return service


class TokenBucket:
    def __init__(self, burst: float, rate: float) -> None:
        self.capacity, self.rate = burst, rate
        self.tokens, self.stamp = burst, time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping if needed; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= 1
            wait = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if wait:
            time.sleep(wait)
        return wait


class RateLimiter:
    """One bucket per (account, region, family); thread-safe."""

    def __init__(self, scale: float = 1.0) -> None:
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self.scale = scale

    def acquire(self, account: str, region: str, service: str, operation: str) -> float:
        key = (account, region, family(service, operation))
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                burst, rate = RATES.get(key[2], _DEFAULT)
                bucket = self._buckets[key] = TokenBucket(burst * self.scale, rate * self.scale)
        return bucket.acquire()

    def hook(self, account: str, region: str) -> Any:
        """A botocore ``before-call`` handler bound to one account and region."""

        def before_call(model: Any, **_: Any) -> None:
            self.acquire(account, region, model.service_model.endpoint_prefix, model.name)

        return before_call
