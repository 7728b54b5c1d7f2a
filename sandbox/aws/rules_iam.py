"""IAM self-service as AWS answers it: ListMFADevices defaults to the calling user.

moto 5.2.5 looks up a user named None when ListMFADevices has no UserName (NoSuchEntity);
AWS lists the caller's own devices, and refuses callers that are not IAM users.
"""

from __future__ import annotations

from typing import Any

from sandbox.aws.overrides import AwsApiError, AwsCall, override


@override("iam", "ListMFADevices")
def list_mfa_devices(call: AwsCall) -> dict[str, Any] | None:
    if call.params.get("UserName"):
        return None
    if ":user/" not in call.caller_arn:
        raise AwsApiError(
            "ValidationError", "Must specify userName when calling with non-User credentials"
        )
    return call.forward({**call.params, "UserName": call.caller_arn.rsplit("/", 1)[-1]})
