"""Read gateway over a Route53 client: hosted zones and their record sets, every page.

Route53 is global and allows 5 requests per second per account: one ListHostedZones and one
ListResourceRecordSets per zone (300 records a page) is all an overview needs.
"""

from __future__ import annotations

from typing import Any

from opskit.aws.errors import translate

ZONE_PAGE = 100
RECORD_PAGE = 300

AwsDict = dict[str, Any]


class DnsReader:
    """List calls on one Route53 client (one account)."""

    def __init__(self, client: Any, where: str) -> None:
        self.client = client
        self.where = where

    def zones(self) -> list[AwsDict]:
        return self._pages("list_hosted_zones", "HostedZones", ZONE_PAGE)

    def records(self, zone_id: str) -> list[AwsDict]:
        return self._pages(
            "list_resource_record_sets", "ResourceRecordSets", RECORD_PAGE, HostedZoneId=zone_id
        )

    def _pages(self, operation: str, key: str, size: int, **params: Any) -> list[AwsDict]:
        try:
            paginator = self.client.get_paginator(operation)
            out: list[AwsDict] = []
            for page in paginator.paginate(**params, PaginationConfig={"PageSize": size}):
                out.extend(page.get(key, []))
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: Route53 {operation}") from None
