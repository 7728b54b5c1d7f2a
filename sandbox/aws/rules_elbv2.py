"""ELBv2 as AWS answers it: Marker/PageSize paging on every Describe that pages.

moto 5.2.5 ignores PageSize and Marker for DescribeTargetGroups and DescribeListeners, and
pages DescribeLoadBalancers and DescribeRules by 50 with no upper limit. AWS: PageSize
1..400 (400 when not given), an opaque NextMarker; DescribeTags takes at most 20 ARNs.
Errors are AWS's ``ValidationError``.
"""

from __future__ import annotations

from typing import Any

from sandbox.aws import paging
from sandbox.aws.overrides import AwsApiError, AwsCall, Handler, override

PAGED = {
    "DescribeLoadBalancers": "LoadBalancers",
    "DescribeTargetGroups": "TargetGroups",
    "DescribeListeners": "Listeners",
    "DescribeRules": "Rules",
}
MAX_PAGE = 400
MAX_TAG_ARNS = 20
_EVERYTHING = 1_000_000  # asks moto for all items where it pages by itself
# moto pages these by itself, by the caller's PageSize or else by 50; the others not at all
_MOTO_PAGE = {"DescribeLoadBalancers": 50, "DescribeRules": 50}


def validation_error(message: str) -> AwsApiError:
    return AwsApiError("ValidationError", message)


def _most(call: AwsCall, operation: str) -> int | None:
    """An upper bound of the items moto would list for this call (None: unknown)."""
    backend = call.backend()
    try:
        if operation == "DescribeLoadBalancers":
            return len(backend.load_balancers)
        if operation == "DescribeTargetGroups":
            return len(backend.target_groups)
        if operation == "DescribeListeners":
            return sum(len(lb.listeners) for lb in backend.load_balancers.values())
        if operation == "DescribeRules" and call.params.get("ListenerArn"):
            return len(backend.describe_rules(call.params["ListenerArn"], None))
    except Exception:  # moto's own error: let the forwarded request render it
        return None
    return None


def _moto_page_is_aws_page(call: AwsCall, operation: str, size: int) -> bool:
    """Whether moto's answer to the unchanged request is already AWS's only page.

    Then moto answers it directly, saving a parse and a re-serialization of every item
    (the bulk of a dashboard's ELBv2 cost: hundreds of target groups per account).
    """
    if call.params.get("Marker"):
        return False
    limit = size
    if operation in _MOTO_PAGE and call.params.get("PageSize") is None:
        limit = min(size, _MOTO_PAGE[operation])
    most = _most(call, operation)
    return most is not None and most <= limit


def _paged(operation: str, key: str) -> Handler:
    def handler(call: AwsCall) -> dict[str, Any] | None:
        params = dict(call.params)
        size = paging.page_size(
            params.pop("PageSize", None), MAX_PAGE, MAX_PAGE, "PageSize", validation_error
        )
        marker = params.pop("Marker", None)
        offset = paging.decode_token(marker, operation, validation_error) if marker else 0
        if _moto_page_is_aws_page(call, operation, size):
            return None
        params["PageSize"] = _EVERYTHING
        items = list(call.forward(params).get(key, []))
        chunk, next_marker = paging.page(items, offset, size, operation)
        result: dict[str, Any] = {key: chunk}
        if next_marker:
            result["NextMarker"] = next_marker
        return result

    handler.__name__ = f"elbv2_{operation}"
    return override("elbv2", operation)(handler)


@override("elbv2", "DescribeTags")
def describe_tags(call: AwsCall) -> None:
    paging.batch_limit(
        call.params.get("ResourceArns"), MAX_TAG_ARNS, "ResourceArns", validation_error
    )
    return None


for _operation, _key in PAGED.items():
    _paged(_operation, _key)
