"""A deterministic consolidated bill for the sandbox: 13 months of CUR 2.0 parquet.

The ops account pays for dev, stage, prod, itself and one account the config does not know
(so reports must show "unmapped"). Line items cover ECS on EC2 and Fargate, EBS, ELB,
Route 53, S3, CloudWatch, data transfer and a Marketplace product (Datadog); a one-year
Savings Plan, bought on the window's first day, covers prod hosts until its term ends (then
they bill on demand), and a Reserved Instance stage's CDN hosts (covered usage, negation,
recurring and upfront fees, RIFee); credits, a refund, tax and Business support are lines of
their own. Spend grows a little each month and jumps visibly in prod one month (a scale-out).
Tags ``team`` and ``service`` sit on most resources; S3 logs, CloudWatch, DNS and data
transfer are untagged. The same seed and date always give the same bill, at any size: more
line items split the same resources finer, so totals stay (nearly) the same.

``seed_costs(ctx)`` (called by the sandbox server) writes it to S3 at ``[costs].cur_path``
and to a local copy, and hands it to ``sandbox.billing.cost_explorer`` so Cost Explorer
answers from the same lines.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.billing import curgen
from sandbox.billing.catalog import Catalog
from sandbox.billing.spec import UNMAPPED_ACCOUNT, Account, BillSpec

if TYPE_CHECKING:
    from opskit.config import Config
    from sandbox.plugins import SandboxContext

EXPORT = "opskit-cur"
TAGS = ("team", "service")  # the cost allocation tags Cost Explorer knows


def bill_spec(
    config: Config, today: dt.date | None = None, line_items: int | None = None
) -> BillSpec:
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
    catalog = Catalog.build(spec)
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


# -- Cost Explorer's view of the same line items ------------------------------------

_CE_SERVICES = {
    "AmazonECS": "Amazon Elastic Container Service",
    "AWSELB": "Amazon Elastic Load Balancing",
    "AmazonRoute53": "Amazon Route 53",
    "AmazonS3": "Amazon Simple Storage Service",
    "AmazonCloudWatch": "AmazonCloudWatch",
    "AWSDataTransfer": "AWS Data Transfer",
    "ComputeSavingsPlans": "Savings Plans for AWS Compute usage",
    "AWSSupportBusiness": "AWS Support (Business)",
}


def ce_service(product: str, usage_type: str, line_type: str, names: dict[str, str]) -> str:
    """Cost Explorer's SERVICE for a CUR line (EC2 splits into Compute and Other)."""
    if line_type == "Tax":
        return "Tax"
    if product == "AmazonEC2":
        compute = "BoxUsage" in usage_type or "HeavyUsage" in usage_type
        return "Amazon Elastic Compute Cloud - Compute" if compute else "EC2 - Other"
    return _CE_SERVICES.get(product, names.get(product, product))


def ce_record_type(line_type: str, product: str, reservation: bool) -> str:
    """Cost Explorer's RECORD_TYPE for a CUR line."""
    if line_type == "RIFee":
        return "Recurring reservation fee"
    if line_type == "Fee" and reservation:
        return "Upfront reservation fee"
    if line_type == "Fee" and product.startswith("AWSSupport"):
        return "Support fee"
    return line_type


