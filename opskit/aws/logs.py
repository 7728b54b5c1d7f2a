"""The CloudWatch Logs gateway: FilterLogEvents across named streams.

One call covers up to 100 streams of a group, so the containers of many tasks are read
together; pages are followed to the end. Events come back as plain dicts (timestamp in
milliseconds, logStreamName, message, eventId).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_logs import CloudWatchLogsClient
    from types_boto3_logs.type_defs import FilteredLogEventTypeDef

STREAMS_PER_CALL = 100


class LogsReader:
    """FilterLogEvents on one CloudWatch Logs client (one account and region)."""

    def __init__(self, client: CloudWatchLogsClient, where: str) -> None:
        self.client = client
        self.where = where

    def events(
        self,
        group: str,
        *,
        streams: Sequence[str] = (),
        stream_prefix: str = "",
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int | None = None,
    ) -> list[FilteredLogEventTypeDef]:
        """Events of ``streams`` (at most 100) or of streams starting with ``stream_prefix``."""
        if len(streams) > STREAMS_PER_CALL:
            raise ValueError(f"at most {STREAMS_PER_CALL} log streams per call")
        params: dict[str, Any] = {"logGroupName": group}
        if streams:
            params["logStreamNames"] = list(streams)
        elif stream_prefix:
            params["logStreamNamePrefix"] = stream_prefix
        if start_ms is not None:
            params["startTime"] = start_ms
        if end_ms is not None:
            params["endTime"] = end_ms
        out: list[FilteredLogEventTypeDef] = []
        try:
            while True:
                answer = self.client.filter_log_events(**params)
                out.extend(answer.get("events", []))
                token = answer.get("nextToken")
                if not token or (limit is not None and len(out) >= limit):
                    return out
                params["nextToken"] = token
        except Exception as error:
            raise translate(error, f"{self.where}: Logs FilterLogEvents {group}") from None
