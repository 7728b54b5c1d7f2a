"""The one door to AWS: the ops identity, role sessions per environment, and clients.

``Accounts.session(env, access)`` assumes the environment's role for an access level from
the ops identity (or from one cached MFA session token, so the user is asked for a code
once, not per environment or per process). Sessions use botocore's refreshable
credentials, so a dashboard left open for a day never dies of expired credentials.
Every client gets adaptive retries, a client-side rate limit and call counting.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit.accounts.cache import CachedCredentials, CredentialCache
from opskit.accounts.calls import CallStats, instrument
from opskit.accounts.identity import Identity
from opskit.accounts.login import Login
from opskit.accounts.ratelimit import RateLimiter
from opskit.accounts.shared_models import core_session
from opskit.aws.errors import error_message, is_denied, translate
from opskit.aws.timestamps import parse_timestamp
from opskit.config.model import Config
from opskit.errors import AuthError

if TYPE_CHECKING:
    import boto3

MfaPrompt = Callable[[str], str]
REFRESH_MARGIN = dt.timedelta(minutes=15)  # botocore's advisory refresh window


class Accounts:
    """Sessions and clients for the ops account and every environment, at any access level."""

    def __init__(
        self,
        config: Config,
        login: Login,
        *,
        cache_dir: Path,
        mfa_prompt: MfaPrompt | None = None,
        role_duration: int = 3600,
        max_attempts: int = 8,
    ) -> None:
        self.config = config
        self.login = login
        self.cache = CredentialCache(cache_dir / "credentials.json")
        self.calls = CallStats()
        self.limiter = RateLimiter()
        self._mfa_prompt = mfa_prompt
        self._role_duration = role_duration
        self._max_attempts = max_attempts
        self._lock = threading.RLock()
        self._ops_session: boto3.Session | None = None
        self._identity: Identity | None = None
        self._sessions: dict[tuple[str, str], boto3.Session] = {}
        self._clients: dict[tuple[str, str, str, str], Any] = {}
        self._sts: dict[str, Any] = {}

    # -- the ops identity -------------------------------------------------------------

    def endpoint_url(self, env: str | None = None) -> str | None:
        """Where AWS calls go: the login's endpoint (sandbox), else the config's, else AWS."""
        return self.login.endpoint_url or self.config.endpoint_for(env)

    def ops_session(self) -> boto3.Session:
        with self._lock:
            if self._ops_session is None:
                self._ops_session = self.login.base_session(self.config.ops.region)
            return self._ops_session

    def whoami(self) -> Identity:
        """The ops identity (one GetCallerIdentity per process)."""
        with self._lock:
            if self._identity is None:
                try:
                    who = self._ops_sts().get_caller_identity()
                except Exception as error:
                    raise translate(
                        error, f"ops login ({self.login.label or self.login.kind})"
                    ) from None
                self._identity = Identity(who["Arn"], who["Account"], who["UserId"])
            return self._identity

    def ops_client(self, service: str, region: str | None = None) -> Any:
        """A client in the ops account itself (billing, IAM of the ops account, …)."""
        region = region or self.config.ops.region
        key = ("ops", "login", region, service)
        with self._lock:
            if key not in self._clients:
                client = self._raw_client(self.ops_session(), service, region, None)
                instrument(client, self.config.ops.name, self.calls)
                self._clients[key] = client
            return self._clients[key]

    # -- MFA --------------------------------------------------------------------------

    def mfa_active(self) -> dt.datetime | None:
        """When the cached MFA session expires, if there is one."""
        serial = self.config.ops.mfa_serial
        if not serial:
            return None
        cached = self.cache.get(self._mfa_key(), dt.timedelta(0))
        return cached.expiration if cached else None

    def _scope(self) -> str:
        """Cache keys start with who and where: a new endpoint or login never reuses a key."""
        import hashlib

        where = f"{self.endpoint_url() or 'aws'}|{self.login.kind}|{self.login.access_key_id or ''}"
        return f"{self.whoami().arn}@{hashlib.sha256(where.encode()).hexdigest()[:12]}"

    def _mfa_key(self) -> str:
        return f"{self._scope()}|mfa"

    def cached_sessions(self) -> dict[str, dt.datetime]:
        """Live cached role sessions of this identity, "env|access" -> expiry."""
        prefix = self._scope() + "|"
        return {
            key.removeprefix(prefix): expiry
            for key, expiry in self.cache.entries().items()
            if key.startswith(prefix) and not key.endswith("|mfa")
        }

    def _ops_sts(self) -> Any:
        """The ops identity's own STS client (made once: a client costs ~45 ms)."""
        return self._sts_for("ops", self.ops_session)

    def _source_sts(self) -> Any:
        """STS as what roles are assumed from: the ops identity, or its MFA session token."""
        serial = self.config.ops.mfa_serial
        if not serial:
            return self._ops_sts()
        cached = self.cache.get(self._mfa_key(), REFRESH_MARGIN)
        if cached is None:
            cached = self._new_mfa_session(serial)

        def mfa_session() -> boto3.Session:
            import boto3

            return boto3.Session(
                aws_access_key_id=cached.access_key_id,
                aws_secret_access_key=cached.secret_access_key,
                aws_session_token=cached.session_token,
                region_name=self.config.ops.region,
                botocore_session=core_session(),
            )

        return self._sts_for(f"mfa:{cached.access_key_id}", mfa_session)

    def _sts_for(self, key: str, session: Callable[[], boto3.Session]) -> Any:
        with self._lock:
            if key not in self._sts:
                self._sts[key] = self._raw_client(session(), "sts", self.config.ops.region, None)
            return self._sts[key]

    def _new_mfa_session(self, serial: str) -> CachedCredentials:
        if self._mfa_prompt is None:
            raise AuthError(
                f"MFA code needed for {serial}, but nobody can be asked (not a terminal)"
            )
        code = self._mfa_prompt(serial).strip()
        try:
            answer = self._ops_sts().get_session_token(
                SerialNumber=serial,
                TokenCode=code,
                DurationSeconds=self.config.ops.session_hours * 3600,
            )
        except Exception as error:
            raise translate(error, f"MFA with {serial}") from None
        creds = _cached(answer["Credentials"])
        self.cache.put(self._mfa_key(), creds)
        return creds

    # -- environment sessions ---------------------------------------------------------

    def session(self, env: str, access: str = "read") -> boto3.Session:
        """A self-refreshing session in ``env``'s account with the role for ``access``."""
        self.config.environment(env)
        self.config.role_name(env, access)
        key = (env, access)
        with self._lock:
            if key not in self._sessions:
                self._sessions[key] = self._refreshable(env, access)
            return self._sessions[key]

    def credentials(self, env: str, access: str = "read") -> CachedCredentials:
        """Current temporary credentials for ``env`` at ``access`` (for `opskit exec`)."""
        return self._assume(env, access, REFRESH_MARGIN)

    def _refreshable(self, env: str, access: str) -> boto3.Session:
        import boto3
        from botocore.credentials import RefreshableCredentials

        from opskit.accounts.fast_json import FastParserFactory

        first = self._assume(env, access, REFRESH_MARGIN).as_metadata()
        credentials = RefreshableCredentials.create_from_metadata(
            metadata=first,
            refresh_using=lambda: self._assume(env, access, REFRESH_MARGIN).as_metadata(),
            method="opskit-assume-role",
        )
        core: Any = core_session()  # the shared model loader; typed stubs hide _credentials
        core._credentials = credentials
        factory = FastParserFactory()  # lists of events: one pass each (opskit.accounts.fast_json)
        factory.set_parser_defaults(
            timestamp_parser=parse_timestamp  # utilization points by the 100,000
        )
        core.register_component("response_parser_factory", factory)
        return boto3.Session(botocore_session=core, region_name=self.config.environment(env).region)

    def _assume(self, env: str, access: str, margin: dt.timedelta) -> CachedCredentials:
        identity = self.whoami()
        key = f"{self._scope()}|{env}|{access}"
        cached = self.cache.get(key, margin)
        if cached is not None:
            return cached
        role_arn = self.config.role_arn(env, access)
        try:
            answer = self._source_sts().assume_role(
                RoleArn=role_arn,
                RoleSessionName=identity.session_name,
                SourceIdentity=identity.session_name,
                DurationSeconds=self._role_duration,
            )
        except Exception as error:
            if is_denied(error):
                raise AuthError(
                    f"{identity.user_name} may not enter {env} at access '{access}' "
                    f"(role {role_arn}): {' '.join(error_message(error).split())}"
                ) from None
            raise translate(error, f"assuming {role_arn} for {env}") from None
        creds = _cached(answer["Credentials"])
        self.cache.put(key, creds)
        return creds

    # -- clients ----------------------------------------------------------------------

    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any:
        """A cached, instrumented boto3 client for ``service`` in ``env``."""
        region = region or self.config.environment(env).region
        key = (env, access, region, service)
        with self._lock:
            if key not in self._clients:
                session = self.session(env, access)
                client = self._raw_client(session, service, region, env)
                instrument(client, env, self.calls)
                account = self.config.environment(env).account_id
                client.meta.events.register("before-call", self.limiter.hook(account, region))
                self._clients[key] = client
            return self._clients[key]

    def _raw_client(
        self, session: boto3.Session, service: str, region: str, env: str | None
    ) -> Any:
        from botocore.config import Config as BotoConfig

        boto_config = BotoConfig(
            retries={"mode": "adaptive", "max_attempts": self._max_attempts},
            max_pool_connections=32,
            connect_timeout=5,
            read_timeout=30,
            user_agent_extra="opskit",
        )
        maker: Any = session  # any service name, not only the stubs' literals
        return maker.client(
            service, region_name=region, endpoint_url=self.endpoint_url(env), config=boto_config
        )


def _cached(credentials: dict[str, Any]) -> CachedCredentials:
    expiration = credentials["Expiration"]
    if isinstance(expiration, str):
        expiration = dt.datetime.fromisoformat(expiration.replace("Z", "+00:00"))
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=dt.UTC)
    return CachedCredentials(
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
        expiration,
    )