def daily_lines(tables: list[Any]) -> Any:
    """Aggregate generated CUR tables into Cost Explorer's daily rows."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.acero as ac
    import pyarrow.compute as pc

    from sandbox.billing.amortized import cid_expression

    table = pa.concat_tables(tables, promote_options="permissive")
    present = set(table.column_names).__contains__
    keys = {
        "day": pc.field("line_item_usage_start_date").cast(pa.date32()),
        "account": pc.field("line_item_usage_account_id"),
        "line_type": pc.field("line_item_line_item_type"),
        "product": pc.field("line_item_product_code"),
        "usage_type": pc.field("line_item_usage_type"),
        "region": pc.field("product_region_code"),
        "reservation": pc.not_equal(pc.field("reservation_reservation_a_r_n"), pc.scalar("")),
        "product_name": pc.map_lookup(pc.field("product"), pa.scalar("product_name"), "first"),
        **{
            f"tag:{t}": pc.coalesce(
                pc.map_lookup(pc.field("resource_tags"), pa.scalar(f"user_{t}"), "first"),
                pc.scalar(""),
            )
            for t in TAGS
        },
    }
    unblended = pc.field("line_item_unblended_cost")
    values = {
        "unblended": unblended,
        "amortized": cid_expression("amortized", present),
        "net": cid_expression("net", present),
        "net_unblended": pc.coalesce(pc.field("line_item_net_unblended_cost"), unblended)
        if present("line_item_net_unblended_cost")
        else unblended,
        "usage": pc.field("line_item_usage_amount")
        if present("line_item_usage_amount")
        else pc.scalar(0.0),
    }
    names = [f"k{i}" for i in range(len(keys))] + [f"v{i}" for i in range(len(values))]
    plan = ac.Declaration.from_sequence(
        [
            ac.Declaration("table_source", ac.TableSourceNodeOptions(table)),
            ac.Declaration(
                "project", ac.ProjectNodeOptions([*keys.values(), *values.values()], names)
            ),
            ac.Declaration(
                "aggregate",
                ac.AggregateNodeOptions(
                    [(f"v{i}", "hash_sum", None, v) for i, v in enumerate(values)],
                    keys=[f"k{i}" for i in range(len(keys))],
                ),
            ),
        ]
    )
    out = plan.to_table()
    renamed = {f"k{i}": k for i, k in enumerate(keys)}
    frame = out.rename_columns([renamed.get(n, n) for n in out.column_names]).to_pandas()
    names_by_code = dict(zip(frame["product"], frame["product_name"].fillna(""), strict=True))
    combos = frame[["product", "usage_type", "line_type", "reservation"]].drop_duplicates()
    service = {
        tuple(c): ce_service(c[0], c[1], c[2], names_by_code)
        for c in combos.itertuples(index=False)
    }
    record = {
        tuple(c): ce_record_type(c[2], c[0], bool(c[3])) for c in combos.itertuples(index=False)
    }
    key = list(
        zip(
            frame["product"],
            frame["usage_type"],
            frame["line_type"],
            frame["reservation"],
            strict=True,
        )
    )
    frame["service"] = [service[k] for k in key]
    frame["record_type"] = [record[k] for k in key]
    dims = [
        "day",
        "account",
        "service",
        "record_type",
        "region",
        "usage_type",
        *(f"tag:{t}" for t in TAGS),
    ]
    metrics = ["unblended", "amortized", "net", "net_unblended", "usage"]
    summed = frame.groupby(dims, as_index=False)[metrics].sum()
    summed["day"] = pd.to_datetime(summed["day"]).astype("datetime64[ns]")
    return summed


def seed_costs(ctx: SandboxContext) -> None:
    """Sandbox seeder: the bill in S3 and on disk; Cost Explorer and Athena answer from it.

    The local copy is ``<state>/sandbox/cur`` (point a local ``cur_path`` there); the S3
    copy goes to ``[costs].cur_path`` when that is an ``s3://`` prefix.
    """
    from sandbox.billing import athena as cost_athena
    from sandbox.billing import cost_explorer, live

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

    def bill() -> cost_explorer.Bill:
        lines = daily_lines([table for _, table in tables])
        return cost_explorer.Bill(lines, spec.payer, spec.today)

    cost_explorer.install_later(bill)
    s3 = ctx.admin_client("ops", "s3") if (settings.cur_path or "").startswith("s3://") else None
    older: list[Any] = []

    def publish(period: str, table: Any, today: dt.date) -> None:
        """The current month regenerated from what runs: everywhere the seed put it."""
        import pandas as pd

        files = write_tables([(period, table)], root)
        if s3 is not None and settings.cur_path:
            upload(files, root, s3, settings.cur_path)
        if not older:
            older.append(daily_lines([t for p, t in tables if p != period]))
        lines = pd.concat([older[0], daily_lines([table])], ignore_index=True)
        cost_explorer.install(cost_explorer.Bill(lines, spec.payer, today))

    live.start(ctx, spec, publish)
    _athena_workgroup(ctx, settings.athena.workgroup, f"s3://{bucket}/athena-results/")
    table = cost_athena.CurTable(settings.athena.database, settings.athena.table, root, spec.payer)
    cost_athena.install(table)


def _athena_workgroup(ctx: SandboxContext, name: str, output: str) -> None:
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
