"""A Datadog-compatible HTTP endpoint, run inside the sandbox process on its own loopback port.

It answers what opskit uses, the way Datadog does: POST /api/v1/events and /api/v2/events;
monitors create, get, update, delete, list, search and validate (/api/v1/monitor…); GET
/api/v1/query from the simulator's CloudWatch data (``datadog_query``); GET /api/v1/validate.

- Keys: every request needs ``DD-API-KEY``; all but v1 event posts and key validation also
  need ``DD-APPLICATION-KEY``. The sandbox's keys are fixed and documented: API key
  ``opskit-sandbox-dd-api-key``, application key ``opskit-sandbox-dd-app-key``. The server
  records them (``keys``) and the URL in the sandbox state file, and the workspace points
  ``[datadog]`` at them. A missing or wrong key answers 403.
- Rate limits: a fixed window per key and API group; every answer carries X-RateLimit-Limit,
  -Period, -Remaining, -Reset and -Name, and a request past the limit answers 429.
- Bodies are checked with datadog-api-client's own models (unknown fields, wrong types,
  read-only fields, unknown enum values, lengths) and Datadog's monitor rules: 400 otherwise.
- Sandbox-only: GET /sandbox/events lists the events received, exactly as posted.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from sandbox.datadog import query as datadog_query
from sandbox.datadog.monitors import MonitorStore, check_rules

API_KEY = "opskit-sandbox-dd-api-key"
APP_KEY = "opskit-sandbox-dd-app-key"
RATE_LIMIT = 1000  # requests per key and API group…
RATE_PERIOD_S = 10  # …in this window
_NO_APP_KEY = {"event_v1", "validate_key"}
_GROUPS = {"event_v1": "events", "event_v2": "events", "query": "query", "validate_key": "auth"}


class _Config(Protocol):
    environments: Mapping[str, Any]


class SandboxContextLike(Protocol):
    """What the endpoint needs from the sandbox's context: the config's environments."""

    config: _Config


class BadRequest(Exception):
    """A body or parameter Datadog would refuse (400 with these errors)."""

    def __init__(self, *errors: str) -> None:
        super().__init__("; ".join(errors))
        self.errors = list(errors)


@dataclass
class RateLimiter:
    """A fixed window per (key, group): ``limit`` requests every ``period`` seconds."""

    limit: int = RATE_LIMIT
    period: int = RATE_PERIOD_S
    refused: int = 0  # requests answered 429 so far
    _windows: dict[tuple[str, str], tuple[float, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, group: str) -> tuple[bool, dict[str, str]]:
        """Count one request; (allowed, the X-RateLimit-* headers to send)."""
        now = time.monotonic()
        with self._lock:
            start, used = self._windows.get((key, group), (now, 0))
            if now - start >= self.period:
                start, used = now, 0
            allowed = used < self.limit
            used += 1 if allowed else 0
            self.refused += 0 if allowed else 1
            self._windows[(key, group)] = (start, used)
        reset = max(1, math.ceil(self.period - (now - start)))
        return allowed, {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Period": str(self.period),
            "X-RateLimit-Remaining": str(max(0, self.limit - used)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Name": group,
        }


def _model(body: Any, model_path: str, where: str = "body") -> None:
    """Refuse ``body`` unless datadog-api-client's model ``module.Class`` would produce it."""
    import importlib

    from datadog_api_client import Configuration
    from datadog_api_client.exceptions import OpenApiException
    from datadog_api_client.model_utils import validate_and_convert_types

    module, _, name = model_path.rpartition(".")
    cls = getattr(importlib.import_module(f"datadog_api_client.{module}"), name)
    if not isinstance(body, dict):
        raise BadRequest(f"Invalid {where}: expected a JSON object")
    config = Configuration(discard_unknown_keys=False)  # type: ignore[no-untyped-call]
    try:
        model = validate_and_convert_types(body, (cls,), [where], False, True, config)  # type: ignore[no-untyped-call]
    except (OpenApiException, TypeError, ValueError) as error:
        raise BadRequest(f"Invalid {where}: {str(error).splitlines()[0]}") from None
    if getattr(model, "_unparsed", False):
        raise BadRequest(f"Invalid {where}: a value is not one of the allowed values")
    unknown = _unknown_fields(model, where)
    if unknown:
        raise BadRequest(f"Invalid {where}: unknown field {unknown[0]}")


