"""ELBv2 calls the change engine makes: target group attributes and target health.

DescribeTargetHealth and DescribeTargetGroupAttributes take one target group per call,
so callers ask only for the groups a change touches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opskit.aws.errors import translate

DELAY_KEY = "deregistration_delay.timeout_seconds"


def target_groups(elb: Any, arns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every target group of the account and region (or the given ARNs), 400 a page."""
    groups: list[dict[str, Any]] = []
    try:
        if arns:
            for start in range(0, len(arns), 20):
                chunk = list(arns[start : start + 20])
                groups.extend(elb.describe_target_groups(TargetGroupArns=chunk)["TargetGroups"])
            return groups
        pages = elb.get_paginator("describe_target_groups").paginate(
            PaginationConfig={"PageSize": 400}
        )
        for page in pages:
            groups.extend(page["TargetGroups"])
    except Exception as error:
        raise translate(error, "listing target groups") from None
    return groups


def deregistration_delay(elb: Any, arn: str) -> int:
    """A target group's deregistration delay (draining timeout) in seconds."""
    try:
        attributes = elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    except Exception as error:
        raise translate(error, f"reading attributes of {arn}") from None
    values = {a["Key"]: a["Value"] for a in attributes}
    return int(values.get(DELAY_KEY, 300))


def set_deregistration_delay(elb: Any, arn: str, seconds: int) -> None:
    """Set a target group's deregistration delay."""
    try:
        elb.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": str(seconds)}]
        )
    except Exception as error:
        raise translate(error, f"setting the draining timeout of {arn}") from None


def target_health(elb: Any, arn: str) -> list[dict[str, Any]]:
    """The targets of one target group with their health state and reason."""
    try:
        answer = elb.describe_target_health(TargetGroupArn=arn)
    except Exception as error:
        raise translate(error, f"reading target health of {arn}") from None
    return list(answer["TargetHealthDescriptions"])
