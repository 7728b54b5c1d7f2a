"""Diff values as a person compares them: task definition ARNs as ``family:rev``, images
as their tag or a short digest, other ARNs as their last part, lists and maps on one line.

Shared by the plan dialog and ``opskit audit show``; the saved plan and the journal keep
the full values.
"""

from __future__ import annotations

import re

DIGEST = re.compile(r"@sha256:([0-9a-f]{12})[0-9a-f]*$")


def value_text(value: object) -> str:
    """A diff value on one line (``-`` for None)."""
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "{}"
    return str(value)


def image_text(image: str, other: str | None = None) -> str:
    """An image reference as its tag (``1.42.0``) or short digest (``sha256:0123456789ab``);
    with the repository's last part too when ``other`` (the other side) is another repo."""
    digest = DIGEST.search(image)
    repo = image[: digest.start()] if digest else image
    tag = ""
    if not digest and ":" in repo.rsplit("/", 1)[-1]:
        repo, tag = repo.rsplit(":", 1)
    short = f"sha256:{digest.group(1)}" if digest else (tag or "latest")
    if other is not None and _repo(other) != repo:
        return f"{repo.rsplit('/', 1)[-1]}{'@' if digest else ':'}{short}"
    return short


def _repo(image: str) -> str:
    digest = DIGEST.search(image)
    if digest:
        return image[: digest.start()]
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image


def short_value(field: str, value: object, other: object = None) -> str:
    """``value`` of ``field`` as shown in the plan dialog (``other``: the diff's other side)."""
    if isinstance(value, str):
        if ":task-definition/" in value:
            return value.rsplit("/", 1)[-1]
        if field.startswith("image") and value and not value.startswith("("):
            return image_text(value, other if isinstance(other, str) else None)
        if value.startswith("arn:") and "/" in value:
            return value.rsplit("/", 1)[-1]
    return value_text(value)
