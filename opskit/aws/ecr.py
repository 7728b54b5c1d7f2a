"""The ECR gateway: what a tag points to now (DescribeImages).

ECR image URIs name their registry: ``ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG``.
Only those can be resolved here; images in other registries are resolved by the digest
ECS reports for the running tasks alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from opskit.aws.errors import translate

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repo>[^:@]+):(?P<tag>[\w][\w.-]{0,127})$"
)


class EcrClient(Protocol):
    """The one ECR call this gateway makes (boto3's ECR client)."""

    def describe_images(self, **kwargs: object) -> Mapping[str, object]: ...


def ecr_tag(image: str) -> tuple[str, str, str, str] | None:
    """(registry account, region, repository, tag) of an ECR image URI; None otherwise."""
    match = _ECR.match(image)
    return (match["account"], match["region"], match["repo"], match["tag"]) if match else None


def tag_digest(client: EcrClient, registry: str, repository: str, tag: str) -> str | None:
    """The digest ``repository:tag`` points to now; None when ECR has no such tag."""
    try:
        answer = client.describe_images(
            registryId=registry, repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
        if code in ("ImageNotFoundException", "RepositoryNotFoundException"):
            return None
        raise translate(error, f"ECR DescribeImages {repository}:{tag}") from None
    details = answer.get("imageDetails")
    if isinstance(details, list) and details and isinstance(details[0], Mapping):
        digest = details[0].get("imageDigest")
        return str(digest) if digest else None
    return None
