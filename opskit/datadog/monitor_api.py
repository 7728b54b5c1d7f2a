"""Monitor calls through the Datadog client: list the managed ones, validate, create, update,
delete. Monitors cross this boundary as plain JSON dicts (Datadog's own field names), so the
planning code never touches the client's models.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opskit.datadog.client import DatadogClient
from opskit.datadog.policy import MANAGED_TAG, MonitorSpec

if TYPE_CHECKING:
    from datadog_api_client import ApiClient

PAGE_SIZE = 100


def _monitors_api(api: ApiClient) -> Any:
    from datadog_api_client.v1.api.monitors_api import MonitorsApi

    return MonitorsApi(api)  # type: ignore[no-untyped-call]


def _as_dict(model: Any) -> dict[str, Any]:
    from datadog_api_client.model_utils import model_to_dict

    data: dict[str, Any] = model_to_dict(model, serialize=True)  # type: ignore[no-untyped-call]
    return data


def _fields(spec: MonitorSpec) -> dict[str, Any]:
    from datadog_api_client.v1.model.monitor_options import MonitorOptions
    from datadog_api_client.v1.model.monitor_thresholds import MonitorThresholds
    from datadog_api_client.v1.model.monitor_type import MonitorType

    body = spec.body()
    options = body["options"]
    fields: dict[str, Any] = {
        "name": body["name"],
        "type": MonitorType(body["type"]),  # type: ignore[no-untyped-call]
        "query": body["query"],
        "message": body["message"],
        "tags": body["tags"],
        "options": MonitorOptions(
            thresholds=MonitorThresholds(**options["thresholds"]),
            notify_no_data=options["notify_no_data"],
            include_tags=options["include_tags"],
        ),
    }
    if "priority" in body:
        fields["priority"] = body["priority"]
    return fields


def _monitor(spec: MonitorSpec) -> Any:
    from datadog_api_client.v1.model.monitor import Monitor

    return Monitor(**_fields(spec))


def list_managed(client: DatadogClient) -> list[dict[str, Any]]:
    """Every monitor tagged ``managed-by:opskit``, all pages."""

    def fetch(api: ApiClient) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(10_000):
            batch = _monitors_api(api).list_monitors(
                monitor_tags=MANAGED_TAG, page=page, page_size=PAGE_SIZE
            )
            out.extend(_as_dict(m) for m in batch)
            if len(batch) < PAGE_SIZE:
                break
        return out

    return client.call("list monitors", fetch)


def validate(client: DatadogClient, spec: MonitorSpec) -> None:
    """Ask Datadog whether ``spec`` is a valid monitor; DatadogRejected if not."""
    body = _monitor(spec)
    client.call(
        f"validate monitor {spec.identity}",
        lambda api: _monitors_api(api).validate_monitor(body=body),
    )


def get(client: DatadogClient, monitor_id: int) -> dict[str, Any]:
    """One monitor by id (DatadogNotFound when it is gone)."""
    return client.call(
        f"get monitor {monitor_id}",
        lambda api: _as_dict(_monitors_api(api).get_monitor(monitor_id=monitor_id)),
    )


def create(client: DatadogClient, spec: MonitorSpec) -> dict[str, Any]:
    body = _monitor(spec)
    return client.call(
        f"create monitor {spec.identity}",
        lambda api: _as_dict(_monitors_api(api).create_monitor(body=body)),
    )


def update(client: DatadogClient, monitor_id: int, spec: MonitorSpec) -> dict[str, Any]:
    from datadog_api_client.v1.model.monitor_update_request import MonitorUpdateRequest

    body = MonitorUpdateRequest(**_fields(spec))
    return client.call(
        f"update monitor {spec.identity}",
        lambda api: _as_dict(_monitors_api(api).update_monitor(monitor_id=monitor_id, body=body)),
    )


def delete(client: DatadogClient, monitor_id: int) -> None:
    client.call(
        f"delete monitor {monitor_id}",
        lambda api: _monitors_api(api).delete_monitor(monitor_id=monitor_id),
    )


def service_monitors(client: DatadogClient, env: str, service: str) -> list[dict[str, Any]]:
    """The managed monitors of ``service`` in ``env`` as Datadog's monitor search shows
    them: ``id``, ``name``, ``status`` (OK, Warn, Alert, No Data…), ``last_triggered_ts``."""
    query = f'tag:"{MANAGED_TAG}" tag:"env:{env}" tag:"service:{service}"'

    def fetch(api: ApiClient) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(1_000):
            found = _as_dict(
                _monitors_api(api).search_monitors(query=query, page=page, per_page=30)
            )
            out.extend(found.get("monitors") or [])
            meta = found.get("metadata") or {}
            if page + 1 >= int(meta.get("page_count") or 0):
                break
        return out

    return client.call("search monitors", fetch)