def _unknown_fields(value: Any, path: str) -> list[str]:
    """Fields a model took as "additional properties": the client's models never send them."""
    from datadog_api_client.model_utils import ModelNormal

    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _unknown_fields(item, f"{path}[{i}]")]
    if not isinstance(value, ModelNormal):
        return []
    store = value._data_store
    found = [f"{path}.{key}" for key in store if key not in value.attribute_map]
    for key, item in store.items():
        found += _unknown_fields(item, f"{path}.{key}")
    return found


class DatadogApp:
    """The WSGI application: routing, keys, rate limits, events, monitors, queries."""

    def __init__(
        self,
        accounts: Mapping[str, str],
        regions: Iterable[str],
        *,
        rate_limit: RateLimiter | None = None,
        data: datadog_query.DataSource = datadog_query.sandbox_series,
    ) -> None:
        self.accounts = dict(accounts)
        self.regions = sorted(set(regions))
        self.limiter = rate_limit or RateLimiter()
        self.data = data
        self.monitors = MonitorStore()
        self.events: list[dict[str, Any]] = []
        self._event_ids = itertools.count(5_000_000_001)
        self._lock = threading.Lock()
        self.url = ""
        # Called after each request that may change something (the sandbox's saver).
        self.on_write: Callable[[str | None], None] | None = None
        get, post = ["GET"], ["POST"]
        self.routes = Map(
            [
                Rule("/api/v1/validate", methods=get, endpoint="validate_key"),
                Rule("/api/v1/events", methods=post, endpoint="event_v1"),
                Rule("/api/v2/events", methods=post, endpoint="event_v2"),
                Rule("/api/v1/monitor", methods=get, endpoint="monitor_list"),
                Rule("/api/v1/monitor", methods=post, endpoint="monitor_create"),
                Rule("/api/v1/monitor/search", methods=get, endpoint="monitor_search"),
                Rule("/api/v1/monitor/validate", methods=post, endpoint="monitor_validate"),
                Rule("/api/v1/monitor/<int:monitor_id>", methods=get, endpoint="monitor_get"),
                Rule(
                    "/api/v1/monitor/<int:monitor_id>", methods=["PUT"], endpoint="monitor_update"
                ),
                Rule(
                    "/api/v1/monitor/<int:monitor_id>",
                    methods=["DELETE"],
                    endpoint="monitor_delete",
                ),
                Rule(
                    "/api/v1/monitor/<int:monitor_id>/validate",
                    methods=post,
                    endpoint="monitor_validate_existing",
                ),
                Rule("/api/v1/query", methods=get, endpoint="query"),
                Rule("/sandbox/events", methods=get, endpoint="sandbox_events"),
            ]
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        """One request, start to end."""
        try:
            endpoint, args = self.routes.bind_to_environ(request.environ).match()
        except MethodNotAllowed:
            return _json({"errors": ["Method Not Allowed"]}, 405)
        except (NotFound, HTTPException):
            return _json({"errors": ["Not Found"]}, 404)
        api_key = request.headers.get("DD-API-KEY", "")
        app_key = request.headers.get("DD-APPLICATION-KEY", "")
        if api_key != API_KEY or (endpoint not in _NO_APP_KEY and app_key != APP_KEY):
            return _json({"errors": ["Forbidden"]}, 403)
        group = _GROUPS.get(endpoint, "monitors")
        allowed, headers = self.limiter.take(api_key, group)
        if not allowed:
            limit = f"{self.limiter.limit} requests in {self.limiter.period} seconds"
            response = _json(
                {"errors": [f"Rate limit of {limit} reached. Please try again later."]}, 429
            )
        else:
            try:
                response = getattr(self, f"_{endpoint}")(request, **args)
            except BadRequest as error:
                response = _json({"errors": error.errors}, 400)
        response.headers.update(headers)
        if self.on_write is not None and request.method != "GET" and response.status_code < 400:
            self.on_write(f"Datadog.{endpoint}")
        return response

    def snapshot(self) -> dict[str, Any]:
        """Monitors and received events, for the saved estate (``sandbox.persist``)."""
        with self._lock:
            events = list(self.events)
        return {"monitors": self.monitors.dump(), "events": events}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Put back what ``snapshot`` returned: ``sandbox stop`` then ``start`` keeps them."""
        self.monitors.load(saved["monitors"])
        with self._lock:
            self.events = list(saved["events"])
            last = max((int(e["id"]) for e in self.events), default=5_000_000_000)
            self._event_ids = itertools.count(last + 1)

    # ---------------------------------------------------------------- events

    def _validate_key(self, request: Request) -> Response:
        return _json({"valid": True})

    def _event_v1(self, request: Request) -> Response:
        body = _body(request)
        _model(body, "v1.model.event_create_request.EventCreateRequest")
        event_id = self._record_event("v1", body)
        event = {k: body[k] for k in ("title", "text", "tags", "alert_type") if k in body}
        event.update(
            id=event_id,
            id_str=str(event_id),
            date_happened=int(body.get("date_happened") or time.time()),
            url=f"{self.url}/event/event?id={event_id}",
        )
        return _json({"status": "ok", "event": event}, 202)

    def _event_v2(self, request: Request) -> Response:
        body = _body(request)
        _model(body, "v2.model.event_create_request_payload.EventCreateRequestPayload")
        attributes = body["data"]["attributes"]
        custom = attributes.get("attributes") or {}
        if attributes.get("category") == "change" and "changed_resource" not in custom:
            raise BadRequest("attributes.attributes.changed_resource is required for change events")
        event_id = self._record_event("v2", body)
        return _json(
            {
                "data": {
                    "type": "event",
                    "attributes": {
                        "attributes": {"evt": {"id": str(event_id), "uid": f"AZ{event_id:x}"}}
                    },
                },
                "links": {"self": f"{self.url}/event/event?id={event_id}"},
            },
            202,
        )

    def _record_event(self, api: str, body: dict[str, Any]) -> int:
        event_id = next(self._event_ids)
        with self._lock:
            self.events.append(
                {"id": event_id, "api": api, "received_at": time.time(), "body": body}
            )
        return event_id

    def _sandbox_events(self, request: Request) -> Response:
        with self._lock:
            return _json({"events": list(self.events)})

    # ---------------------------------------------------------------- monitors

    def _checked_monitor(self, body: Any, model: str) -> dict[str, Any]:
        _model(body, model)
        errors = check_rules(body)
        if errors:
            raise BadRequest(*errors)
        return dict(body)

    def _monitor_create(self, request: Request) -> Response:
        body = self._checked_monitor(_body(request), "v1.model.monitor.Monitor")
        return _json(self.monitors.create(body))

    def _monitor_validate(self, request: Request) -> Response:
        self._checked_monitor(_body(request), "v1.model.monitor.Monitor")
        return _json({})

    def _monitor_validate_existing(self, request: Request, monitor_id: int) -> Response:
        if self.monitors.get(monitor_id) is None:
            return _json({"errors": ["Monitor not found"]}, 404)
        self._checked_monitor(_body(request), "v1.model.monitor.Monitor")
        return _json({})

    def _monitor_get(self, request: Request, monitor_id: int) -> Response:
        found = self.monitors.get(monitor_id)
        return _json(found) if found else _json({"errors": ["Monitor not found"]}, 404)

    def _monitor_update(self, request: Request, monitor_id: int) -> Response:
        body = _body(request)
        _model(body, "v1.model.monitor_update_request.MonitorUpdateRequest")
        merged = self.monitors.merged(monitor_id, body)
        if merged is None:
            return _json({"errors": ["Monitor not found"]}, 404)
        errors = check_rules(merged)
        if errors:
            raise BadRequest(*errors)
        return _json(self.monitors.update(monitor_id, body))

    def _monitor_delete(self, request: Request, monitor_id: int) -> Response:
        if not self.monitors.delete(monitor_id):
            return _json({"errors": ["Monitor not found"]}, 404)
        return _json({"deleted_monitor_id": monitor_id})

    def _monitor_list(self, request: Request) -> Response:
        try:
            return _json(self.monitors.listed(request.args))
        except ValueError:
            raise BadRequest("page, page_size and id_offset must be integers") from None

    def _monitor_search(self, request: Request) -> Response:
        try:
            page = int(request.args.get("page", 0))
            per_page = int(request.args.get("per_page", 30))
        except ValueError:
            raise BadRequest("page and per_page must be integers") from None
        return _json(self.monitors.search(request.args.get("query", ""), page, per_page))

    # ---------------------------------------------------------------- metrics

    def _query(self, request: Request) -> Response:
        try:
            start, end = int(request.args["from"]), int(request.args["to"])
            text = request.args["query"]
        except (KeyError, ValueError):
            raise BadRequest("from, to (epoch seconds) and query are required") from None
        if end < start:
            raise BadRequest("'to' must be after 'from'")
        try:
            queries = datadog_query.parse(text)
        except datadog_query.QueryError as error:
            raise BadRequest(str(error)) from None
        series = []
        for index, query in enumerate(queries):
            series += datadog_query.evaluate(
                query, start, end, self.accounts, self.regions, self.data, index
            )
        group_by = sorted({b for q in queries for b in q.by})
        return _json(
            {
                "status": "ok",
                "res_type": "time_series",
                "query": text,
                "from_date": start * 1000,
                "to_date": end * 1000,
                "series": series,
                "group_by": group_by,
                "message": "",
                "error": "",
            }
        )


def _body(request: Request) -> Any:
    raw = request.get_data()
    encoding = request.headers.get("Content-Encoding", "").lower()
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
        return json.loads(raw or b"null")
    except (OSError, zlib.error, ValueError):
        raise BadRequest("Invalid JSON body") from None


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """The sandbox does not log every request (the key headers never reach a log)."""


class DatadogEndpoint:
    """The running endpoint: ``url``, the keys it accepts, ``stop()``."""

    api_key = API_KEY
    app_key = APP_KEY

    def __init__(self, app: DatadogApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://{host}:{self._server.server_port}"
        app.url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns at once
            name="sandbox-datadog",
            daemon=True,
        )
        self._thread.start()

    def snapshot(self) -> dict[str, Any]:
        return self.app.snapshot()

    def restore(self, saved: Mapping[str, Any]) -> None:
        self.app.restore(saved)

    def watch_writes(self, changed: Callable[[str | None], None]) -> None:
        """Call ``changed`` after each request that may change the endpoint's state."""
        self.app.on_write = changed

    @property
    def keys(self) -> dict[str, str]:
        """The keys it accepts, as the sandbox state file records them (``datadog_keys``)."""
        return {"api_key": self.api_key, "app_key": self.app_key}

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def start_datadog(ctx: SandboxContextLike, port: int = 0) -> DatadogEndpoint:
    """Start the endpoint for the sandbox described by ``ctx`` (its config's environments)."""
    envs = ctx.config.environments
    accounts = {name: str(env.account_id) for name, env in envs.items()}
    regions = {region for env in envs.values() for region in env.regions}
    return DatadogEndpoint(DatadogApp(accounts, regions), port=port)
