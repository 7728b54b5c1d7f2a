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
    """The AWS error code of a botocore ClientError ('' for anything else).

    botocore finds it where each protocol puts it; when an endpoint answers in another
    protocol's shape (a Query-XML ``<Errors><Error>`` envelope to a REST-XML client, XML
    to a JSON client, a bare ``x-amzn-ErrorType`` header), it is read from there too, and
    a code that is only the HTTP status stands for what that status means.
    """
    response: Any = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    found = _clean(str((response.get("Error") or {}).get("Code", "")))
    if found and not found.isdigit():
        return found
    nested = (
        ((response.get("Errors") or {}).get("Error") or {})
        if isinstance(response.get("Errors"), dict)
        else {}
    )
    headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    body = str((response.get("Error") or {}).get("Message", ""))
    for candidate in (
        str(nested.get("Code", "")),
        str(headers.get("x-amzn-errortype", "")),
        _code_in_body(body),
    ):
        if _clean(candidate):
            return _clean(candidate)
    status = found or str((response.get("ResponseMetadata") or {}).get("HTTPStatusCode", ""))
    return _STATUS_CODES.get(status, found)


_STATUS_CODES = {"401": "AccessDenied", "403": "AccessDenied"}


def _clean(code: str) -> str:
    """``aws.protocol#AccessDeniedException`` or ``AccessDenied:http://…`` -> the code."""
    return code.rsplit("#", 1)[-1].split(":", 1)[0].strip()


def _code_in_body(body: str) -> str:
    """The code in a raw error body botocore could not place (XML or JSON)."""
    import json
    import re

    text = body.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return ""
        if isinstance(data, dict):
            return str(data.get("__type") or data.get("code") or data.get("Code") or "")
        return ""
    match = re.search(r"<Code>\s*([^<\s]+)\s*</Code>", text)
    return match.group(1) if match else ""


def error_message(error: BaseException) -> str:
    import re

    response: Any = getattr(error, "response", None)
    if not isinstance(response, dict):
        return str(error)
    message = str((response.get("Error") or {}).get("Message", ""))
    nested = response.get("Errors")
    if isinstance(nested, dict) and isinstance(nested.get("Error"), dict):
        message = str(nested["Error"].get("Message", "")) or message
    if message.lstrip().startswith("<"):  # a raw XML body: its <Message>
        found = re.search(r"<Message>(.*?)</Message>", message, re.S)
        message = found.group(1) if found else ""
    return message or str(error)


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
