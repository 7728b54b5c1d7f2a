"""The S3 gateway: list a prefix, read an object (or a byte range of it), write an object.

The CUR reader lists an export and reads parquet files by byte range (only the row groups
and columns a report needs); the runbook archive lists, reads and writes run records.
Failures become one-line ``OpskitError``s that say what was being done (``where``); the
botocore error stays the ``__cause__`` for callers that look at its code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client


def list_objects(s3: S3Client, bucket: str, prefix: str, where: str) -> list[tuple[str, int]]:
    """(key, size) of every object under ``prefix``, every page (1,000 keys a page)."""
    items: list[tuple[str, int]] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            items += [(o.get("Key", ""), int(o.get("Size", 0))) for o in page.get("Contents", [])]
    except Exception as error:
        raise translate(error, where) from error
    return items


def get_object(
    s3: S3Client, bucket: str, key: str, where: str, *, first: int = 0, last: int | None = None
) -> bytes:
    """An object's bytes, or only bytes ``first``..``last`` (inclusive) when ``last`` is set."""
    try:
        if last is None and not first:
            response = s3.get_object(Bucket=bucket, Key=key)
        else:
            end = "" if last is None else str(last)
            response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{end}")
        return response["Body"].read()
    except Exception as error:
        raise translate(error, where) from error


def put_object(s3: S3Client, bucket: str, key: str, data: bytes, content_type: str) -> None:
    """Write ``data`` as ``key`` (replacing any object there)."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    except Exception as error:
        raise translate(error, f"writing s3://{bucket}/{key}") from None
