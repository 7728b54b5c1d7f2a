"""The Organizations gateway (ops login): the member accounts and their tags.

Read by `opskit init` to suggest environments. ListAccounts answers only in the management
account or a delegated administrator; callers say what to do otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_organizations import OrganizationsClient


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    status: str


class OrgReader:
    """List calls on one Organizations client, every page."""

    def __init__(self, client: OrganizationsClient) -> None:
        self.client = client

    def accounts(self) -> list[Account]:
        try:
            pages = self.client.get_paginator("list_accounts").paginate()
            return [
                Account(a["Id"], a.get("Name", ""), str(a.get("Status", "")))
                for page in pages
                for a in page["Accounts"]
            ]
        except Exception as error:
            raise translate(error, "reading the Organization's accounts (ListAccounts)") from None

    def tags(self, account_id: str) -> dict[str, str]:
        try:
            pages = self.client.get_paginator("list_tags_for_resource").paginate(
                ResourceId=account_id
            )
            return {t["Key"]: t["Value"] for page in pages for t in page["Tags"]}
        except Exception as error:
            raise translate(error, f"reading the tags of account {account_id}") from None
