"""Route53 calls the traffic shift makes: the weighted sets of one record, and new weights.

All the weights of a record change in one ChangeBatch, which Route53 applies atomically,
so traffic never adds up to anything but the planned split.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opskit.aws.errors import translate
from opskit.errors import UsageError


def _fqdn(name: str) -> str:
    return name if name.endswith(".") else name + "."


def zone_of(route53: Any, record: str) -> tuple[str, str]:
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


def weighted_sets(route53: Any, zone: str, record: str) -> dict[str, dict[str, Any]]:
    """The weighted record sets named ``record`` in ``zone``, by SetIdentifier."""
    name = _fqdn(record)
    sets: dict[str, dict[str, Any]] = {}
    try:
        pages = route53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone, StartRecordName=name
        )
        for page in pages:
            for rrset in page["ResourceRecordSets"]:
                if rrset["Name"] != name:
                    return sets
                if "Weight" in rrset and "SetIdentifier" in rrset:
                    sets[rrset["SetIdentifier"]] = rrset
    except Exception as error:
        raise translate(error, f"reading {record} in zone {zone}") from None
    return sets


def set_weights(
    route53: Any, zone: str, sets: Mapping[str, Mapping[str, Any]], weights: Mapping[str, int]
) -> None:
    """UPSERT every set in ``weights`` with its new weight, in one atomic batch."""
    changes = [
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
