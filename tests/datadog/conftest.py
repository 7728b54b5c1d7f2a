"""Fixtures for the Datadog tests: a sandbox Datadog endpoint run standalone, over HTTP.

The endpoint is the one the sandbox server starts (``start_datadog``); here it runs alone,
on its own loopback port, against the repository's environments.toml. Tests reach it
through opskit's client (or raw HTTP for what a client would never send).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from dd_support import repo_config, wired

from opskit.config import Config
from sandbox.datadog.endpoint import DatadogEndpoint, start_datadog


@pytest.fixture
def endpoint() -> Iterator[DatadogEndpoint]:
    ep = start_datadog(SimpleNamespace(config=repo_config()))
    yield ep
    ep.stop()


@pytest.fixture
def config(endpoint: DatadogEndpoint) -> Config:
    return wired(repo_config(), endpoint.url)
