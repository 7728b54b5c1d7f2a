"""Drift: how two environments' services differ beyond size (cpu, memory) and count.

Staging mirrors prod, so every other difference is worth a look: image tags, containers,
environment variable and secret *names* (values are never read into the model, so they can
never be shown), container ports, health checks (the container's and the target group's),
target group ports and draining timeouts (deregistration delay), a service behind its
family's newest revision on one side only, and services missing on one side. One
overview read of both environments, then each service's task definition and each bound
target group's attributes, all at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from opskit.aws.elbv2 import ElbReader
from opskit.estate.collect import Estate
from opskit.estate.detail import DEREGISTRATION_DELAY
from opskit.estate.model import (
    ContainerDefinition,
    EnvironmentState,
    ServiceState,
    TaskDefinitionState,
)

MISSING = "(missing)"


@dataclass(frozen=True)
class Difference:
    """One difference of one service: ``what`` differs, its value on each side."""

    service: str
    what: str
    a: str
    b: str


@dataclass(frozen=True)
class Drift:
    env_a: str
    env_b: str
    differences: tuple[Difference, ...]
    errors: dict[str, str]
    services: int  # services compared (present on both sides)


@dataclass(frozen=True)
class Shape:
    """What is compared of one service in one environment."""

    cluster: str
    definition: TaskDefinitionState | None
    groups: tuple[tuple[str, str, str, str], ...]  # (port, protocol, health path, draining)


def drift(estate: Estate, env_a: str, env_b: str) -> Drift:
    """Compare every service of ``env_a`` with the same-named one of ``env_b``."""
    snapshot = estate.snapshot([env_a, env_b])
    a, b = snapshot.env(env_a), snapshot.env(env_b)
    assert a is not None and b is not None
    services_a = {s.name: s for _, s in a.services()}
    services_b = {s.name: s for _, s in b.services()}
    both = sorted(set(services_a) & set(services_b))
    with ThreadPoolExecutor(estate.workers, thread_name_prefix="drift") as pool:
        shapes_a = dict(
            zip(both, pool.map(lambda n: _shape(estate, a, services_a[n]), both), strict=True)
        )
        shapes_b = dict(
            zip(both, pool.map(lambda n: _shape(estate, b, services_b[n]), both), strict=True)
        )
    # A side that could not be read completely proves nothing missing. Drift reads ECS and
    # ELB only: a denied Route53 or metrics changes nothing here.
    errors = {env: u.reason for env, u in snapshot.missing({"ecs", "elbv2"}).items()}
    one_sided = set() if errors else set(services_a) ^ set(services_b)
    differences = [
        Difference(name, "service", "present" if name in services_a else MISSING,
                   "present" if name in services_b else MISSING)
        for name in sorted(one_sided)
    ]  # fmt: skip
    for name in both:
        differences.extend(compare(name, shapes_a[name], shapes_b[name]))
        differences.extend(behind(name, services_a[name], services_b[name]))
    differences.sort(key=lambda d: (d.service, d.what))
    return Drift(env_a, env_b, tuple(differences), errors, len(both))


def _shape(estate: Estate, env: EnvironmentState, service: ServiceState) -> Shape:
    definition = estate.task_definition(env.name, _definition_arn(service))
    groups = []
    for group in service.target_groups:
        region = group.region or env.region  # the group's own region, not the first one
        elb = ElbReader(estate.accounts.client(env.name, "elbv2", region=region), env.name)
        delay = elb.target_group_attributes(group.arn).get(DEREGISTRATION_DELAY, "")
        groups.append((str(group.port), group.protocol, group.health_check_path, delay))
    return Shape(service.cluster, definition, tuple(sorted(groups)))


def _definition_arn(service: ServiceState) -> str:
    """The full ARN of the service's task definition, from its own ARN's prefix."""
    prefix = service.arn.split(":service/", 1)[0]
    return f"{prefix}:task-definition/{service.task_definition}"


def compare(name: str, a: Shape, b: Shape) -> Iterator[Difference]:
    """The differences between two shapes of service ``name`` (never cpu/memory/count)."""
    if a.cluster != b.cluster:
        yield Difference(name, "cluster", a.cluster, b.cluster)
    containers_a = {c.name: c for c in (a.definition.containers if a.definition else ())}
    containers_b = {c.name: c for c in (b.definition.containers if b.definition else ())}
    for container in sorted(set(containers_a) | set(containers_b)):
        left, right = containers_a.get(container), containers_b.get(container)
        if left is None or right is None:
            yield Difference(name, f"container {container}", _present(left), _present(right))
            continue
        yield from _containers(name, left, right)
    if len(a.groups) != len(b.groups):
        yield Difference(name, "target groups", str(len(a.groups)), str(len(b.groups)))
    labels = ("target group port", "target group protocol", "health check path", "draining")
    for left_group, right_group in zip(a.groups, b.groups, strict=False):
        for label, left_value, right_value in zip(labels, left_group, right_group, strict=True):
            if left_value != right_value:
                unit = " s" if label == "draining" else ""
                yield Difference(name, label, f"{left_value}{unit}", f"{right_value}{unit}")


def behind(name: str, a: ServiceState, b: ServiceState) -> Iterator[Difference]:
    """A service behind its family's newest revision on one side only (a half-done release)."""
    if a.behind != b.behind:
        yield Difference(name, "revision", a.revision_text, b.revision_text)


def _containers(name: str, a: ContainerDefinition, b: ContainerDefinition) -> Iterator[Difference]:
    where = f"{a.name}: "
    if a.tag != b.tag:
        yield Difference(name, where + "image tag", a.tag, b.tag)
    repo_a, repo_b = _repository(a.image), _repository(b.image)
    if repo_a != repo_b:
        yield Difference(name, where + "image", repo_a, repo_b)
    for label, left, right in (
        ("env var names", a.env_names, b.env_names),
        ("secret names", a.secret_names, b.secret_names),
    ):
        only_a, only_b = sorted(set(left) - set(right)), sorted(set(right) - set(left))
        if only_a or only_b:
            yield Difference(
                name, where + label, ", ".join(only_a) or "-", ", ".join(only_b) or "-"
            )
    if a.ports != b.ports:
        yield Difference(name, where + "ports", _join(a.ports), _join(b.ports))
    if a.health_check != b.health_check:
        yield Difference(name, where + "health check", " ".join(a.health_check) or "-",
                         " ".join(b.health_check) or "-")  # fmt: skip
    if a.essential != b.essential:
        yield Difference(name, where + "essential", str(a.essential), str(b.essential))


def _repository(image: str) -> str:
    """The repository's own name: registries (one per account) may differ by design."""
    base = image.split("@", 1)[0]
    last = base.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def _present(container: ContainerDefinition | None) -> str:
    return "present" if container is not None else MISSING


def _join(values: tuple[int, ...]) -> str:
    return ", ".join(str(v) for v in values) or "-"
