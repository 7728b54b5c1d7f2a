"""The Cost Explorer gateway: one request, every page (``NextPageToken``), each page counted.

Peers lose pages by looking for ``nextToken``; a token seen twice or an endless answer is an
error rather than a loop. Each page is a billed request ($0.01), so ``on_page`` is told
about every one. Failures keep the botocore error as ``__cause__`` (a forecast without
enough history is ``DataUnavailableException``, which callers skip).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from opskit.aws.errors import translate
from opskit.errors import AwsError

if TYPE_CHECKING:
    from types_boto3_ce import CostExplorerClient

MAX_PAGES = 10_000
Operation = Literal["get_cost_and_usage", "get_cost_forecast"]


def pages(
    ce: CostExplorerClient,
    operation: Operation,
    params: Mapping[str, Any],
    where: str,
    on_page: Callable[[], None] = lambda: None,
) -> list[dict[str, Any]]:
    """Every page of one request, without ``ResponseMetadata``."""
    out: list[dict[str, Any]] = []
    token: str | None = None
    seen: set[str] = set()
    method: Callable[..., Any] = getattr(ce, operation)
    while True:
        kwargs = {**params, **({"NextPageToken": token} if token else {})}
        try:
            response = dict(method(**kwargs))
        except Exception as error:
            raise translate(error, where) from error
        on_page()
        response.pop("ResponseMetadata", None)
        out.append(response)
        token = response.get("NextPageToken")
        if not token:
            return out
        if token in seen or len(out) >= MAX_PAGES:
            raise AwsError(
                f"{where}: pagination did not end (token repeated after {len(out)} pages)"
            )
        seen.add(token)
