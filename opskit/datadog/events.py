"""Change events: what one journal outcome looks like in Datadog, and how it is posted.

A ``ChangeEvent`` is plain data (it is what the outbox stores). ``post_change_event`` sends
it as a v2 change event (category CHANGE: changed resource, before/after values, author)
and falls back to a classic v1 event when there is no application key, the settings ask
for v1, or the site has no v2 events API (404). The Datadog models are built only here.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opskit.datadog.client import DatadogClient, DatadogNotFound

# Datadog's limits (v1 and v2 event payloads).
TITLE_MAX = 500
TEXT_MAX = 4000
AGGREGATION_KEY_MAX = 100
TAGS_MAX = 100


class ChangeEvent(BaseModel):
    """One change, ready to post: who changed what where, before -> after, which record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    message: str
    tags: list[str]
    resource: str
    author: str
    outcome: str
    record_id: str
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    journal: dict[str, Any] = Field(default_factory=dict)
    timestamp: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def alert_type(self) -> Literal["success", "error", "warning", "info"]:
        return {"applied": "success", "failed": "error", "rolled_back": "warning"}.get(
            self.outcome, "info"
        )  # type: ignore[return-value]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (dates and other objects become strings)."""
    loaded: dict[str, Any] = json.loads(json.dumps(value, default=str))
    return loaded


def post_change_event(client: DatadogClient, event: ChangeEvent) -> Literal["v1", "v2"]:
    """Post ``event``; returns the API version that took it. Raises opskit errors."""
    if client.settings.events_api == "v2" and client.has_app_key:
        try:
            _post_v2(client, event)
            return "v2"
        except DatadogNotFound:
            pass  # a site without the v2 events API: say it the classic way
    _post_v1(client, event)
    return "v1"


def _post_v2(client: DatadogClient, event: ChangeEvent) -> None:
    from datadog_api_client.v2.api.events_api import EventsApi
    from datadog_api_client.v2.model.change_event_custom_attributes import (
        ChangeEventCustomAttributes,
    )
    from datadog_api_client.v2.model.change_event_custom_attributes_author import (
        ChangeEventCustomAttributesAuthor,
    )
    from datadog_api_client.v2.model.change_event_custom_attributes_author_type import (
        ChangeEventCustomAttributesAuthorType,
    )
    from datadog_api_client.v2.model.change_event_custom_attributes_changed_resource import (
        ChangeEventCustomAttributesChangedResource,
    )
    from datadog_api_client.v2.model.change_event_custom_attributes_changed_resource_type import (
        ChangeEventCustomAttributesChangedResourceType,
    )
    from datadog_api_client.v2.model.event_category import EventCategory
    from datadog_api_client.v2.model.event_create_request import EventCreateRequest
    from datadog_api_client.v2.model.event_create_request_payload import (
        EventCreateRequestPayload,
    )
    from datadog_api_client.v2.model.event_create_request_type import EventCreateRequestType
    from datadog_api_client.v2.model.event_payload import EventPayload

    attributes = ChangeEventCustomAttributes(
        changed_resource=ChangeEventCustomAttributesChangedResource(
            name=_clip(event.resource, 128),
            type=ChangeEventCustomAttributesChangedResourceType.CONFIGURATION,
        ),
        author=ChangeEventCustomAttributesAuthor(
            name=event.author, type=ChangeEventCustomAttributesAuthorType.USER
        ),
        prev_value=_jsonable(event.before),
        new_value=_jsonable(event.after),
        change_metadata={"journal": _jsonable(event.journal), "outcome": event.outcome},
    )
    body = EventCreateRequestPayload(
        data=EventCreateRequest(
            type=EventCreateRequestType.EVENT,
            attributes=EventPayload(
                category=EventCategory.CHANGE,
                title=_clip(event.title, TITLE_MAX),
                message=_clip(event.message, TEXT_MAX),
                tags=event.tags[:TAGS_MAX],
                aggregation_key=_clip(event.record_id, AGGREGATION_KEY_MAX),
                timestamp=event.timestamp.isoformat(),
                attributes=attributes,
            ),
        )
    )
    client.call("post a change event", lambda api: EventsApi(api).create_event(body=body))  # type: ignore[no-untyped-call]


def _post_v1(client: DatadogClient, event: ChangeEvent) -> None:
    from datadog_api_client.v1.api.events_api import EventsApi
    from datadog_api_client.v1.model.event_alert_type import EventAlertType
    from datadog_api_client.v1.model.event_create_request import EventCreateRequest

    text = (
        f"{event.message}\n\nbefore: {json.dumps(event.before, default=str)}\n"
        f"after: {json.dumps(event.after, default=str)}"
    )
    body = EventCreateRequest(
        title=_clip(event.title, TITLE_MAX),
        text=_clip(text, TEXT_MAX),
        tags=event.tags[:TAGS_MAX],
        alert_type=EventAlertType(event.alert_type),  # type: ignore[no-untyped-call]
        aggregation_key=_clip(event.record_id, AGGREGATION_KEY_MAX),
        date_happened=int(event.timestamp.timestamp()),
        source_type_name="opskit",
    )
    client.call(
        "post an event",
        lambda api: EventsApi(api).create_event(body=body),  # type: ignore[no-untyped-call]
        needs_app_key=False,
    )
