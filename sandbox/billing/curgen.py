"""The line-item engine behind ``costdata``: resources -> daily CUR 2.0 rows, vectorised.

A ``Catalog`` lists every billable thing once (a host, a Fargate service, a bucket, a fee);
``period_table`` turns it into one month of line items with numpy, adds the lines that
depend on others (Savings Plan negation and fees, RI fees, tax, support, credits, refund)
and hands them to ``curlayout`` for the CUR 2.0 columns.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.billing.curlayout import DATADOG, LT, Rows, to_table

if TYPE_CHECKING:
    from sandbox.billing.costdata import Account, BillSpec

HOURLY = {
    "t3.medium": 0.0456,
    "t3.large": 0.0912,
    "m5.large": 0.107,
    "m5.xlarge": 0.214,
    "m5.2xlarge": 0.428,
    "c5.large": 0.096,
    "c5.xlarge": 0.192,
}
SP_RATE, RI_RATE, PRIVATE_DISCOUNT, TAX_RATE = 0.72, 0.62, 0.05, 0.08
GROWTH = 1.025  # per month, on usage-driven lines
RI_MONTH = 3  # the RI is bought in the 4th month of the window, on day 10


@dataclass
class Resource:
    """One billable thing; ``units`` per day (per month for ``monthly`` lines)."""

    account: str
    product: str
    usage_type: str
    unit: str
    rate: float  # on-demand price per unit
    units: float
    operation: str = ""
    family: str = ""
    instance_type: str = ""
    resource_id: str = ""
    team: str = ""
    service: str = ""
    mode: str = "od"  # od | sp (Savings Plan covers it) | ri (Reserved Instance covers it)
    variable: bool = True  # grows and wobbles
    monthly: bool = False  # one line on day 1
    start: int = 0  # first month index it exists
    jump: float = 1.0  # multiplier from the jump month on
    kind: str = "usage"  # usage | sp_fee | ri_fee | support


def _hex(text: str, width: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:width]


def _hosts(acct: Account, region: str, jump: int) -> list[Resource]:
    """EC2 container instances and their volumes; prod gains 4 api hosts in the jump month."""
    out = []
    prod = acct.name == "prod"
    hosts = [*acct.hosts, *((("api", "m5.xlarge", -4),) if prod else ())]
    for concern, itype, count in hosts:
        for n in range(abs(count)):
            new = count < 0
            mode = "sp" if prod and concern in ("api", "app") and not new else "od"
            mode = "ri" if acct.name == "stage" and concern == "cdn" else mode
            rid = f"i-{_hex(acct.account_id + concern + str(n) + str(new), 17)}"
            team = concern if acct.kind != "unmapped" else ""
            start = jump if new else 0
            out.append(
                Resource(
                    acct.account_id,
                    "AmazonEC2",
                    f"EU-BoxUsage:{itype}",
                    "Hrs",
                    HOURLY.get(itype, 0.1),
                    24.0,
                    "RunInstances",
                    "Compute Instance",
                    itype,
                    rid,
                    team,
                    mode=mode,
                    variable=False,
                    start=start,
                )
            )
            out.append(
                Resource(
                    acct.account_id,
                    "AmazonEC2",
                    "EU-EBS:VolumeUsage.gp3",
                    "GB-Mo",
                    0.088,
                    50 / 30.4,
                    "CreateVolume-Gp3",
                    "Storage",
                    "",
                    f"vol-{_hex(rid, 17)}",
                    team,
                    variable=False,
                    start=start,
                )
            )
    return out


def _services(acct: Account, region: str) -> list[Resource]:
    """Workers on Fargate; services behind a load balancer run on EC2 and pay for the ALB."""
    out = []
    a, prod = acct.account_id, acct.name == "prod"
    for name, team, desired, cpu, memory, behind_lb in acct.services:
        if not behind_lb:
            arn = f"arn:aws:ecs:{region}:{a}:service/{name}"
            for usage_type, rate, units in (
                ("EU-Fargate-vCPU-Hours:perCPU", 0.04048, desired * cpu / 1024 * 24),
                ("EU-Fargate-GB-Hours", 0.004445, desired * memory / 1024 * 24),
            ):
                out.append(
                    Resource(
                        a,
                        "AmazonECS",
                        usage_type,
                        "hours",
                        rate,
                        units,
                        "FargateTask",
                        "Compute",
                        "",
                        arn,
                        team,
                        name,
                    )
                )
            continue
        arn = f"arn:aws:elasticloadbalancing:{region}:{a}:loadbalancer/app/{name}/{_hex(a, 16)}"
        family = "Load Balancer-Application"
        out.append(
            Resource(
                a,
                "AWSELB",
                "EU-LoadBalancerUsage",
                "Hrs",
                0.0252,
                24.0,
                "LoadBalancing:Application",
                family,
                "",
                arn,
                team,
                name,
                variable=False,
            )
        )
        out.append(
            Resource(
                a,
                "AWSELB",
                "EU-LCUUsage",
                "LCU-Hrs",
                0.008,
                24.0 * max(1, desired),
                "LoadBalancing:Application",
                family,
                "",
                arn,
                team,
                name,
                jump=1.3 if prod else 1.0,
            )
        )
    return out


def _shared(acct: Account) -> list[Resource]:
    """DNS, data transfer, buckets, logs: mostly untagged."""
    a, prod = acct.account_id, acct.name == "prod"
    size = {"env": 1.0, "ops": 0.3, "unmapped": 0.2}[acct.kind] * (3.0 if prod else 1.0)
    out = []
    if acct.kind == "env":
        out += [
            Resource(
                a,
                "AmazonRoute53",
                "HostedZone",
                "HostedZone",
                0.5,
                1.0,
                family="DNS Zone",
                monthly=True,
                variable=False,
            ),
            Resource(
                a, "AmazonRoute53", "DNS-Queries", "Queries", 0.4e-6, 4e6 * size, family="DNS Query"
            ),
            Resource(
                a,
                "AWSDataTransfer",
                "EU-DataTransfer-Out-Bytes",
                "GB",
                0.09,
                40 * size,
                family="Data Transfer",
                jump=1.5 if prod else 1.0,
            ),
            Resource(
                a,
                "AmazonS3",
                "EU-TimedStorage-ByteHrs",
                "GB-Mo",
                0.023,
                800 * size / 30.4,
                family="Storage",
                resource_id=f"acme-{acct.name}-assets",
                team="cdn",
            ),
        ]
    out += [
        Resource(
            a,
            "AmazonS3",
            "EU-Requests-Tier1",
            "Requests",
            5e-6,
            2e5 * size,
            "PutObject",
            "API Request",
            resource_id=f"acme-{acct.name}-logs",
        ),
        Resource(
            a,
            "AmazonCloudWatch",
            "EU-DataProcessing-Bytes",
            "GB",
            0.57,
            6 * size,
            "PutLogEvents",
            "Data Payload",
        ),
    ]
    return out


class Catalog:
    """Every billable resource, once, and its numbers as parallel numpy columns."""

    def __init__(self, spec: BillSpec, resources: list[Resource]) -> None:
        self.resources = resources
        self.jump_month = spec.months - 5
        self.ops = next(a.account_id for a in spec.accounts if a.kind == "ops")
        self.arr = {
            name: np.array([getattr(r, name) for r in resources])
            for name in ("rate", "units", "variable", "monthly", "start", "jump")
        }
        self.mode = np.array([r.mode for r in resources])
        self.usage = np.array([r.kind == "usage" for r in resources])
        self.aws = np.array([r.product != DATADOG[0] for r in resources])
        self.account = np.array([r.account for r in resources])
        self.product = np.array([r.product for r in resources])
        self.index = {(r.kind, r.product): i for i, r in enumerate(resources) if r.kind != "usage"}
        covered = [r.rate * r.units for r in resources if r.mode == "sp"]
        self.sp_commitment = round(sum(covered) * SP_RATE * 1.06, 2)  # per day
        ri_hosts = [r.rate for r in resources if r.mode == "ri" and "BoxUsage" in r.usage_type]
        self.ri_hourly = sum(ri_hosts) * RI_RATE
        self.layout: dict[str, Any] = {}  # curlayout's per-resource arrays, built once

    @classmethod
    def build(cls, spec: BillSpec) -> Catalog:
        res: list[Resource] = []
        jump = spec.months - 5
        for acct in spec.accounts:
            start = len(res)
            res += _hosts(acct, spec.region, jump) + _services(acct, spec.region) + _shared(acct)
            if acct.kind == "ops":
                for r in res[start:]:
                    r.team = "platform"
        ops = next(a.account_id for a in spec.accounts if a.kind == "ops")
        hosts = sum(abs(c) for a in spec.accounts if a.kind == "env" for _, _, c in a.hosts)
        res += [
            Resource(
                ops,
                DATADOG[0],
                "Datadog-Pro-Host",
                "Hosts",
                23.0,
                float(hosts),
                family="SaaS",
                team="platform",
                monthly=True,
                variable=False,
            ),
            Resource(
                ops,
                "ComputeSavingsPlans",
                "ComputeSP:1yrPartialUpfront",
                "Hrs",
                0,
                0,
                family="Savings Plan",
                kind="sp_fee",
                variable=False,
            ),
            Resource(
                ops,
                "AmazonEC2",
                "EU-HeavyUsage:c5.large",
                "Hrs",
                0,
                0,
                "RunInstances",
                "Compute Instance",
                "c5.large",
                kind="ri_fee",
                variable=False,
            ),
            Resource(
                ops,
                "AWSSupportBusiness",
                "Dollar",
                "Dollar",
                1,
                0,
                family="AWS Support",
                kind="support",
                variable=False,
            ),
        ]
        return cls(spec, res)

    def daily_rows(self) -> int:
        """Line items per day at scale 1 (to size a bill)."""
        return int(np.sum(self.usage & ~self.arr["monthly"]))


def period_table(spec: BillSpec, cat: Catalog, month: int, period: str, scale: int) -> Any:
    """One billing period of line items as a pyarrow Table in the CUR 2.0 layout."""
    year, mon = (int(p) for p in period.split("-"))
    days_in = calendar.monthrange(year, mon)[1]
    current = month == spec.months - 1
    days = np.arange(1, (spec.today.day if current else days_in) + 1)
    rng = np.random.default_rng([spec.seed, month])
    a = cat.arr
    idx = np.flatnonzero(cat.usage & (a["start"] <= month))
    daily, monthly = idx[~a["monthly"][idx]], idx[a["monthly"][idx]]
    res = np.concatenate([np.repeat(daily, len(days)), monthly])
    day = np.concatenate([np.tile(days, len(daily)), np.ones(len(monthly), dtype=np.int64)])
    wobble = np.clip(rng.normal(1, 0.06, len(res)), 0.7, 1.3)
    factor = np.where(a["variable"][res], GROWTH**month * wobble, 1.0)
    factor = factor * np.where(month >= cat.jump_month, a["jump"][res], 1.0)
    units = a["units"][res] * factor
    od_cost = units * a["rate"][res]
    mode = cat.mode[res]
    late = (month > RI_MONTH) | ((month == RI_MONTH) & (day >= 12))  # hosts moved 2 days late
    ri_live = (mode == "ri") & late
    sp_live = mode == "sp"
    rows = Rows(len(res), res=res, day=day, units=units)
    rows.line_type = np.where(
        sp_live,
        LT["SavingsPlanCoveredUsage"],
        np.where(ri_live, LT["DiscountedUsage"], LT["Usage"]),
    )
    rows.unblended = np.where(ri_live, 0.0, od_cost)  # an RI's cost is on its RIFee line
    discounted = (rows.line_type == LT["Usage"]) & cat.aws[res]
    rows.net_unblended = np.where(discounted, od_cost * (1 - PRIVATE_DISCOUNT), rows.unblended)
    rows.sp_eff = np.where(sp_live, od_cost * SP_RATE, np.nan)
    rows.ri_eff = np.where(ri_live, od_cost * RI_RATE, np.nan)
    rows.tagged[:] = True
    blocks = [rows, *_savings_plan(cat, rows, sp_live, days, days_in, month)]
    if month >= RI_MONTH:
        blocks += _ri_lines(cat, month, days_in)
    if not current:
        blocks += _month_end_lines(spec, cat, month, Rows.concat(blocks))
    everything = Rows.concat(blocks)
    if scale > 1:
        everything = everything.split(scale, rng)
    return to_table(spec, cat, everything, period, days_in, scale)


def _savings_plan(
    cat: Catalog, rows: Rows, live: Any, days: Any, days_in: int, month: int
) -> list[Rows]:
    """Negation of covered usage, the daily recurring fee, and the upfront fee once."""
    if not live.any():
        return []
    neg = rows.take(np.flatnonzero(live))
    neg.line_type[:] = LT["SavingsPlanNegation"]
    neg.unblended = -neg.unblended
    neg.net_unblended = neg.unblended.copy()
    neg.sp_eff[:] = np.nan
    used = np.bincount(rows.day[live], weights=rows.sp_eff[live], minlength=days_in + 1)[days]
    fee = Rows(len(days), res=cat.index[("sp_fee", "ComputeSavingsPlans")], day=days)
    fee.line_type[:] = LT["SavingsPlanRecurringFee"]
    fee.unblended[:] = fee.net_unblended[:] = cat.sp_commitment / 2  # half paid upfront
    fee.sp_total[:], fee.sp_used = cat.sp_commitment, used
    out = [neg, fee]
    if month == 0:
        upfront = Rows(1, res=fee.res[0])
        upfront.line_type[:] = LT["SavingsPlanUpfrontFee"]
        upfront.unblended[:] = upfront.net_unblended[:] = cat.sp_commitment / 2 * 365
        out.append(upfront)
    return out


def _ri_lines(cat: Catalog, month: int, days_in: int) -> list[Rows]:
    """The monthly RIFee (with the unused hours of the purchase month) and the upfront Fee."""
    res = cat.index[("ri_fee", "AmazonEC2")]
    half = cat.ri_hourly / 2  # partial upfront: half upfront, half recurring
    hours = (days_in - (9 if month == RI_MONTH else 0)) * 24
    unused = 48 if month == RI_MONTH else 0
    fee = Rows(1, res=res)
    fee.line_type[:] = LT["RIFee"]
    fee.unblended[:] = fee.net_unblended[:] = half * hours
    fee.ri_unused_upfront[:] = fee.ri_unused_recurring[:] = half * unused
    fee.ri_arn[:] = True
    if month != RI_MONTH:
        return [fee]
    upfront = Rows(1, res=res, day=np.array([10]))
    upfront.line_type[:] = LT["Fee"]
    upfront.unblended[:] = upfront.net_unblended[:] = half * 8760
    upfront.ri_arn[:] = True
    return [fee, upfront]


def _month_end_lines(spec: BillSpec, cat: Catalog, month: int, rows: Rows) -> list[Rows]:
    """Credits, the refund, support and tax: known once the month has closed."""
    accounts, products = cat.account[rows.res], cat.product[rows.res]
    names = {a.name: a.account_id for a in spec.accounts}
    out: list[Rows] = []

    def first(where: Any) -> int:
        hits = np.flatnonzero(where)
        return int(rows.res[hits[0]]) if len(hits) else -1

    def line(res: int, line_type: str, amount: float) -> None:
        one = Rows(1, res=res)
        one.line_type[:] = LT[line_type]
        one.unblended[:] = one.net_unblended[:] = round(amount, 6)
        out.append(one)

    def spent(where: Any) -> float:
        return float(rows.unblended[where].sum())

    dev, prod = names.get("dev"), names.get("prod")
    if dev and 1 <= month <= 6:  # promotional credits on dev's EC2
        where = (accounts == dev) & (products == "AmazonEC2")
        line(first(where), "Credit", -0.3 * spent(where))
    if prod and month == spec.months - 4:  # a refund for a load balancer incident
        where = (accounts == prod) & (products == "AWSELB")
        line(first(where), "Refund", -0.1 * spent(where))
    aws = spent(products != DATADOG[0])
    support = max(100.0, 0.1 * min(aws, 10_000) + 0.07 * max(aws - 10_000, 0))
    line(cat.index[("support", "AWSSupportBusiness")], "Fee", support)
    for account in sorted(set(accounts)):
        for product in sorted(set(products[accounts == account]) - {DATADOG[0]}):
            where = (accounts == account) & (products == product)
            if spent(where) > 0:
                line(first(where), "Tax", TAX_RATE * spent(where))
    return out
