"""The override registry: sandbox modules that answer an AWS operation themselves.

moto answers most of AWS; where it is wrong or missing, a sandbox module registers a
handler for one ``(service, operation)``::

    from sandbox.aws.overrides import AwsApiError, AwsCall, override

    @override("ce", "GetCostAndUsage")
    def get_cost_and_usage(call: AwsCall) -> dict[str, Any] | None:
        if call.account_id != OPS_ACCOUNT:
            return None                       # fall through to moto
        return {"ResultsByTime": [...]}        # serialized as AWS would

Names. ``service`` is the boto3 client name (``ecs``, ``elbv2``, ``route53``, ``ce``,
``cloudwatch``, ``logs``, ``sts`` …); ``operation`` is the API name (``ListServices``).

What a handler receives: an ``AwsCall`` with the request's input parsed into the shape
boto3 takes (``call.params``, e.g. ``{"cluster": "api", "maxResults": 10}``), the caller's
account id, region, ARN (``call.caller_arn``: a user or an assumed role), access key id,
whether that key is a GetSessionToken session key (``call.is_session``) and protocol.

What it returns: a dict in the operation's *output* shape (exactly what boto3 would hand
back, without ResponseMetadata), serialized for the caller's protocol; or ``None`` to let
moto answer the original request unchanged. To answer like AWS with an error, raise
``AwsApiError(code, message, status)``: it reaches the client as that service's error.

Reusing moto: ``call.forward(params)`` sends the operation (with changed parameters, if
given) to moto as the same caller and returns moto's parsed output dict. If moto answers
with an error, that error goes to the client as-is. ``call.backend()`` gives the moto
backend for the caller's account and region (``sandbox.aws.backends.moto_backend`` for
others), for state moto does not expose over its API.

Authorization. Before a handler runs, the layer checks the caller exactly as moto's IAM
enforcement does (signature, then ``<signing name>:<Operation>`` against the caller's
identity policies; on before IAM enforcement is switched on). A denied caller gets AWS's
AccessDenied and the handler never runs, so overriding an operation never widens access.
Requests that ``forward`` sends to moto are marked pre-authorized (see moto_patches).

Handlers run in the server's request threads: keep them quick and thread-safe. Register
at import time; the server imports the modules listed in ``plugins.OVERRIDE_MODULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Output = Mapping[str, Any]


class AwsApiError(Exception):
    """An AWS error answer: serialized in the caller's protocol with this code and status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class AwsCall:
    """One AWS API call arriving at the sandbox, as an override handler sees it."""

    def __init__(
        self,
        *,
        service: str,
        operation: str,
        params: dict[str, Any],
        account_id: str,
        region: str,
        protocol: str,
        access_key_id: str,
        is_session: bool,
        caller: Callable[[], str],
        forward: Callable[[AwsCall, Mapping[str, Any] | None], dict[str, Any]],
    ) -> None:
        self.service = service
        self.operation = operation
        self.params = params
        self.account_id = account_id
        self.region = region
        self.protocol = protocol
        self.access_key_id = access_key_id
        self.is_session = is_session
        self._caller = caller
        self._forward = forward
        self._caller_arn: str | None = None

    @property
    def caller_arn(self) -> str:
        """The caller: ``arn:aws:iam::ACCT:user/NAME`` or ``arn:aws:sts::ACCT:assumed-role/R/S``."""
        if self._caller_arn is None:
            self._caller_arn = self._caller()
        return self._caller_arn

    def forward(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """moto's parsed answer to this operation (with ``params`` instead, if given)."""
        return self._forward(self, params)

    def backend(self, service: str | None = None) -> Any:
        """The moto backend of ``service`` (default: this call's) for the caller's account."""
        from sandbox.aws.backends import moto_backend

        return moto_backend(service or self.service, self.account_id, self.region)

    def __repr__(self) -> str:
        return f"AwsCall({self.service}:{self.operation} account={self.account_id})"


Handler = Callable[[AwsCall], Output | None]

_handlers: dict[tuple[str, str], Handler] = {}


def override(service: str, operation: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the answer to ``service:operation``."""

    def register(handler: Handler) -> Handler:
        key = (service, operation)
        existing = _handlers.get(key)
        if existing is not None and existing is not handler:
            raise ValueError(
                f"{service}:{operation} is already overridden by {existing.__module__}"
            )
        _handlers[key] = handler
        return handler

    return register


def handler_for(service: str, operation: str) -> Handler | None:
    return _handlers.get((service, operation))


def overridden_services() -> frozenset[str]:
    """Services with at least one override (the layer parses only their requests)."""
    return frozenset(service for service, _ in _handlers)


def registered() -> list[tuple[str, str, str]]:
    """(service, operation, module) for every override, for logs and docs."""
    return sorted((s, o, h.__module__) for (s, o), h in _handlers.items())
