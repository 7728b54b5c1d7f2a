"""The image digest a sandbox task reports (``containers[].imageDigest``), as ECS would.

ECS resolves an image to a ``sha256:`` manifest digest when it pulls it: a reference by
digest (``repo@sha256:…``) is that digest; a tag in one of the account's ECR repositories is
what ECR says the tag points to *at pull time* (retag it and new tasks get the new digest,
running ones keep theirs); any other registry's tag gets a stable digest of the reference,
the same in every environment, as one image pushed once would have.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/"
    r"(?P<repo>[^:@]+):(?P<tag>[\w][\w.-]*)$"
)


def image_digest(image: str) -> str:
    """The digest a task pulling ``image`` now would run."""
    _, at, digest = image.partition("@")
    if at and digest.startswith("sha256:"):
        return digest
    match = _ECR.match(image)
    if match is not None:
        found = _ecr_digest(match["account"], match["region"], match["repo"], match["tag"])
        if found:
            return found
    return "sha256:" + hashlib.sha256(image.encode()).hexdigest()


def _ecr_digest(account: str, region: str, repository: str, tag: str) -> str | None:
    from sandbox.aws.backends import moto_backend

    try:
        backend: Any = moto_backend("ecr", account, region)
        repo = backend.repositories.get(repository)
    except (KeyError, AttributeError):
        return None
    if repo is None:
        return None
    for image in reversed(repo.images):  # a retag leaves the old image untagged
        if tag in (image.image_tags or []):
            return str(image.get_image_digest())
    return None
