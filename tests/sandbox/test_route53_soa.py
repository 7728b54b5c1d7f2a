"""A zone's SOA record reads as AWS writes it: seven plain fields, not moto's wrapped dict.

AWS (Route 53 developer guide, "NS and SOA records that Route 53 creates for a public
hosted zone"): ``ns-2048.awsdns-64.net. awsdns-hostmaster.amazon.com. 1 7200 900 1209600
86400`` (primary name server, hostmaster, serial, refresh, retry, expire, minimum TTL).
"""

from __future__ import annotations

from typing import Any


def test_the_seeded_zone_soa_is_seven_plain_fields(alice: Any) -> None:
    r53 = alice.client("route53", env="dev")
    zones = r53.list_hosted_zones()["HostedZones"]
    assert zones
    for zone in zones:
        records = r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        (soa,) = [r for r in records if r["Type"] == "SOA"]
        (value,) = [v["Value"] for v in soa["ResourceRecords"]]
        fields = value.split()
        assert len(fields) == 7, value
        assert fields[0].startswith("ns-") and fields[0].endswith(".")
        assert fields[1] == "awsdns-hostmaster.amazon.com."
        assert [int(f) for f in fields[2:]] == [1, 7200, 900, 1209600, 86400]
