"""The Route53 gateway: hosted zones and record sets (every page), and weighted writes.

Route53 is global and allows 5 requests per second per account: one ListHostedZones and one
ListResourceRecordSets per zone (300 records a page) is all an overview needs. A traffic
shift changes all the weights of a record in one ChangeBatch, which Route53 applies
atomically, so traffic never adds up to anything but the planned split.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate
from opskit.errors import UsageError

if TYPE_CHECKING:
    from types_boto3_route53 import Route53Client
    from types_boto3_route53.type_defs import HostedZoneTypeDef, ResourceRecordSetOutputTypeDef

ZONE_PAGE = 100
RECORD_PAGE = 300


class DnsReader:
    """List calls on one Route53 client (one account)."""

    def __init__(self, client: Route53Client, where: str) -> None:
        self.client = client
        self.where = where

    def zones(self) -> list[HostedZoneTypeDef]:
        return self._pages("list_hosted_zones", "HostedZones", ZONE_PAGE)

    def records(self, zone_id: str) -> list[ResourceRecordSetOutputTypeDef]:
        return self._pages(
            "list_resource_record_sets", "ResourceRecordSets", RECORD_PAGE, HostedZoneId=zone_id
        )

    def _pages(self, operation: str, key: str, size: int, **params: Any) -> list[Any]:
        try:
            client: Any = self.client  # operation named at run time
            paginator = client.get_paginator(operation)
            out: list[Any] = []
            for page in paginator.paginate(**params, PaginationConfig={"PageSize": size}):
                out.extend(page.get(key, []))
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: Route53 {operation}") from None


# -- the calls the traffic shift makes ---------------------------------------------------


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def zone_of(route53: Route53Client, record: str) -> tuple[str, str]:
    """(name, id) of the hosted zone ``record`` lives in: the longest zone name it ends
    with; UsageError when the account has none."""
    name = _fqdn(record)
    best: tuple[str, str] | None = None
    try:
        for page in route53.get_paginator("list_hosted_zones").paginate():
            for hosted in page["HostedZones"]:
                zone = hosted["Name"]
                inside = name == zone or name.endswith("." + zone)
                if inside and (best is None or len(zone) > len(best[0])):
                    best = (zone, str(hosted["Id"]).rsplit("/", 1)[-1])
    except Exception as error:
        raise translate(error, f"finding the hosted zone of {record}") from None
    if best is None:
        raise UsageError(f"no hosted zone holds {record}")
    return best[0].rstrip("."), best[1]


def weighted_sets(
    route53: Route53Client, zone: str, record: str
) -> dict[str, ResourceRecordSetOutputTypeDef]:
    """The weighted record sets named ``record`` in ``zone``, by SetIdentifier."""
    name = _fqdn(record)
    sets: dict[str, ResourceRecordSetOutputTypeDef] = {}
    params: dict[str, Any] = {"HostedZoneId": zone, "StartRecordName": name}
    try:
        while True:
            page = route53.list_resource_record_sets(**params)
            for rrset in page["ResourceRecordSets"]:
                if rrset["Name"] != name:
                    return sets
                if "Weight" in rrset and "SetIdentifier" in rrset:
                    sets[rrset["SetIdentifier"]] = rrset
            if not page.get("IsTruncated"):
                return sets
            params["StartRecordName"] = page["NextRecordName"]
            params["StartRecordType"] = page["NextRecordType"]
            if "NextRecordIdentifier" in page:
                params["StartRecordIdentifier"] = page["NextRecordIdentifier"]
    except Exception as error:
        raise translate(error, f"reading {record} in zone {zone}") from None
    return sets


def set_weights(
    route53: Route53Client,
    zone: str,
    sets: Mapping[str, ResourceRecordSetOutputTypeDef],
    weights: Mapping[str, int],
) -> None:
    """UPSERT every set in ``weights`` with its new weight, in one atomic batch."""
    changes: list[Any] = [
        {"Action": "UPSERT", "ResourceRecordSet": {**sets[set_id], "Weight": weight}}
        for set_id, weight in weights.items()
    ]
    try:
        route53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={"Comment": "opskit traffic shift", "Changes": changes},
        )
    except Exception as error:
        raise translate(error, f"setting weights in zone {zone}") from None
