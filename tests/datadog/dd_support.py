"""Helpers for the Datadog tests: config wired to an endpoint, raw HTTP, the real engine."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from opskit.audit import Actor, Journal, Origin
from opskit.changes import Engine, ResourceLocks
from opskit.changes.datadog_notifier import DatadogNotifier
from opskit.config import Config, parse_config
from sandbox.datadog.endpoint import API_KEY, APP_KEY, DatadogEndpoint

ROOT = Path(__file__).resolve().parents[2]


def repo_config() -> Config:
    path = ROOT / "environments.toml"
    return parse_config(path.read_text(), path)


def wired(
    config: Config, url: str, api_key: str = API_KEY, app_key: str | None = APP_KEY, **datadog: Any
) -> Config:
    """``config`` whose [datadog] points at ``url`` with the given keys (and overrides)."""
    settings = config.datadog.model_copy(update={"enabled": True, **datadog})
    return config.model_copy(update={"datadog": settings.with_endpoint(url, api_key, app_key)})


def http(
    endpoint: DatadogEndpoint,
    method: str,
    path: str,
    body: Any = None,
    keys: dict[str, str] | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """A raw request to the endpoint: (status, JSON answer, headers)."""
    headers = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY} if keys is None else keys
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    request = urllib.request.Request(endpoint.url + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def received_events(endpoint: DatadogEndpoint) -> list[dict[str, Any]]:
    status, answer, _ = http(endpoint, "GET", "/sandbox/events")
    assert status == 200
    return list(answer["events"])


class NoClients:
    """The Datadog changes need no AWS client."""

    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any:
        raise AssertionError("no AWS client expected")


def engine(
    state: Path, config: Config, notify: bool = True, events_url: str | None = None
) -> Engine:
    """The real change engine over a journal in ``state``, with the Datadog notifier
    (posting to ``events_url`` when given, else where ``config`` points)."""
    events = wired(config, events_url) if events_url else config
    notifiers = [DatadogNotifier(events, state, warn=lambda m: None)] if notify else []
    return Engine(
        config,
        NoClients(),
        Journal(state / "journal.jsonl"),
        ResourceLocks(state / "locks"),
        lambda: Actor("alice", "arn:aws:iam::111111111111:user/alice", "alice"),
        origin=Origin("cli"),
        notifiers=notifiers,
    )
