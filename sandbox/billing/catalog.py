"""Every billable thing in the sandbox's bill, once: hosts, services, shared resources, fees.

A ``Catalog`` holds them with their numbers as parallel numpy columns; ``curgen`` turns it
into daily line items.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from sandbox.billing.spec import DATADOG, Account, BillSpec

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
SP_TERM_MONTHS = 12  # the one-year Savings Plan, bought on day 1 of the window, then ends


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
        self.service = np.array([r.service for r in resources])  # the ECS service, if any
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
