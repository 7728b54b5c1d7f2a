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


def validation_error(message: str) -> AwsApiError:
    return AwsApiError("ValidationError", message)


def _paged(operation: str, key: str) -> Handler:
    def handler(call: AwsCall) -> dict[str, Any]:
        params = dict(call.params)
        size = paging.page_size(
            params.pop("PageSize", None), MAX_PAGE, MAX_PAGE, "PageSize", validation_error
        )
        marker = params.pop("Marker", None)
        offset = paging.decode_token(marker, operation, validation_error) if marker else 0
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
