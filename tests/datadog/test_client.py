"""The Datadog client: keys from references, one-line errors, retries on 429."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from dd_support import repo_config, wired

from opskit.config.datadog_section import DatadogSettings
from opskit.datadog import monitor_api
from opskit.datadog.client import DatadogClient, DatadogError, resolve_keys
from opskit.errors import AuthError, ConfigError
from sandbox.datadog.endpoint import (
    API_KEY,
    APP_KEY,
    DatadogApp,
    DatadogEndpoint,
    RateLimiter,
    start_datadog,
)


def test_keys_come_from_the_environment_or_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "app.key"
    key_file.write_text("from-file\n")
    settings = DatadogSettings(api_key="env:ACME_DD", app_key=f"file:{key_file}")
    keys = resolve_keys(settings, {"ACME_DD": "from-env"})
    assert keys.api_key.get_secret_value() == "from-env"
    assert keys.app_key is not None and keys.app_key.get_secret_value() == "from-file"
    assert "from-env" not in repr(keys) and "from-file" not in repr(keys)
    with pytest.raises(ConfigError, match="cannot be read"):
        resolve_keys(DatadogSettings(app_key="file:/nonexistent/key"), {"DD_API_KEY": "x"})


def test_a_literal_key_in_the_config_is_refused() -> None:
    with pytest.raises(ValueError, match="api_key"):
        DatadogSettings(api_key="0123456789abcdef0123456789abcdef")


def test_missing_keys_are_one_clear_line() -> None:
    with pytest.raises(AuthError) as missing:
        DatadogClient.from_settings(DatadogSettings(), environ={})
    assert str(missing.value) == "no Datadog API key: set DD_API_KEY"
    client = DatadogClient.from_settings(DatadogSettings(), environ={"DD_API_KEY": "x"})
    with pytest.raises(AuthError, match=r"no Datadog application key .*DD_APP_KEY"):
        monitor_api.list_managed(client)


@pytest.mark.parametrize("bad", ["api", "app"])
def test_bad_keys_are_one_line_that_never_shows_the_key(
    endpoint: DatadogEndpoint, bad: str
) -> None:
    wrong = "not-the-key-0123456789"
    keys = {"api_key": wrong, "app_key": APP_KEY} if bad == "api" else {"app_key": wrong}
    config = wired(repo_config(), endpoint.url, **keys)
    with pytest.raises(AuthError) as denied:
        monitor_api.list_managed(DatadogClient.from_settings(config.datadog))
    message = str(denied.value)
    assert "\n" not in message and wrong not in message and API_KEY not in message
    assert "rejected the API or application key (403)" in message


@pytest.fixture
def tight_endpoint() -> Iterator[DatadogEndpoint]:
    """An endpoint that allows two monitor requests a second."""
    config = repo_config()
    accounts = {name: env.account_id for name, env in config.environments.items()}
    ep = DatadogEndpoint(DatadogApp(accounts, ["eu-west-1"], rate_limit=RateLimiter(2, 1)))
    yield ep
    ep.stop()


def test_a_429_is_retried(tight_endpoint: DatadogEndpoint) -> None:
    client = DatadogClient.from_settings(wired(repo_config(), tight_endpoint.url).datadog)
    for _ in range(3):  # the third is answered 429, then retried after X-RateLimit-Reset
        assert monitor_api.list_managed(client) == []
    assert tight_endpoint.app.limiter.refused >= 1


def test_a_429_past_the_retries_is_one_line(tight_endpoint: DatadogEndpoint) -> None:
    config = wired(repo_config(), tight_endpoint.url, max_retries=0)
    client = DatadogClient.from_settings(config.datadog)
    monitor_api.list_managed(client)
    monitor_api.list_managed(client)
    with pytest.raises(DatadogError) as throttled:
        monitor_api.list_managed(client)
    assert "\n" not in str(throttled.value) and "429" in str(throttled.value)


def test_an_unreachable_endpoint_is_one_line() -> None:
    ep = start_datadog(SimpleNamespace(config=repo_config()))
    url = ep.url
    ep.stop()
    client = DatadogClient.from_settings(wired(repo_config(), url).datadog)
    with pytest.raises(DatadogError) as unreachable:
        monitor_api.list_managed(client)
    assert str(unreachable.value).startswith(f"Datadog at {url} unreachable")
    assert "\n" not in str(unreachable.value)


def test_keys_given_at_run_time_win_and_stay_out_of_dumps() -> None:
    settings = DatadogSettings().with_endpoint("http://127.0.0.1:1", "secret-a", "secret-b")
    assert resolve_keys(settings, {"DD_API_KEY": "other"}).api_key.get_secret_value() == "secret-a"
    dumped = settings.model_dump_json() + repr(settings)
    assert "secret-a" not in dumped and "secret-b" not in dumped
