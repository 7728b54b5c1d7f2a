"""Client of the sandbox's control paths (``/_opskit/...``): fault rules.

Used by ``opskit sandbox faults`` and by tests. Every call carries the instance token from
the state file (only its owner can read it), so no other local user can set faults.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from opskit.errors import AwsError, UsageError
from sandbox.state import SandboxInfo

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _call(info: SandboxInfo, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{info.endpoint_url}{path}",
        data=data,
        method=method,
        headers={"X-Opskit-Token": info.token, "Content-Type": "application/json"},
    )
    try:
        with _NO_PROXY.open(request, timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        message = json.loads(error.read() or b"{}").get("error", error.reason)
        if error.code == 400:
            what = "the bill change" if path.startswith("/_opskit/billing") else "the fault"
            raise UsageError(f"sandbox refused {what}: {message}") from None
        raise AwsError(f"sandbox control {method} {path} failed: {message}") from None
    except OSError as error:
        raise AwsError(f"sandbox at {info.endpoint_url} does not answer: {error}") from None


def set_fault(info: SandboxInfo, **rule: Any) -> dict[str, Any]:
    """Add a fault rule (fields of ``faults.FaultRule``); the rule as stored, with its id."""
    fields = {k: v for k, v in rule.items() if v is not None}
    answer: dict[str, Any] = _call(info, "POST", "/_opskit/faults", fields)["fault"]
    return answer


def list_faults(info: SandboxInfo) -> list[dict[str, Any]]:
    faults: list[dict[str, Any]] = _call(info, "GET", "/_opskit/faults")["faults"]
    return faults


def clear_faults(info: SandboxInfo, rule_id: str | None = None) -> int:
    """Remove one rule or all of them; how many were removed."""
    path = "/_opskit/faults" + (f"?id={urllib.parse.quote(rule_id)}" if rule_id else "")
    return int(_call(info, "DELETE", path)["removed"])


def bill_now(info: SandboxInfo, advance_days: int = 0) -> dict[str, Any]:
    """Refresh the sandbox's live bill now (after moving its today on by ``advance_days``)."""
    body = {"advance_days": advance_days} if advance_days else {"refresh": True}
    answer: dict[str, Any] = _call(info, "POST", "/_opskit/billing", body)
    return answer
