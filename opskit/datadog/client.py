"""The Datadog gateway: one configured ``datadog-api-client`` with retries on, errors made plain.

Keys come from the references in ``[datadog]`` (``env:NAME`` or ``file:PATH``; by default
DD_API_KEY and DD_APP_KEY) and live only in ``SecretStr`` values and the client's auth
headers: never in a log line, an exception message or the journal. Every call goes through
``DatadogClient.call``, which turns the client's exceptions into one-line opskit errors.
``datadog_api_client`` is imported lazily so that ``import opskit`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr

from opskit.config.datadog_section import DatadogSettings
from opskit.errors import AuthError, AwsError, ConfigError

if TYPE_CHECKING:
    from datadog_api_client import ApiClient

T = TypeVar("T")

# Connection errors are retried once (a dead endpoint should fail fast: events then wait in
# the outbox); 429 and 5xx answers up to ``max_retries`` times, honouring X-RateLimit-Reset.
_CONNECT_RETRIES = 1
_BACKOFF_FACTOR = 0.5


class DatadogError(AwsError):
    """Datadog (or a Datadog-compatible endpoint) failed in a way retries did not cure."""


class DatadogRejected(DatadogError):
    """Datadog answered 400: the request itself is wrong (a bad query, a bad monitor)."""


class DatadogNotFound(DatadogError):
    """Datadog answered 404: no such monitor, or no such API on this site."""


@dataclass(frozen=True)
class DatadogKeys:
    """The API key (always needed) and the application key (monitors, queries, v2 events)."""

    api_key: SecretStr
    app_key: SecretStr | None = None


def _resolve(ref: str, environ: Mapping[str, str]) -> str | None:
    scheme, _, target = ref.partition(":")
    if scheme == "env":
        value = environ.get(target, "").strip()
        return value or None
    path = Path(target).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as error:
        raise ConfigError(f"[datadog] key file {path} cannot be read: {error.strerror}") from None


def resolve_keys(
    settings: DatadogSettings, environ: Mapping[str, str] | None = None
) -> DatadogKeys:
    """The keys ``settings`` refers to; AuthError (one line) if the API key is missing."""
    if settings.given_keys is not None:
        return DatadogKeys(*settings.given_keys)
    env = os.environ if environ is None else environ
    api = _resolve(settings.api_key, env)
    if api is None:
        raise AuthError(f"no Datadog API key: set {_where(settings.api_key)}")
    app = _resolve(settings.app_key, env)
    return DatadogKeys(SecretStr(api), SecretStr(app) if app else None)


def _where(ref: str) -> str:
    scheme, _, target = ref.partition(":")
    return target if scheme == "env" else f"the key file {target}"


class DatadogClient:
    """A configured API client for one Datadog site (or compatible endpoint)."""

    def __init__(self, settings: DatadogSettings, keys: DatadogKeys) -> None:
        self.settings = settings
        self.keys = keys
        self.base_url = settings.base_url
        self._api: ApiClient | None = None

    @classmethod
    def from_settings(
        cls, settings: DatadogSettings, environ: Mapping[str, str] | None = None
    ) -> DatadogClient:
        """A client whose keys are resolved from the settings' references."""
        return cls(settings, resolve_keys(settings, environ))

    @property
    def has_app_key(self) -> bool:
        return self.keys.app_key is not None

    def api(self) -> ApiClient:
        """The underlying ``ApiClient`` (built once)."""
        if self._api is None:
            from datadog_api_client import ApiClient, Configuration
            from datadog_api_client.rest import ClientRetry

            auth = {"apiKeyAuth": self.keys.api_key.get_secret_value()}
            if self.keys.app_key is not None:
                auth["appKeyAuth"] = self.keys.app_key.get_secret_value()
            config = Configuration(  # type: ignore[no-untyped-call]
                host=self.base_url,
                api_key=auth,
                request_timeout=self.settings.timeout_seconds,
                enable_retry=True,
                max_retries=self.settings.max_retries,
                retry_policy=ClientRetry(
                    total=self.settings.max_retries,
                    connect=_CONNECT_RETRIES,
                    backoff_factor=_BACKOFF_FACTOR,
                ),
            )
            self._api = ApiClient(config)
        return self._api

    def call(self, what: str, fn: Callable[[ApiClient], T], *, needs_app_key: bool = True) -> T:
        """Run ``fn(api_client)``; client and HTTP failures become one-line opskit errors."""
        if needs_app_key and self.keys.app_key is None:
            raise AuthError(
                f"no Datadog application key (needed to {what}): set "
                f"{_where(self.settings.app_key)}"
            )
        import urllib3
        from datadog_api_client.exceptions import ApiException

        try:
            return fn(self.api())
        except ApiException as error:
            raise self._translate(what, error) from None
        except urllib3.exceptions.MaxRetryError as error:
            reason = error.reason
            if isinstance(reason, urllib3.exceptions.ResponseError):
                detail = f"still failing after {self.settings.max_retries} retries ({reason})"
            else:
                detail = f"unreachable ({type(reason).__name__})"
            raise DatadogError(
                f"Datadog at {self.base_url} {detail} while trying to {what}"
            ) from None
        except urllib3.exceptions.HTTPError as error:
            raise DatadogError(
                f"Datadog at {self.base_url} failed while trying to {what}: {type(error).__name__}"
            ) from None

    def _translate(self, what: str, error: Any) -> Exception:
        status = int(error.status or 0)
        if status in (401, 403):
            return AuthError(
                f"Datadog at {self.base_url} rejected the API or application key ({status}) "
                f"while trying to {what}: check {_where(self.settings.api_key)} and "
                f"{_where(self.settings.app_key)}"
            )
        detail = _errors_of(error.body) or str(error.reason or "").strip() or "no detail"
        if status == 400:
            return DatadogRejected(f"Datadog rejected the request to {what}: {detail}")
        if status == 404:
            return DatadogNotFound(f"Datadog at {self.base_url} found nothing to {what}: {detail}")
        return DatadogError(f"Datadog at {self.base_url} answered {status} to {what}: {detail}")

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None

    def __enter__(self) -> DatadogClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _errors_of(body: Any) -> str:
    """Datadog's ``{"errors": [...]}`` body as one line."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            return "; ".join(str(e) for e in errors).replace("\n", " ")[:300]
    if isinstance(body, str):
        return body.replace("\n", " ")[:300]
    return ""
