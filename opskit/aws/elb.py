"""Read gateway over an ELBv2 client: load balancers, target groups, health, attributes.

Lists ask for the largest page (400) and follow every marker. Listeners and their rules
(one call each per balancer and listener) say which host names reach which target group.
Target health and target group attributes cost one call per target group (all ELBv2 reads
share one 40/10 bucket), so the estate asks for them only at detail depth.
"""

from __future__ import annotations

from typing import Any

from opskit.aws.errors import translate

PAGE = 400

AwsDict = dict[str, Any]


class ElbReader:
    """Describe calls on one ELBv2 client (one account and region)."""

    def __init__(self, client: Any, where: str) -> None:
        self.client = client
        self.where = where

    def _pages(self, operation: str, key: str, **params: Any) -> list[AwsDict]:
        try:
            paginator = self.client.get_paginator(operation)
            out: list[AwsDict] = []
            for page in paginator.paginate(**params, PaginationConfig={"PageSize": PAGE}):
                out.extend(page.get(key, []))
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: ELB {operation}") from None

    def load_balancers(self) -> list[AwsDict]:
        return self._pages("describe_load_balancers", "LoadBalancers")

    def target_groups(self, *, load_balancer_arn: str | None = None) -> list[AwsDict]:
        params = {"LoadBalancerArn": load_balancer_arn} if load_balancer_arn else {}
        return self._pages("describe_target_groups", "TargetGroups", **params)

    def listeners(self, load_balancer_arn: str) -> list[AwsDict]:
        return self._pages("describe_listeners", "Listeners", LoadBalancerArn=load_balancer_arn)

    def rules(self, listener_arn: str) -> list[AwsDict]:
        return self._pages("describe_rules", "Rules", ListenerArn=listener_arn)

    def target_health(self, target_group_arn: str) -> list[AwsDict]:
        """One target group's targets with their health (one call)."""
        try:
            answer = self.client.describe_target_health(TargetGroupArn=target_group_arn)
        except Exception as error:
            raise translate(error, f"{self.where}: ELB describe_target_health") from None
        return list(answer.get("TargetHealthDescriptions", []))

    def target_group_attributes(self, target_group_arn: str) -> dict[str, str]:
        """One target group's attributes as a dict (one call)."""
        try:
            answer = self.client.describe_target_group_attributes(TargetGroupArn=target_group_arn)
        except Exception as error:
            raise translate(error, f"{self.where}: ELB describe_target_group_attributes") from None
        return {a["Key"]: a.get("Value", "") for a in answer.get("Attributes", [])}
