"""Deploy: new image tags -> a new task definition revision -> the service rolls.

For each service the plan reads the running task definition and lists, per container,
the image before -> after. Apply copies that exact revision (environment, secrets, sizes,
roles, logging, tags), swaps the images, registers it and points the service at it.
Verify waits for all the services together and, if any rollout fails, times out or
crash-loops, rolls every one back to the revision it ran before: ``rolled_back``.

Images are given as ``TAG`` (the service's main container, same repository),
``CONTAINER=TAG``, ``CONTAINER=REPO:TAG`` or ``REPO:TAG`` (the main container).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.aws import ecs as aws_ecs
from opskit.changes import validate
from opskit.changes.plan import Access, Diff, Plan
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.rollout import settle_or_roll_back, started, switch
from opskit.changes.targets import ServiceRef, locate_ref, plan_region
from opskit.errors import UsageError

_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
NEW_REVISION = "(new revision)"


@dataclass(frozen=True)
class DeployChange:
    """Deploy new images to one or more services of one environment, together."""

    env: str
    services: tuple[str, ...]
    images: tuple[str, ...]

    kind: ClassVar[str] = "deploy"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        params = plan.params
        return cls(plan.env, tuple(params["services"]), tuple(params["images"]))

    def plan(self, ctx: ChangeContext) -> Plan:
        if not self.services or not self.images:
            raise UsageError("deploy needs at least one service and one --image")
        refs = [locate_ref(ctx, self.env, name)[0] for name in self.services]
        live = read_services(ctx, refs)
        diffs: list[Diff] = []
        changed: list[str] = []
        for ref in refs:
            td = live[ref]
            images = new_images(td["containerDefinitions"], ref.service, self.images)
            if not images:
                continue
            diffs.append(
                Diff(ref.resource, "taskDefinition", td["taskDefinitionArn"], NEW_REVISION)
            )
            for container, (before, after) in images.items():
                diffs.append(Diff(ref.resource, f"image:{container}", before, after))
            tags = ", ".join(after.rsplit(":", 1)[-1] for _, after in images.values())
            changed.append(f"{ref.service} -> {tags}")
        environment = ctx.config.environment(self.env)
        return Plan(
            change=self.kind,
            summary=f"deploy {'; '.join(changed) or 'nothing new'} in {self.env}",
            env=self.env,
            account_id=environment.account_id,
            region=plan_region(environment.region, [d.resource for d in diffs]),
            access=self.access,
            diffs=tuple(diffs),
            params={"services": list(self.services), "images": list(self.images)},
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        refs = [ServiceRef.from_resource(r) for r in plan.resources]
        return task_definition_values(read_services(ctx, refs))

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        services = []
        for resource in plan.resources:
            ref = ServiceRef.from_resource(resource)
            reader = ctx.reader(self.env, "ecs", ref.where)
            previous = plan.diff(resource, "taskDefinition").before
            td, tags = aws_ecs.describe_task_definition(reader, previous)
            images = {
                d.field.removeprefix("image:"): d.after
                for d in plan.diffs
                if d.resource == resource and d.field.startswith("image:")
            }
            new = aws_ecs.register_copy(ctx.writer(self.env, "ecs", ref.where), td, tags, images)
            ctx.progress(f"{self.env} {ref.label}: registered {new.rsplit('/', 1)[-1]}")
            services.append(started(ref, previous, new, switch(ctx, ref, new)))
        return Applied({"services": services})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        return settle_or_roll_back(ctx, applied, "deploy")


def read_services(ctx: ChangeContext, refs: Sequence[ServiceRef]) -> dict[ServiceRef, Any]:
    """The running task definition of each service (services batched per cluster)."""
    by_cluster: dict[tuple[str, str, str], list[ServiceRef]] = defaultdict(list)
    for ref in refs:
        by_cluster[(ref.env, ref.region, ref.cluster)].append(ref)
    result: dict[ServiceRef, Any] = {}
    for (env, region, cluster), group in by_cluster.items():
        ecs = ctx.reader(env, "ecs", region or None)
        found = aws_ecs.describe_services(ecs, cluster, [r.service for r in group])
        for ref in group:
            if ref.service not in found:
                raise UsageError(f"service '{ref.service}' not found in {env}/{cluster}")
            td, _ = aws_ecs.describe_task_definition(ecs, found[ref.service]["taskDefinition"])
            ctx.redactor.add_values(secret_values(ctx, td))
            result[ref] = td
    return result


def task_definition_values(live: Mapping[ServiceRef, Any]) -> dict[str, Any]:
    """Diff keys -> live values: each service's task definition and container images."""
    values: dict[str, Any] = {}
    for ref, td in live.items():
        values[f"{ref.resource}#taskDefinition"] = td["taskDefinitionArn"]
        for container in td["containerDefinitions"]:
            values[f"{ref.resource}#image:{container['name']}"] = container["image"]
    return values


def secret_values(ctx: ChangeContext, td: Mapping[str, Any]) -> list[str]:
    """Values of secret-named environment variables in a task definition (to redact)."""
    return [
        str(pair.get("value", ""))
        for container in td.get("containerDefinitions", [])
        for pair in container.get("environment", [])
        if ctx.redactor.is_secret_name(str(pair.get("name", "")))
    ]


def new_images(
    containers: Sequence[Mapping[str, Any]], service: str, specs: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """container -> (image before, image after) for every container the specs change."""
    by_name = {c["name"]: str(c["image"]) for c in containers}
    main = _main_container(containers, service)
    changes: dict[str, tuple[str, str]] = {}
    for spec in specs:
        name, _, value = spec.rpartition("=")
        name = name or main
        if name not in by_name:
            known = ", ".join(by_name)
            raise UsageError(f"--image {spec}: no container '{name}' in {service} ({known})")
        after = _apply_spec(by_name[name], value)
        if after != by_name[name]:
            changes[name] = (by_name[name], after)
    return changes


def _main_container(containers: Sequence[Mapping[str, Any]], service: str) -> str:
    names: list[str] = [c["name"] for c in containers]
    if service in names:
        return service
    essential = [c["name"] for c in containers if c.get("essential", True)]
    return (essential or names)[0]


def _apply_spec(current: str, spec: str) -> str:
    """The image ``spec`` (a tag, or repository:tag) makes of ``current``."""
    if ":" in spec.rsplit("/", 1)[-1]:
        repository, _, tag = spec.rpartition(":")
    else:
        if "/" in spec:
            raise UsageError(f"--image {spec}: give a tag or REPOSITORY:TAG")
        repository, tag = _repository(current), spec
    if not _TAG.match(tag):
        raise UsageError(f"--image {spec}: '{tag}' is not a valid image tag")
    return validate.image_reference(f"{repository}:{tag}", f"--image {spec}:")


def _repository(image: str) -> str:
    """``ghcr.io/acme/api`` of ``…/api:1.42.0`` and of ``…/api@sha256:…`` (a promoted one)."""
    image = image.split("@", 1)[0]
    name, _, tag = image.rpartition(":")
    return name if name and "/" not in tag else image
