"""Turn botocore's exceptions into opskit's one-line errors with the right exit code."""

from __future__ import annotations

from typing import Any

from opskit.errors import AuthError, AwsError, OpskitError, UsageError

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded"}
)
NOT_FOUND_CODES = frozenset(
    {
        "ClusterNotFoundException",
        "ServiceNotFoundException",
        "TargetGroupNotFound",
        "LoadBalancerNotFound",
        "NoSuchHostedZone",
        "ResourceNotFoundException",
    }
)


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def error_message(error: BaseException) -> str:
    response: Any = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message", "")) or str(error)
    return str(error)


def is_denied(error: BaseException) -> bool:
    return error_code(error) in DENIED_CODES


def translate(error: BaseException, where: str) -> OpskitError:
    """An OpskitError for any botocore failure; ``where`` says what we were doing."""
    if isinstance(error, OpskitError):
        return error
    code = error_code(error)
    message = " ".join(error_message(error).split())
    if code in DENIED_CODES:
        return AuthError(f"{where}: denied: {code}: {message}")
    if code in THROTTLE_CODES:
        return AwsError(f"{where}: throttled by AWS past retries: {message}")
    if code in NOT_FOUND_CODES:
        return UsageError(f"{where}: not found: {message}")
    if code:
        return AwsError(f"{where}: {code}: {message}")
    kind = type(error).__name__
    if kind in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"):
        return AwsError(f"{where}: cannot reach AWS: {message}")
    if kind in (
        "NoCredentialsError",
        "PartialCredentialsError",
        "ProfileNotFound",
        "SSOTokenLoadError",
    ):
        return AuthError(f"{where}: no usable AWS credentials: {message}")
    return AwsError(f"{where}: {kind}: {message}")
