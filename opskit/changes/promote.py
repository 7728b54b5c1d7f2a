"""Promote: the target gets exactly the image digests the source has proved.

For each service, the plan reads what the source's running tasks of its PRIMARY deployment
report (``containers[].imageDigest``), checks that every task runs the same digest and, for
an ECR tag, that the tag still points to it (ECR DescribeImages: a tag that moved since
would make the source's next task run something unproved: refused), checks the source's
soak (``opskit.changes.soak``), and plans a new revision of the target's task definition
whose images are ``REPOSITORY@sha256:…``: never a tag that may move. Services whose target
tasks already run those digests are left out. Apply and verify are deploy's.

Any refusal (not soaked, a moved tag, two digests in the source) is a RefusedError naming
every condition that failed; the CLI exits 7 and the engine journals it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.aws import ecr as aws_ecr
from opskit.aws import ecs as aws_ecs
from opskit.changes.deploy import NEW_REVISION, DeployChange, read_services, task_definition_values
from opskit.changes.plan import Access, Diff, Plan
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.rollout import settle_or_roll_back
from opskit.changes.settled import primary_of, short_td
from opskit.changes.soak import check
from opskit.changes.targets import ServiceRef, locate_ref, plan_region
from opskit.errors import RefusedError, UsageError


def repository(image: str) -> str:
    """``ghcr.io/acme/api`` of ``ghcr.io/acme/api:1.42.0`` or ``…/api@sha256:…``."""
    name = image.split("@", 1)[0]
    head, _, tail = name.rpartition(":")
    return head if head and "/" not in tail else name


def running_digests(
    ctx: ChangeContext, ref: ServiceRef, service: Mapping[str, Any]
) -> dict[str, set[str]]:
    """container name -> digests its RUNNING tasks of the PRIMARY deployment report."""
    primary = primary_of(service)
    td = str(primary.get("taskDefinition", "")) if primary else ""
    ecs = ctx.reader(ref.env, "ecs", ref.where)
    arns = aws_ecs.service_task_arns(ecs, ref.cluster, ref.service, "RUNNING")
    found: dict[str, set[str]] = {}
    for task in aws_ecs.describe_tasks(ecs, ref.cluster, arns) if arns else []:
        if task.get("lastStatus") != "RUNNING" or task.get("taskDefinitionArn") != td:
            continue
        for container in task.get("containers", []):
            digest = container.get("imageDigest")
            if digest:
                found.setdefault(str(container.get("name")), set()).add(str(digest))
    return found


@dataclass(frozen=True)
class PromoteChange:
    """Give ``env`` (the target) the digests ``source`` runs, for some or all services."""

    source: str
    env: str
    services: tuple[str, ...] = ()
    all: bool = False

    kind: ClassVar[str] = "promote"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        params = plan.params
        return cls(
            str(params["source"]), plan.env, tuple(params["services"]), bool(params.get("all"))
        )

    def names(self, ctx: ChangeContext) -> list[str]:
        if self.all:
            both = set(ctx.config.services_in(self.source)) & set(ctx.config.services_in(self.env))
            return sorted(both)
        if not self.services:
            raise UsageError("promote needs at least one SERVICE, or --all")
        return list(self.services)

    def plan(self, ctx: ChangeContext) -> Plan:
        config = ctx.config
        config.environment(self.source)
        if self.source == self.env:
            raise UsageError(f"promote --from {self.source} --to {self.env}: the same environment")
        minutes = config.promotion.soak_for(self.source, self.env)
        diffs: list[Diff] = []
        notes: list[str] = []
        refused: list[str] = []
        changed: list[str] = []
        names = self.names(ctx)
        targets = [locate_ref(ctx, self.env, n)[0] for n in names]  # any region
        target_tds = read_services(ctx, targets)
        for name, target in zip(names, targets, strict=True):
            source = locate_ref(ctx, self.source, name)[0]
            lines, problems, images, described = self._source(ctx, source)
            if problems:  # say every condition that fails, the soak's too
                refused += problems + check(ctx, source, described, minutes).failed
                continue
            td = target_tds[target]
            now = running_digests(
                ctx,
                target,
                aws_ecs.describe_service(
                    ctx.reader(target.env, "ecs", target.where), target.cluster, target.service
                ),
            )
            wanted: dict[str, tuple[str, str]] = {}
            for container in td["containerDefinitions"]:
                cname = str(container["name"])
                if cname not in images:
                    continue
                digest, src_image = images[cname]
                after = f"{repository(src_image)}@{digest}"
                if now.get(cname) == {digest} and container["image"] in (after, src_image):
                    continue
                wanted[cname] = (str(container["image"]), after)
            target_td = short_td(td["taskDefinitionArn"])
            if not wanted:
                notes.append(f"{name}: {self.env} {target_td} already runs what {self.source} runs")
                continue
            soak = check(ctx, source, described, minutes)  # only what would be promoted
            if not soak.ok:
                refused += soak.failed
                continue
            notes += lines + [f"{name}: {line}" for line in soak.evidence]
            diffs.append(
                Diff(target.resource, "taskDefinition", td["taskDefinitionArn"], NEW_REVISION)
            )
            for cname, (before, after) in wanted.items():
                diffs.append(Diff(target.resource, f"image:{cname}", before, after))
                digest = after.rsplit("@", 1)[1]
                notes.append(
                    f"{name}: {cname} {digest[:19]}… to {self.env} {target_td} -> new revision"
                )
            changed.append(name)
        if refused:
            raise RefusedError(
                f"promote {self.source} -> {self.env} refused: " + "; ".join(refused)
            )
        environment = config.environment(self.env)
        return Plan(
            change=self.kind,
            summary=f"promote {', '.join(changed) or 'nothing'} from {self.source} to {self.env}",
            env=self.env,
            account_id=environment.account_id,
            region=plan_region(environment.region, [d.resource for d in diffs]),
            access=self.access,
            diffs=tuple(diffs),
            params={"source": self.source, "services": names, "all": self.all},
            notes=tuple(notes),
        )

    def _source(
        self, ctx: ChangeContext, ref: ServiceRef
    ) -> tuple[list[str], list[str], dict[str, tuple[str, str]], Mapping[str, Any]]:
        """(note lines, refusals, container -> (digest, source image), the described
        service) of the source."""
        ecs = ctx.reader(ref.env, "ecs", ref.where)
        service = aws_ecs.describe_service(ecs, ref.cluster, ref.service)
        td_arn = str(service["taskDefinition"])
        td, _ = aws_ecs.describe_task_definition(ecs, td_arn)
        digests = running_digests(ctx, ref, service)
        primary = primary_of(service) or {}
        notes = [
            f"{ref.service}: promotes {ref.env} deployment {primary.get('id', '?')} "
            f"({short_td(td_arn)})"
        ]
        problems: list[str] = []
        images: dict[str, tuple[str, str]] = {}
        for container in td["containerDefinitions"]:
            cname, image = str(container["name"]), str(container["image"])
            found = sorted(digests.get(cname, ()))
            if not found:
                problems.append(
                    f"{ref.env} {ref.service}: no running task reports a digest for {cname}"
                )
                continue
            if len(found) > 1:
                problems.append(
                    f"{ref.env} {ref.service}: {cname} runs {len(found)} digests "
                    f"({', '.join(d[:19] for d in found)})"
                )
                continue
            digest = found[0]
            moved = self._moved(ctx, ref, image, digest)
            if moved:
                problems.append(moved)
                continue
            images[cname] = (digest, image)
            notes.append(f"{ref.service}: {cname} {image} = {digest}")
        return notes, problems, images, service

    def _moved(self, ctx: ChangeContext, ref: ServiceRef, image: str, digest: str) -> str | None:
        """Why ``image``'s tag no longer means ``digest`` (None: it does, or is not ECR)."""
        parts = aws_ecr.ecr_tag(image)
        if parts is None:
            return None
        registry, region, repo, tag = parts  # the registry's region, from the image URI
        now = aws_ecr.tag_digest(ctx.reader(ref.env, "ecr", region), registry, repo, tag)
        if now == digest:
            return None
        said = now or "nothing"
        return (
            f"tag {repo}:{tag} moved: {ref.env} {ref.service} runs {digest}, "
            f"ECR now resolves the tag to {said}"
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        refs = [ServiceRef.from_resource(r) for r in plan.resources]
        return task_definition_values(read_services(ctx, refs))

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        return DeployChange(plan.env, (), ()).apply(ctx, plan)

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        return settle_or_roll_back(ctx, applied, "promote")
