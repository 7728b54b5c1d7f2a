"""``AwsAs``: boto3 clients acting as one sandbox user (the ``alice``/``bob`` fixtures).

Its own module so that tests and helper scripts import it by this name: several test
folders have a ``conftest.py``, and ``from conftest import …`` finds whichever came first.
"""

from __future__ import annotations

import threading
from typing import Any

from sandbox.aws.shared_models import boto_session
from sandbox.state import SandboxInfo


class AwsAs:
    """boto3 clients acting as one sandbox user, over HTTP like any AWS client.

    ``client(service)`` acts in the ops account with the user's own keys;
    ``client(service, env="prod", access="deploy")`` first assumes that environment's role
    through STS (credentials are cached per env and access level for the session).
    ``retries``: how many times boto3 retries a retryable error (standard mode; botocore's
    ``max_attempts`` counts retries); 0 fails fast where a test expects an error.
    """

    def __init__(self, info: SandboxInfo, user: str) -> None:
        self.info = info
        self.user = info.user(user)
        self._session = boto_session(
            aws_access_key_id=self.user.access_key_id,
            aws_secret_access_key=self.user.secret_access_key,
            region_name=info.region,
        )
        self._credentials: dict[tuple[str, str], dict[str, Any]] = {}
        self._clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    def _config(self, retries: int) -> Any:
        from botocore.config import Config

        return Config(retries={"mode": "standard", "max_attempts": retries})

    def credentials(self, env: str, access: str = "read") -> dict[str, Any]:
        """Temporary credentials for ``env``'s role at ``access`` (AssumeRole over HTTP)."""
        key = (env, access)
        with self._lock:
            if key not in self._credentials:
                sts = self.client("sts")
                answer = sts.assume_role(
                    RoleArn=self.info.roles[env][access], RoleSessionName=self.user.name
                )
                self._credentials[key] = answer["Credentials"]
            return self._credentials[key]

    def client(
        self,
        service: str,
        env: str | None = None,
        access: str = "read",
        retries: int = 2,
        region: str | None = None,
    ) -> Any:
        """``region``: the sandbox's (the ops region) unless named."""
        key = (service, env, access, retries, region)
        if key in self._clients:
            return self._clients[key]

        if env is None:
            client = self._session.client(
                service, endpoint_url=self.info.endpoint_url, config=self._config(retries)
            )
        else:
            creds = self.credentials(env, access)
            client = boto_session().client(
                service,
                region_name=region or self.info.region,
                endpoint_url=self.info.endpoint_url,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
                config=self._config(retries),
            )
        self._clients[key] = client
        return client
