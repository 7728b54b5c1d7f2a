"""The S3 gateway: what opskit reads and writes in S3.

- The CUR reader lists an export and reads parquet files by byte range (only the row
  groups and columns a report needs); the runbook archive lists, reads and writes runs.
- The team journal and team locks: every write that must never overwrite uses
  ``IfNoneMatch="*"`` (S3 conditional writes): two writers racing for one key get one
  success and one ``PreconditionFailed``, which these functions turn into ``False``/``None``
  rather than an error. Lease renewals use ``IfMatch`` (the ETag the holder wrote), so a
  lease taken over by someone else is never written back. The bucket has Object Lock.

Failures become one-line ``OpskitError``s that say what was being done; the botocore error
stays the ``__cause__`` for callers that look at its code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import error_code, translate

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_s3.type_defs import ObjectLockConfigurationTypeDef

CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def put_new(client: S3Client, bucket: str, key: str, body: bytes, **extra: Any) -> str | None:
    """Create ``key`` only if it does not exist; its ETag, or None when someone was first."""
    try:
        answer = client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            IfNoneMatch="*",
            ContentType="application/json",
            **extra,
        )
    except Exception as error:
        if error_code(error) in CONFLICT_CODES:
            return None
        raise translate(error, f"writing s3://{bucket}/{key}") from None
    return str(answer.get("ETag", ""))


def replace_if(
    client: S3Client, bucket: str, key: str, body: bytes, etag: str, **extra: Any
) -> str | None:
    """Overwrite ``key`` only while it still has ``etag``; the new ETag, or None if it changed."""
    try:
        answer = client.put_object(
            Bucket=bucket, Key=key, Body=body, IfMatch=etag, ContentType="application/json", **extra
        )
    except Exception as error:
        if error_code(error) in CONFLICT_CODES | MISSING_CODES:
            return None
        raise translate(error, f"renewing s3://{bucket}/{key}") from None
    return str(answer.get("ETag", ""))


def get_json(client: S3Client, bucket: str, key: str) -> tuple[dict[str, Any], str] | None:
    """The JSON object at ``key`` and its ETag, or None when there is none."""
    try:
        answer = client.get_object(Bucket=bucket, Key=key)
        body = answer["Body"].read()
    except Exception as error:
        if error_code(error) in MISSING_CODES:
            return None
        raise translate(error, f"reading s3://{bucket}/{key}") from None
    try:
        data = json.loads(body)
    except ValueError:
        data = {"_unreadable": body.decode(errors="replace")[:200]}
    if not isinstance(data, dict):
        data = {"_unreadable": str(data)[:200]}
    return data, str(answer.get("ETag", ""))


def list_keys(client: S3Client, bucket: str, prefix: str, start_after: str = "") -> Iterator[str]:
    """Every key under ``prefix`` after ``start_after``, in key order, 1000 a page."""
    options: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
    if start_after:
        options["StartAfter"] = start_after
    try:
        while True:
            page = client.list_objects_v2(**options)
            for item in page.get("Contents", []):
                yield str(item["Key"])
            if not page.get("IsTruncated"):
                return
            options.pop("StartAfter", None)
            options["ContinuationToken"] = page["NextContinuationToken"]
    except Exception as error:
        raise translate(error, f"listing s3://{bucket}/{prefix}") from None


def delete_key(client: S3Client, bucket: str, key: str, etag: str | None = None) -> bool:
    """Delete ``key`` (a delete marker when versioned), only while it has ``etag`` if given."""
    options: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if etag:
        options["IfMatch"] = etag
    try:
        client.delete_object(**options)
    except Exception as error:
        if error_code(error) in CONFLICT_CODES | MISSING_CODES:
            return False
        raise translate(error, f"deleting s3://{bucket}/{key}") from None
    return True


def versions(client: S3Client, bucket: str, key: str) -> list[str]:
    """The version ids of ``key`` (newest first)."""
    try:
        answer = client.list_object_versions(Bucket=bucket, Prefix=key)
    except Exception as error:
        raise translate(error, f"listing versions of s3://{bucket}/{key}") from None
    return [str(v["VersionId"]) for v in answer.get("Versions", []) if v["Key"] == key]


def version_counts(client: S3Client, bucket: str, prefix: str) -> dict[str, int]:
    """How many versions (delete markers included) each key under ``prefix`` has."""
    counts: dict[str, int] = {}
    try:
        for page in client.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix=prefix
        ):
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                counts[str(item["Key"])] = counts.get(str(item["Key"]), 0) + 1
    except Exception as error:
        raise translate(error, f"listing versions under s3://{bucket}/{prefix}") from None
    return counts


def delete_version(client: S3Client, bucket: str, key: str, version_id: str) -> None:
    """Delete one version for good (Object Lock refuses this while it is retained)."""
    try:
        client.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
    except Exception as error:
        raise translate(error, f"deleting version {version_id} of s3://{bucket}/{key}") from None


def retain_until(days: float, now: dt.datetime | None = None) -> dt.datetime:
    """The retain-until date ``days`` from now (UTC)."""
    return (now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=days)


def create_locked_bucket(
    client: S3Client, bucket: str, region: str, retention_days: int, lease_prefix: str
) -> bool:
    """Create ``bucket`` with versioning and Object Lock (compliance, ``retention_days``).

    Old lease versions under ``lease_prefix`` expire after a day. False when the bucket
    already existed (and is ours); its settings are (re)applied either way.
    """
    created = True
    options: dict[str, Any] = {"Bucket": bucket, "ObjectLockEnabledForBucket": True}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**options)
    except Exception as error:
        if error_code(error) != "BucketAlreadyOwnedByYou":
            raise translate(error, f"creating s3://{bucket}") from None
        created = False
    try:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        client.put_object_lock_configuration(
            Bucket=bucket,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": retention_days}},
            },
        )
        client.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "opskit-expired-leases",
                        "Status": "Enabled",
                        "Filter": {"Prefix": lease_prefix},
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "Expiration": {"ExpiredObjectDeleteMarker": True},
                    }
                ]
            },
        )
    except Exception as error:
        raise translate(error, f"configuring s3://{bucket}") from None
    return created


def object_lock(client: S3Client, bucket: str) -> ObjectLockConfigurationTypeDef:
    """The bucket's Object Lock configuration ({} when it has none)."""
    try:
        answer = client.get_object_lock_configuration(Bucket=bucket)
    except Exception as error:
        if error_code(error) == "ObjectLockConfigurationNotFoundError":
            return {}
        raise translate(error, f"reading the Object Lock of s3://{bucket}") from None
    return answer.get("ObjectLockConfiguration", {})


# -- objects: CUR files, runbook archive ---------------------------------------------


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
