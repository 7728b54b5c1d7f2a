"""A deterministic consolidated bill for the sandbox: 13 months of CUR 2.0 parquet.

The ops account pays for dev, stage, prod, itself and one account the config does not know
(so reports must show "unmapped"). Line items cover ECS on EC2 and Fargate, EBS, ELB,
Route 53, S3, CloudWatch, data transfer and a Marketplace product (Datadog); a Savings Plan
covers prod hosts and a Reserved Instance stage's CDN hosts (covered usage, negation,
recurring and upfront fees, RIFee); credits, a refund, tax and Business support are lines of
their own. Spend grows a little each month and jumps visibly in prod one month (a scale-out).
Tags ``team`` and ``service`` sit on most resources; S3 logs, CloudWatch, DNS and data
transfer are untagged. The same seed and date always give the same bill, at any size: more
line items split the same resources finer, so totals stay (nearly) the same.

``seed_costs(ctx)`` (called by the sandbox server) writes it to S3 at ``[costs].cur_path``
and to a local copy, and hands it to ``opskit.sandbox.cost_explorer`` so Cost Explorer
answers from the same lines.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opskit.sandbox import curgen

EXPORT = "opskit-cur"


@dataclass(frozen=True)
class Account:
    """One account in the bill and what runs in it."""

    account_id: str
    name: str
    kind: str  # "env" | "ops" | "unmapped"
    hosts: tuple[tuple[str, str, int], ...] = ()  # (cluster concern, instance type, count)
    # (service, team, desired, cpu, memory, behind a load balancer)
    services: tuple[tuple[str, str, int, int, int, bool], ...] = ()


@dataclass(frozen=True)
class BillSpec:
    """Everything that determines the bill."""

    payer: str
    accounts: tuple[Account, ...]
    today: dt.date
    months: int = 13
    region: str = "eu-west-1"
    seed: int = 20240601
    line_items: int | None = None  # target size; None: the sandbox's natural size
    extra: dict[str, Any] = field(default_factory=dict)

    def periods(self) -> list[str]:
        """The billing periods covered, oldest first (the last is the current month)."""
        index = self.today.year * 12 + self.today.month - 1
        return [
            f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - self.months + 1, index + 1)
        ]


UNMAPPED_ACCOUNT = Account(
    "555555555555", "legacy-sandbox", "unmapped", hosts=(("legacy", "t3.large", 1),)
)


def bill_spec(config: Any, today: dt.date | None = None, line_items: int | None = None) -> BillSpec:
    """The bill for a config's estate (its accounts, hosts and services)."""
    accounts: list[Account] = []
    for env in config.env_names():
        hosts = tuple(
            (cluster.concern, cluster.hosts[env].instance_type, cluster.hosts[env].count)
            for cluster in config.clusters.values()
            if env in cluster.hosts
        )
        services = tuple(
            (
                name,
                config.clusters[svc.cluster].concern
                if svc.cluster in config.clusters
                else svc.cluster,
                svc.size[env].desired,
                svc.size[env].cpu,
                svc.size[env].memory,
                svc.port is not None,
            )
            for name, svc in config.services.items()
            if env in svc.size
        )
        accounts.append(Account(config.environments[env].account_id, env, "env", hosts, services))
    ops = Account(
        config.ops.account_id, config.ops.name, "ops", hosts=(("platform", "t3.medium", 1),)
    )
    return BillSpec(
        payer=config.ops.account_id,
        accounts=(ops, *accounts, UNMAPPED_ACCOUNT),
        today=today or dt.datetime.now(dt.UTC).date(),
        region=config.ops.region,
        line_items=line_items,
    )


def generate(spec: BillSpec) -> Iterator[tuple[str, Any]]:
    """``(period, pyarrow.Table)`` for each billing period, oldest first."""
    catalog = curgen.Catalog.build(spec)
    scale = 1
    if spec.line_items:
        per_bill = catalog.daily_rows() * spec.months * 30.4
        scale = max(1, math.ceil(spec.line_items / per_bill))
    for index, period in enumerate(spec.periods()):
        yield period, curgen.period_table(spec, catalog, index, period, scale)


def write_local(spec: BillSpec, root: Path, row_group_size: int = 131_072) -> list[Path]:
    """Write the bill under ``root`` (see ``write_tables``)."""
    return write_tables(generate(spec), root, row_group_size)


def write_tables(
    tables: Iterable[tuple[str, Any]], root: Path, row_group_size: int = 131_072
) -> list[Path]:
    """``root/<export>/data/BILLING_PERIOD=YYYY-MM/<export>-00001.snappy.parquet`` per period."""
    import pyarrow.parquet as pq

    written = []
    for period, table in tables:
        folder = root / EXPORT / "data" / f"BILLING_PERIOD={period}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{EXPORT}-00001.snappy.parquet"
        pq.write_table(
            table, path, compression="snappy", row_group_size=row_group_size, store_schema=False
        )
        written.append(path)
    return written


def upload(files: list[Path], root: Path, s3_client: Any, cur_path: str) -> list[str]:
    """Copy the written files to the ``s3://bucket/prefix`` CUR location (bucket created)."""
    bucket, _, prefix = cur_path[len("s3://") :].partition("/")
    try:
        s3_client.head_bucket(Bucket=bucket)
    except Exception:
        region = s3_client.meta.region_name
        extra = (
            {}
            if region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3_client.create_bucket(Bucket=bucket, **extra)
    keys = []
    for path in files:
        key = (
            prefix.rstrip("/") + "/" + path.relative_to(root).as_posix()
            if prefix
            else path.relative_to(root).as_posix()
        )
        s3_client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        keys.append(key)
    return keys


def seed_costs(ctx: Any) -> None:
    """Sandbox seeder: the bill in S3 and on disk; Cost Explorer and Athena answer from it."""
    from opskit.sandbox import cost_athena, cost_explorer

    spec = bill_spec(ctx.config)
    root = ctx.state_dir / "sandbox" / "cur"
    shutil.rmtree(root, ignore_errors=True)
    tables = list(generate(spec))
    files = write_tables(tables, root)
    settings = ctx.config.costs
    bucket = "opskit-sandbox-cur"
    if settings.cur_path and settings.cur_path.startswith("s3://"):
        upload(files, root, ctx.admin_client("ops", "s3"), settings.cur_path)
        bucket = settings.cur_path[len("s3://") :].split("/", 1)[0]
    lines = cost_explorer.daily_lines([table for _, table in tables])
    cost_explorer.install(cost_explorer.Bill(lines, spec.payer, spec.today))
    _athena_workgroup(ctx, settings.athena.workgroup, f"s3://{bucket}/athena-results/")
    table = cost_athena.CurTable(settings.athena.database, settings.athena.table, root, spec.payer)
    cost_athena.install(table)


def _athena_workgroup(ctx: Any, name: str, output: str) -> None:
    """The configured workgroup, with a result location (as an AWS admin would set up)."""
    backend = ctx.backend("athena", "ops")
    group = backend.work_groups.get(name)
    if group is None:
        ctx.admin_client("ops", "athena").create_work_group(
            Name=name, Configuration={"ResultConfiguration": {"OutputLocation": output}}
        )
        return
    config = dict(group.configuration or {})
    if not (config.get("ResultConfiguration") or {}).get("OutputLocation"):
        config["ResultConfiguration"] = {"OutputLocation": output}
        group.configuration = config
