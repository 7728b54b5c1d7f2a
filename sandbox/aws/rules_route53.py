"""Route53 record paging as AWS does it.

moto 5.2.5 pages ListResourceRecordSets but accepts any MaxItems (AWS returns at most 300)
and ignores StartRecordIdentifier: a page boundary inside a set of weighted records (same
name and type, different SetIdentifier) makes the next page repeat the earlier ones. AWS
orders records by reversed name labels, type, then set identifier, and returns
NextRecordIdentifier when the next record has one.

moto 5.2.5 also wraps the zone's SOA value twice (``{'Value': 'ns-… hostmaster… 1 7200 …'}``
as the text of the value); AWS's SOA is the plain seven fields, naming
``awsdns-hostmaster.amazon.com.``.
"""

from __future__ import annotations

import ast
from typing import Any

from sandbox.aws.overrides import AwsApiError, AwsCall, override

MAX_ITEMS = 300
_EVERYTHING = "1000000"
HOSTMASTER = " awsdns-hostmaster.amazon.com."


def _key(name: str, kind: str, identifier: str) -> tuple[list[str], str, str]:
    labels = name.lower().rstrip(".").split(".")
    return list(reversed(labels)), kind, identifier


def _record_key(record: dict[str, Any]) -> tuple[list[str], str, str]:
    return _key(record["Name"], record["Type"], record.get("SetIdentifier", ""))


@override("route53", "ListResourceRecordSets")
def list_resource_record_sets(call: AwsCall) -> dict[str, Any]:
    params = dict(call.params)
    start_name = params.pop("StartRecordName", None)
    start_type = params.pop("StartRecordType", None)
    start_id = params.pop("StartRecordIdentifier", None)
    if (start_type and not start_name) or (start_id and not start_type):
        raise AwsApiError("InvalidInput", "The input is not valid")
    try:
        size = min(int(params.pop("MaxItems", MAX_ITEMS)), MAX_ITEMS)
    except ValueError:
        raise AwsApiError("InvalidInput", "MaxItems must be a number") from None
    if size < 1:
        raise AwsApiError("InvalidInput", "MaxItems must be at least 1")
    params["MaxItems"] = _EVERYTHING
    forwarded = call.forward(params).get("ResourceRecordSets", [])
    records = sorted((_plain_soa(r) for r in forwarded), key=_record_key)
    if start_name:
        start = _key(start_name, start_type or "", start_id or "")
        records = [r for r in records if _record_key(r) >= start]
    result: dict[str, Any] = {
        "ResourceRecordSets": records[:size],
        "IsTruncated": len(records) > size,
        "MaxItems": str(size),
    }
    if len(records) > size:
        following = records[size]
        result["NextRecordName"] = following["Name"]
        result["NextRecordType"] = following["Type"]
        if following.get("SetIdentifier"):
            result["NextRecordIdentifier"] = following["SetIdentifier"]
    return result


def _plain_soa(record: dict[str, Any]) -> dict[str, Any]:
    """The SOA record with its value as AWS writes it (moto's double wrap undone)."""
    if record.get("Type") != "SOA":
        return record
    values = []
    for item in record.get("ResourceRecords", []):
        value = item.get("Value", "")
        if value.startswith("{"):
            try:
                value = str(ast.literal_eval(value).get("Value", value))
            except (ValueError, SyntaxError, AttributeError):
                pass
        values.append({"Value": value.replace(" hostmaster.example.com.", HOSTMASTER)})
    return {**record, "ResourceRecords": values}
