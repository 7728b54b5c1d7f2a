"""The ELBv2 gateway: load balancers, target groups, health, attributes; reads and writes.

Lists ask for the largest page (400) and follow every marker. Listeners and their rules
(one call each per balancer and listener) say which host names reach which target group.
Target health and target group attributes cost one call per target group (all ELBv2 reads
share one 40/10 bucket), so the estate asks for them only at detail depth, and changes only
for the groups they touch. ``ElbReader`` serves the estate; the module functions (a client
first) serve the change engine; both read through the same calls below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_elbv2 import ElasticLoadBalancingv2Client
    from types_boto3_elbv2.type_defs import (
        ListenerTypeDef,
        LoadBalancerTypeDef,
        RuleTypeDef,
        TargetGroupTypeDef,
        TargetHealthDescriptionTypeDef,
    )

PAGE = 400
ARNS_PER_CALL = 20  # DescribeTargetGroups with TargetGroupArns
DELAY_KEY = "deregistration_delay.timeout_seconds"


class ElbReader:
    """Describe calls on one ELBv2 client (one account and region)."""

    def __init__(self, client: ElasticLoadBalancingv2Client, where: str) -> None:
        self.client = client
        self.where = where

    def _pages(self, operation: str, key: str, **params: Any) -> list[Any]:
        try:
            client: Any = self.client  # operation named at run time
            paginator = client.get_paginator(operation)
            out: list[Any] = []
            for page in paginator.paginate(**params, PaginationConfig={"PageSize": PAGE}):
                out.extend(page.get(key, []))
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: ELB {operation}") from None

    def load_balancers(self) -> list[LoadBalancerTypeDef]:
        return self._pages("describe_load_balancers", "LoadBalancers")

    def target_groups(self, *, load_balancer_arn: str | None = None) -> list[TargetGroupTypeDef]:
        params = {"LoadBalancerArn": load_balancer_arn} if load_balancer_arn else {}
        return self._pages("describe_target_groups", "TargetGroups", **params)

    def listeners(self, load_balancer_arn: str) -> list[ListenerTypeDef]:
        return self._pages("describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)

    def rules(self, listener_arn: str) -> list[RuleTypeDef]:
        return self._pages("describe_rules", "Rules", ListenerArn=listener_arn)

    def target_health(self, target_group_arn: str) -> list[TargetHealthDescriptionTypeDef]:
        """One target group's targets with their health (one call)."""
        where = f"{self.where}: ELB describe_target_health"
        return _target_health(self.client, target_group_arn, where)

    def target_group_attributes(self, target_group_arn: str) -> dict[str, str]:
        """One target group's attributes as a dict (one call)."""
        where = f"{self.where}: ELB describe_target_group_attributes"
        return _attributes(self.client, target_group_arn, where)


def _target_health(
    elb: ElasticLoadBalancingv2Client, arn: str, where: str
) -> list[TargetHealthDescriptionTypeDef]:
    try:
        answer = elb.describe_target_health(TargetGroupArn=arn)
    except Exception as error:
        raise translate(error, where) from None
    return list(answer.get("TargetHealthDescriptions", []))


def _attributes(elb: ElasticLoadBalancingv2Client, arn: str, where: str) -> dict[str, str]:
    try:
        answer = elb.describe_target_group_attributes(TargetGroupArn=arn)
    except Exception as error:
        raise translate(error, where) from None
    return {a.get("Key", ""): a.get("Value", "") for a in answer.get("Attributes", [])}


# -- the calls the change engine makes --------------------------------------------------


def target_groups(
    elb: ElasticLoadBalancingv2Client, arns: Sequence[str] = ()
) -> list[TargetGroupTypeDef]:
    """Every target group of the account and region (or the given ARNs), 400 a page."""
    groups: list[TargetGroupTypeDef] = []
    try:
        if arns:
            for start in range(0, len(arns), ARNS_PER_CALL):
                chunk = list(arns[start : start + ARNS_PER_CALL])
                answer = elb.describe_target_groups(TargetGroupArns=chunk)
                groups.extend(answer["TargetGroups"])
            return groups
    except Exception as error:
        raise translate(error, "listing target groups") from None
    return ElbReader(elb, "listing target groups").target_groups()


def deregistration_delay(elb: ElasticLoadBalancingv2Client, arn: str) -> int:
    """A target group's deregistration delay (draining timeout) in seconds."""
    values = _attributes(elb, arn, f"reading attributes of {arn}")
    return int(values.get(DELAY_KEY, 300))


def set_deregistration_delay(elb: ElasticLoadBalancingv2Client, arn: str, seconds: int) -> None:
    """Set a target group's deregistration delay."""
    try:
        elb.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": str(seconds)}]
        )
    except Exception as error:
        raise translate(error, f"setting the draining timeout of {arn}") from None


def target_health(
    elb: ElasticLoadBalancingv2Client, arn: str
) -> list[TargetHealthDescriptionTypeDef]:
    """The targets of one target group with their health state and reason."""
    return _target_health(elb, arn, f"reading target health of {arn}")
