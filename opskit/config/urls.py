"""The URL type of environments.toml: an http(s) endpoint that a client can really reach.

A regex alone lets ``http://127.0.0.1:99999`` and ``http://[::1`` through, and they then
fail deep inside botocore (exit 6, "Port out of range"). Here the URL is taken apart as
urllib does it, so the config is refused at load with the reason.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

URL_PATTERN = r"^https?://\S+$"


def check_http_url(value: str) -> str:
    """``value`` if it is an http(s) URL with a host and a valid port, else a clear error."""
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError when it is not a number in 0..65535
    except ValueError as error:
        raise _bad(value, str(error)) from None
    if parts.scheme not in ("http", "https"):
        raise _bad(value, f"scheme '{parts.scheme}' (use http or https)")
    if not parts.hostname:
        raise _bad(value, "no host")
    if port is not None and not 1 <= port <= 65535:
        raise _bad(value, f"port {port} (use 1-65535)")
    return value


def _bad(value: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError(
        "http_url", "expected an http(s):// URL with a host and a port in 1-65535: {reason}",
        {"reason": reason[0].lower() + reason[1:] if reason else "invalid"},
    )  # fmt: skip


HttpUrl = Annotated[str, StringConstraints(pattern=URL_PATTERN), AfterValidator(check_http_url)]
