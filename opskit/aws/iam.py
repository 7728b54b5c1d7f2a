"""The IAM gateway (ops account): users, their groups, and the policies attached to either.

Read-only. Inline and managed policy documents come back parsed (IAM returns them
URL-encoded JSON). List calls follow ``Marker`` to the end. Callers say what they were
doing when a call fails (they translate), since one review reads many users at once.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_iam import IAMClient

Document = dict[str, Any]


class IamPolicies:
    """Policy reads on one IAM client."""

    def __init__(self, client: IAMClient) -> None:
        self.client = client

    def users(self) -> list[str]:
        """Every IAM user's name."""
        try:
            pages = self.client.get_paginator("list_users").paginate()
            return [u["UserName"] for page in pages for u in page["Users"]]
        except Exception as error:
            raise translate(error, "ops account IAM ListUsers") from None

    def user_policies(self, user: str) -> list[tuple[str, Document]]:
        """(name, document) of a user's inline policies."""
        iam = self.client
        names = _names(iam.list_user_policies, "PolicyNames", UserName=user)
        return [
            (name, _document(iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]))
            for name in names
        ]

    def user_attached(self, user: str) -> list[str]:
        """ARNs of the managed policies attached to a user."""
        return _attached(self.client.list_attached_user_policies, UserName=user)

    def user_groups(self, user: str) -> list[str]:
        """Names of the groups a user is in."""
        groups = _names(self.client.list_groups_for_user, "Groups", UserName=user)
        return [g["GroupName"] for g in groups]

    def group_policies(self, group: str) -> list[tuple[str, Document]]:
        """(name, document) of a group's inline policies."""
        iam = self.client
        names = _names(iam.list_group_policies, "PolicyNames", GroupName=group)
        return [
            (
                name,
                _document(iam.get_group_policy(GroupName=group, PolicyName=name)["PolicyDocument"]),
            )
            for name in names
        ]

    def group_attached(self, group: str) -> list[str]:
        """ARNs of the managed policies attached to a group."""
        return _attached(self.client.list_attached_group_policies, GroupName=group)

    def managed(self, arn: str) -> tuple[str, Document]:
        """A managed policy's name and the document of its default version."""
        policy = self.client.get_policy(PolicyArn=arn)["Policy"]
        version = self.client.get_policy_version(
            PolicyArn=arn, VersionId=policy.get("DefaultVersionId", "")
        )["PolicyVersion"]
        return policy.get("PolicyName", arn), _document(version.get("Document", {}))


def _names(call: Any, key: str, **params: Any) -> list[Any]:
    out: list[Any] = []
    marker: str | None = None
    while True:
        page = call(**params, **({"Marker": marker} if marker else {}))
        out += page[key]
        if not page.get("IsTruncated"):
            return out
        marker = page["Marker"]


def _attached(call: Any, **params: Any) -> list[str]:
    return [p["PolicyArn"] for p in _names(call, "AttachedPolicies", **params)]


def _document(document: Any) -> Document:
    if isinstance(document, str):
        parsed: Document = json.loads(urllib.parse.unquote(document))
        return parsed
    return dict(document)
