"""AWS-style paging for the rules layer: page sizes, limits and opaque tokens.

A token records the operation it belongs to and the offset of the next item, base64url
encoded like AWS's opaque tokens; a token from another operation, or garbage, is refused
with the service's own error, as AWS refuses it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sandbox.aws.overrides import AwsApiError

T = TypeVar("T")
ErrorFactory = Callable[[str], AwsApiError]


def encode_token(scope: str, offset: int) -> str:
    raw = json.dumps({"s": scope, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, scope: str, error: ErrorFactory) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = data["o"]
        if data["s"] != scope or not isinstance(offset, int) or offset < 0:
            raise ValueError(token)
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise error("The specified token is invalid or was issued for another request.") from None
    return offset


def page_size(given: Any, default: int, maximum: int, name: str, error: ErrorFactory) -> int:
    """The page size to use: ``given`` if within 1..maximum, else AWS's error."""
    if given is None:
        return default
    size = int(given)
    if not 1 <= size <= maximum:
        raise error(f"{name} must be between 1 and {maximum}, not {size}.")
    return size


def page(items: Sequence[T], offset: int, size: int, scope: str) -> tuple[list[T], str | None]:
    """One page from ``offset`` and the token of the next one (None on the last page)."""
    chunk = list(items[offset : offset + size])
    more = offset + size < len(items)
    return chunk, encode_token(scope, offset + size) if more else None


def batch_limit(values: Sequence[Any] | None, limit: int, name: str, error: ErrorFactory) -> None:
    """AWS's error when a call names more than ``limit`` items."""
    if values is not None and len(values) > limit:
        raise error(f"{name} can have at most {limit} items.")
