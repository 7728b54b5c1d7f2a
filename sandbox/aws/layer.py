"""The "AWS's rules" layer: a WSGI middleware in front of moto's server application.

For every request it, in order:

1. answers the sandbox's own control paths under ``/_opskit/`` (health, faults);
2. once the sandbox is sealed (seeded, IAM enforcement on), refuses moto's reset paths and
   ignores moto's account-override header, so no client can undo the enforcement;
3. verifies and translates temporary credentials (``sessions``: session tokens, expiry);
4. applies fault rules (``faults``: latency, throttling, 5xx);
5. runs an override handler when one is registered for the operation (``overrides``:
   AWS's paging and batch limits, fixes of moto's gaps, other sandbox modules' answers),
   after authorizing the caller as moto's IAM enforcement would;
6. otherwise passes the request to moto, re-rendering moto's auth errors in the caller's
   protocol (moto renders them as Query XML for every service).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from sandbox.aws import wire
from sandbox.aws.faults import FaultRule, FaultStore, denied_error
from sandbox.aws.overrides import AwsApiError, AwsCall, handler_for, overridden_services
from sandbox.aws.sessions import SESSION_KEY_ENVIRON, SESSIONS

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
CONTROL_PREFIX = "/_opskit/"
TOKEN_HEADER = "X-Opskit-Token"
_RESET_PATHS = ("/moto-api/reset", "/moto-api/reset-auth")


class RulesLayer:
    """WSGI app: our rules first, then moto."""

    def __init__(self, moto_app: wire.WsgiApp, faults: FaultStore, token: str) -> None:
        self.moto_app = moto_app
        self.faults = faults
        self.token = token
        self.sealed = False
        self.ready = False
        self.exempt_keys: frozenset[str] = frozenset()  # the server's own, never faulted
        # Told the operation of each user request that may write (sandbox.persist saves).
        self.on_write: Callable[[str | None], None] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return _respond(start_response, self._control(environ, path))
        if self.sealed:
            if path.rstrip("/") in _RESET_PATHS:
                message = "the sandbox keeps IAM enforcement on; use `opskit sandbox reset`"
                return _respond(start_response, _json(403, {"error": message}))
            environ.pop("HTTP_X_MOTO_ACCOUNT_ID", None)
        signed = wire.signed(environ)
        if signed is None:
            return self.moto_app(environ, start_response)
        try:
            service = wire.service_name(signed.signing_name, environ)
            protocol = wire.protocol_of(service, environ)
        except Exception:  # not a service botocore knows: moto decides
            return self.moto_app(environ, start_response)
        if self.on_write is not None and signed.access_key not in self.exempt_keys:
            self._tell_write(environ, service, protocol)
        answer = self._aws(environ, signed, service, protocol)
        if answer is not None:
            return _respond(start_response, answer)
        return self._pass_through(environ, start_response, service, protocol)

    def _tell_write(self, environ: dict[str, Any], service: str, protocol: str) -> None:
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS") or self.on_write is None:
            return
        try:
            operation = wire.operation_name(service, protocol, environ)
        except Exception:  # moto will answer it (or not): a save costs little
            operation = ""
        self.on_write(operation)

    def _aws(
        self, environ: dict[str, Any], signed: wire.Signed, service: str, protocol: str
    ) -> wire.Answer | None:
        """Our answer to an AWS request, or None to let moto answer it."""
        operation: str | None = None
        try:
            SESSIONS.translate(environ, signed, protocol)
            signed = wire.signed(environ) or signed
            account = wire.account_for(signed.access_key, environ)
            fault_services = self.faults.services()
            if (
                service in overridden_services()
                or service in fault_services
                or "*" in fault_services
            ):
                operation = wire.operation_name(service, protocol, environ)
            if operation is None:
                return None
            if signed.access_key not in self.exempt_keys:
                verdict = self.faults.decide(service, operation, account, protocol)
                if verdict.delay_ms:
                    time.sleep(verdict.delay_ms / 1000)
                if verdict.denied:
                    caller = wire.caller_arn(account, signed.access_key, environ)
                    raise denied_error(service, operation, protocol, caller)
                if verdict.error is not None:
                    raise verdict.error
            handler = handler_for(service, operation)
            if handler is None:
                return None
            wire.authorize(environ, account, operation, protocol)
            call = self._call(environ, signed, service, operation, protocol, account)
            result = handler(call)
            if result is None:
                return None
            return wire.serialize(service, operation, protocol, dict(result))
        except wire.MotoAnswered as answered:
            return wire.reshape_auth_error(service, operation, protocol, answered.answer)
        except AwsApiError as error:
            operation = operation or wire.operation_name(service, protocol, environ)
            if operation is None:
                return wire.generic_error(protocol, error)
            return wire.serialize(service, operation, protocol, error)
        except Exception:  # a bug in a rule or override: AWS's 500, the traceback in the log
            log.exception("sandbox layer failed on %s:%s", service, operation)
            failure = AwsApiError("InternalFailure", "The sandbox failed on this request.", 500)
            if operation is None:
                return wire.generic_error(protocol, failure)
            return wire.serialize(service, operation, protocol, failure)

    def _call(
        self,
        environ: dict[str, Any],
        signed: wire.Signed,
        service: str,
        operation: str,
        protocol: str,
        account: str,
    ) -> AwsCall:
        params = wire.parse_params(service, operation, protocol, environ)

        def forward(call: AwsCall, changed: Any) -> dict[str, Any]:
            sent = call.params if changed is None else changed
            return wire.forward(self.moto_app, environ, service, operation, protocol, sent)

        return AwsCall(
            service=service,
            operation=operation,
            params=dict(params),
            account_id=account,
            region=signed.region,
            protocol=protocol,
            access_key_id=signed.access_key,
            is_session=SESSION_KEY_ENVIRON in environ,
            caller=lambda: wire.caller_arn(account, signed.access_key, environ),
            forward=forward,
        )

    def _pass_through(
        self, environ: dict[str, Any], start_response: StartResponse, service: str, protocol: str
    ) -> Iterable[bytes]:
        """moto's answer, streamed, except auth errors, which are re-rendered."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        chunks = self.moto_app(environ, capture)
        status = int(captured["status"].split(" ", 1)[0])
        if status != 403 or not wire.needs_reshape(service, protocol):
            start_response(captured["status"], captured["headers"])
            return chunks
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        operation = wire.operation_name(service, protocol, environ)
        answer = (status, list(captured["headers"]), body)
        return _respond(
            start_response, wire.reshape_auth_error(service, operation, protocol, answer)
        )

    # -- control paths ------------------------------------------------------------------

    def _control(self, environ: dict[str, Any], path: str) -> wire.Answer:
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_opskit/health":
            ready = self.ready
            return _json(200 if ready else 503, {"pid": os.getpid(), "ready": ready})
        if environ.get("HTTP_" + TOKEN_HEADER.upper().replace("-", "_")) != self.token:
            return _json(403, {"error": f"missing or wrong {TOKEN_HEADER} header"})
        if path == "/_opskit/faults":
            return self._faults(environ, method)
        if path == "/_opskit/billing" and method == "POST":
            return _billing(environ)
        return _json(404, {"error": f"no control path {path}"})

    def _faults(self, environ: dict[str, Any], method: str) -> wire.Answer:
        if method == "GET":
            return _json(200, {"faults": [r.to_json() for r in self.faults.list()]})
        if method == "DELETE":
            rule_id = parse_qs(environ.get("QUERY_STRING", "")).get("id", [None])[0]
            removed = self.faults.clear(rule_id)
            log.info("faults cleared: %s removed", removed)
            return _json(200, {"removed": removed})
        if method == "POST":
            try:
                data = json.loads(wire.read_body(environ) or b"{}")
                fields = {k: data[k] for k in FaultRule.__dataclass_fields__ if k in data}
                fields.pop("id", None)
                fields.pop("fired", None)
                rule = self.faults.add(FaultRule(**fields))
            except (ValueError, TypeError) as error:
                return _json(400, {"error": str(error)})
            log.info("fault set: %s", rule.to_json())
            return _json(201, {"fault": rule.to_json()})
        return _json(405, {"error": f"{method} is not allowed here"})


def _billing(environ: dict[str, Any]) -> wire.Answer:
    """Refresh the live bill now, or advance its today first (``sandbox.billing.live``)."""
    from sandbox.billing import live

    try:
        return _json(200, live.control(json.loads(wire.read_body(environ) or b"{}")))
    except (ValueError, TypeError) as error:
        return _json(400, {"error": str(error)})


def _json(status: int, data: Any) -> wire.Answer:
    body = json.dumps(data).encode()
    return status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


def _respond(start_response: StartResponse, answer: wire.Answer) -> list[bytes]:
    status, headers, body = answer
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {_REASONS.get(status, 'Status')}", headers)
    return [body]
