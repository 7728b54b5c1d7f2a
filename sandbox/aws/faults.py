"""Fault rehearsal: make chosen AWS operations throttle, fail or slow down on purpose.

Rules live in the server process and are managed over HTTP on the sandbox's own endpoint
(``GET/POST/DELETE /_opskit/faults``; ``opskit sandbox faults set|list|clear`` wraps it).
A rule matches by service (boto3 name, or ``*``), operation (API name, or ``*``) and,
optionally, the caller's account. Each matching call fires it with probability ``rate``;
``count`` (optional) caps how many times it fires in all. When it fires:

- ``latency`` waits ``delay_ms`` and lets the call through (e.g. a 30 ms AWS round trip);
- ``throttle`` answers with the protocol's real throttling error, which boto3 retries
  (JSON protocols: ``ThrottlingException``, Query/REST-XML: ``Throttling``, EC2:
  ``RequestLimitExceeded``), after ``delay_ms`` if set;
- ``error`` answers 500 ``InternalFailure`` (boto3 retries it as transient, too);
- ``deny`` answers 403 as AWS answers a caller whose policy lacks the action, in the
  protocol's shape (Query/REST-XML ``AccessDenied`` in ``<ErrorResponse><Error>``, JSON
  ``__type`` and rest-json ``x-amzn-ErrorType`` ``AccessDeniedException``, EC2
  ``UnauthorizedOperation``): rehearses a read role without, say, ``route53:List*``.

``operation`` may be a glob (``List*``), as IAM actions are.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sandbox.aws.overrides import AwsApiError

Kind = Literal["throttle", "error", "latency", "deny"]
KINDS: tuple[str, ...] = ("throttle", "error", "latency", "deny")
# IAM action prefixes whose boto3 client name differs.
_ACTION_PREFIX = {"elbv2": "elasticloadbalancing", "elb": "elasticloadbalancing"}


def pascal_operation(name: str) -> str:
    """``list_services`` or ``ListServices`` -> ``ListServices``."""
    if "*" in name or ("_" not in name and name[:1].isupper()):
        return name
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


@dataclass
class FaultRule:
    """One fault: what it matches, what it does, how often."""

    service: str
    operation: str = "*"
    kind: Kind = "throttle"
    rate: float = 1.0
    delay_ms: int = 0
    account: str | None = None
    count: int | None = None
    id: str = ""
    fired: int = field(default=0)

    def __post_init__(self) -> None:
        self.operation = pascal_operation(self.operation)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {self.rate}")
        if int(self.delay_ms) < 0 or int(self.delay_ms) > 60_000:
            raise ValueError(f"delay_ms must be between 0 and 60000, not {self.delay_ms}")
        if self.count is not None and int(self.count) < 1:
            raise ValueError(f"count must be at least 1, not {self.count}")
        if self.account is not None and not (len(self.account) == 12 and self.account.isdigit()):
            raise ValueError(f"account must be a 12-digit account id, not {self.account!r}")
        self.rate, self.delay_ms = float(self.rate), int(self.delay_ms)

    def matches(self, service: str, operation: str, account: str) -> bool:
        return (
            self.service in ("*", service)
            and fnmatch.fnmatchcase(operation, self.operation)
            and (self.account is None or self.account == account)
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Verdict:
    """What the matching rules decided for one call."""

    delay_ms: int = 0
    error: AwsApiError | None = None
    denied: bool = False  # the error is a ``deny``: the layer names the caller in it


def throttling_error(service: str, protocol: str) -> AwsApiError:
    if protocol == "ec2":
        return AwsApiError("RequestLimitExceeded", "Request limit exceeded.", 503)
    if protocol in ("json", "rest-json"):
        return AwsApiError("ThrottlingException", "Rate exceeded", 400)
    return AwsApiError("Throttling", "Rate exceeded", 400)


def denied_error(service: str, operation: str, protocol: str, caller: str = "") -> AwsApiError:
    """AccessDenied as the service names it (the layer renders it in the protocol's shape),
    with IAM's message naming the caller and the action."""
    action = f"{_ACTION_PREFIX.get(service, service)}:{operation}"
    message = (
        f"User: {caller or 'the caller'} is not authorized to perform: {action} "
        f"because no identity-based policy allows the {action} action"
    )
    if protocol == "ec2":
        return AwsApiError("UnauthorizedOperation", message, 403)
    if protocol in ("json", "rest-json"):
        return AwsApiError("AccessDeniedException", message, 403)
    return AwsApiError("AccessDenied", message, 403)


class FaultStore:
    """The server's fault rules (thread-safe)."""

    def __init__(self, known_services: frozenset[str] | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._known = known_services
        self._random = random.Random()

    def add(self, rule: FaultRule) -> FaultRule:
        if self._known is not None and rule.service != "*" and rule.service not in self._known:
            raise ValueError(f"unknown service {rule.service!r} (use the boto3 client name)")
        with self._lock:
            rule.id = f"f{next(self._ids)}"
            self._rules.append(rule)
        return rule

    def list(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self, rule_id: str | None = None) -> int:
        """Remove one rule (by id) or all; how many were removed."""
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if rule_id is not None and r.id != rule_id]
            return before - len(self._rules)

    def services(self) -> frozenset[str]:
        """Services some rule may match (``*`` for all)."""
        with self._lock:
            return frozenset(r.service for r in self._rules)

    def decide(self, service: str, operation: str, account: str, protocol: str) -> Verdict:
        verdict = Verdict()
        with self._lock:
            for rule in self._rules:
                if not rule.matches(service, operation, account):
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if self._random.random() >= rule.rate:
                    continue
                rule.fired += 1
                verdict.delay_ms += rule.delay_ms
                if rule.kind == "throttle" and verdict.error is None:
                    verdict.error = throttling_error(service, protocol)
                elif rule.kind == "deny" and verdict.error is None:
                    verdict.error = denied_error(service, operation, protocol)
                    verdict.denied = True
                elif rule.kind == "error" and verdict.error is None:
                    verdict.error = AwsApiError(
                        "InternalFailure",
                        "The request processing has failed because of an unknown error "
                        "(sandbox fault rule).",
                        500,
                    )
        return verdict
