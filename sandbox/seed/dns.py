"""Route53: a private zone per environment, service names, and weighted traffic records.

Each environment's account gets the private hosted zone ``[dns] zone`` (e.g.
``prod.acme.internal``) associated with its VPC, holding one alias A record per service
with a DNS name: ``<dns>.<zone>`` -> the ALB of the service's cluster.

Each ``[traffic.NAME]`` becomes weighted alias A records named ``record`` in the account
of ``zone_env``, one per set (SetIdentifier = the set's label, e.g. legacy/new), each
pointing at the ALB serving ``service`` in the set's environment, with the configured
weight. The record lives in ``zone_env``'s zone when its name falls inside it; otherwise
(``www.acme.internal`` beside ``prod.acme.internal``) in a private zone named after the
record's parent domain, created in the same account, since Route53 refuses a record
outside its zone. Readers find the zone of a record by the longest matching zone name.
"""

from __future__ import annotations

from typing import Any

from sandbox.seed.context import EstateContext, client
from sandbox.seed.network import Network
from sandbox.seed.plan import EnvPlan, TrafficPlan


def zone_for_record(record: str, env_zone: str) -> str:
    """The zone a record lives in: the environment's, or the record's parent domain."""
    name = record.rstrip(".")
    if name == env_zone or name.endswith("." + env_zone):
        return env_zone
    return name.split(".", 1)[1] if "." in name else name


def seed_zone(ctx: EstateContext, plan: EnvPlan, network: Network) -> str:
    """The environment's private zone and its service records; returns the zone id."""
    route53 = client(ctx, plan.name, "route53")
    zone_id = _create_zone(route53, plan, network, plan.zone)
    changes = []
    for service in plan.services:
        if not service.dns or service.port is None or service.cluster not in network.albs:
            continue
        alb = network.albs[service.cluster]
        changes.append(_alias(f"{service.dns}.{plan.zone}", alb.dns_name, alb.zone_id))
    _apply(route53, zone_id, changes)
    return zone_id


def seed_traffic(
    ctx: EstateContext, plan: EnvPlan, networks: dict[str, Network], plans: dict[str, EnvPlan]
) -> None:
    """The weighted records of every traffic shift whose zone lives in ``plan``'s account."""
    route53 = client(ctx, plan.name, "route53")
    zones = {z["Name"].rstrip("."): z["Id"] for z in route53.list_hosted_zones()["HostedZones"]}
    for traffic in plan.traffic:
        zone_name = zone_for_record(traffic.record, plan.zone)
        zone_id = zones.get(zone_name)
        if zone_id is None:
            zone_id = zones[zone_name] = _create_zone(route53, plan, networks[plan.name], zone_name)
        _apply(route53, zone_id, _weighted(traffic, networks, plans))


def _weighted(
    traffic: TrafficPlan, networks: dict[str, Network], plans: dict[str, EnvPlan]
) -> list[dict[str, Any]]:
    changes = []
    for weighted in traffic.sets:
        target_plan = plans.get(weighted.env)
        if target_plan is None:
            continue
        service = next((s for s in target_plan.services if s.name == traffic.service), None)
        if service is None or service.cluster not in networks[weighted.env].albs:
            continue
        alb = networks[weighted.env].albs[service.cluster]
        change = _alias(traffic.record, alb.dns_name, alb.zone_id)
        change["ResourceRecordSet"].update(SetIdentifier=weighted.label, Weight=weighted.weight)
        changes.append(change)
    return changes


def _create_zone(route53: Any, plan: EnvPlan, network: Network, name: str) -> str:
    answer = route53.create_hosted_zone(
        Name=name,
        CallerReference=f"opskit-sandbox-{plan.name}-{name}",
        HostedZoneConfig={"Comment": f"{plan.name} private zone", "PrivateZone": True},
        VPC={"VPCRegion": plan.region, "VPCId": network.vpc_id},
    )
    return str(answer["HostedZone"]["Id"]).split("/")[-1]


def _alias(name: str, dns_name: str, zone_id: str) -> dict[str, Any]:
    return {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": name,
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": zone_id,
                "DNSName": f"dualstack.{dns_name}",
                "EvaluateTargetHealth": True,
            },
        },
    }


def _apply(route53: Any, zone_id: str, changes: list[dict[str, Any]]) -> None:
    for start in range(0, len(changes), 500):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": changes[start : start + 500]}
        )
