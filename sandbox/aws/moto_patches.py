"""The few places where the sandbox changes moto itself, in the server process only.

Each patch fixes one documented gap of the pinned moto version (``MOTO_VERSION``) that a
WSGI layer in front of moto cannot fix from outside; tests in tests/sandbox pin every gap,
so a moto upgrade that changes one fails loudly.

1. Signatures of body-less requests (the Route53 GET bug). With IAM enforcement on, moto
   re-signs each request to check its signature, using ``data=self._body or self._data``
   as the payload. A GET has no body, and for such a request moto's ``data`` is the parsed
   query string or, when there is none, *the request headers*; so the payload hash moto
   computes is not the empty-body hash the client signed, and every Route53 read fails with
   SignatureDoesNotMatch while writes (with bodies) pass. SigV4 signs the raw body, never
   the query (that is in the canonical query string already): for body-less methods we
   sign an empty payload. (Form POSTs keep moto's way: werkzeug hands their body to moto
   only as the parsed form, which moto re-encodes.)
2. Pre-authorized requests. When our layer has already authenticated and authorized a
   caller (for an override that forwards a modified request to moto), it marks the WSGI
   environ with ``PREAUTHORIZED``; moto then skips its own check for that request only.
   A client cannot set an environ key that is not an HTTP header, so this cannot be forged.
3. Exact account ids. moto's Organizations gives created accounts random ids; the config
   names exact ones. ``next_account_ids`` queues the ids the next CreateAccount calls get.
4. Every container of a task. moto's ``Task`` carries only its task definition's first
   container, so a sidecar (a log router, an agent, a proxy) never shows in DescribeTasks;
   AWS lists one container per container definition, each with its own name and image.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

MOTO_VERSION = "5.2.5"
PREAUTHORIZED = "opskit.preauthorized"
_BODILESS_METHODS = ("GET", "HEAD", "DELETE", "OPTIONS")

_applied = False
_account_ids: deque[str] = deque()
_account_ids_lock = threading.Lock()


def apply() -> None:
    """Install every patch (idempotent). Call once, in the server process, before serving."""
    global _applied
    if _applied:
        return
    import moto

    if moto.__version__ != MOTO_VERSION:
        log.warning(
            "moto %s is installed but the sandbox is pinned to %s: its gap fixes may be wrong",
            moto.__version__,
            MOTO_VERSION,
        )
    _patch_signature_payload()
    _patch_preauthorized()
    _patch_account_ids()
    _patch_task_containers()
    _applied = True


def _patch_signature_payload() -> None:
    from botocore.awsrequest import AWSRequest
    from moto.iam.access_control import IAMRequestBase

    def _create_aws_request(self: Any) -> AWSRequest:
        signed_headers = self._get_string_between(
            "SignedHeaders=", ",", self._headers["Authorization"]
        ).split(";")
        headers = self._create_headers_for_aws_request(signed_headers, self._headers)
        bodiless = self._method in _BODILESS_METHODS
        data = self._body or (b"" if bodiless else self._data)
        request = AWSRequest(method=self._method, url=self._path, data=data, headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    request_base: Any = IAMRequestBase
    request_base._create_aws_request = _create_aws_request


def _patch_preauthorized() -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def _authenticate_and_authorize_action(
        self: Any, iam_request_cls: type, resource: str = "*"
    ) -> None:
        request = getattr(self, "normalized_request", None)
        if request is not None and request.environ.get(PREAUTHORIZED):
            return
        original(self, iam_request_cls, resource)

    mixin: Any = ActionAuthenticatorMixin
    mixin._authenticate_and_authorize_action = _authenticate_and_authorize_action


def _patch_account_ids() -> None:
    from moto.organizations import utils

    original = utils.make_random_account_id

    def make_account_id() -> str:
        with _account_ids_lock:
            if _account_ids:
                return _account_ids.popleft()
        return str(original())

    utils.make_random_account_id = make_account_id


def _patch_task_containers() -> None:
    from moto.ecs import models

    original = models.Task.__init__
    make: Any = models.Container  # abstract to mypy (CloudFormation hooks), concrete to moto

    def __init__(self: Any, cluster: Any, task_definition: Any, *args: Any, **kwargs: Any) -> None:
        original(self, cluster, task_definition, *args, **kwargs)
        containers = []
        for definition in task_definition.container_definitions:
            container: Any = make(task_definition)
            container.image = definition.get("image")
            container.cpu = definition.get("cpu", 0)
            container.memory = definition.get("memory")
            container.environment = definition.get("environment")
            container.name = definition.get("name")
            container.command = definition.get("command")
            containers.append(container)
        self.containers = containers or self.containers

    task: Any = models.Task
    task.__init__ = __init__


@contextmanager
def next_account_ids(ids: list[str]) -> Iterator[None]:
    """Within the block, CreateAccount calls get these ids, in order."""
    with _account_ids_lock:
        _account_ids.extend(ids)
    try:
        yield
    finally:
        with _account_ids_lock:
            _account_ids.clear()


def enable_iam_enforcement() -> None:
    """Switch IAM enforcement on for every later request (what POST /moto-api/reset-auth 0 does)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0


def iam_enforced() -> bool:
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    return bool(ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT)
