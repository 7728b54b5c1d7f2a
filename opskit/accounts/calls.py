"""Counting and logging every AWS call, through botocore's event hooks.

Every client opskit makes reports here: the estate puts call counts by operation in each
snapshot (the TUI footer and the benchmarks show them), and ``--verbose`` logs each call
with its environment, duration and retries. Parameters are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Any

log = logging.getLogger("opskit.aws")


class CallStats:
    """A thread-safe counter of AWS calls by ``service.Operation`` and by environment."""

    def __init__(self) -> None:
        self._by_operation: Counter[str] = Counter()
        self._by_env: Counter[str] = Counter()
        self._by_env_operation: Counter[tuple[str, str]] = Counter()
        self._retries = 0
        self._lock = threading.Lock()

    def record(self, env: str, operation: str, retries: int) -> None:
        with self._lock:
            self._by_operation[operation] += 1
            self._by_env[env] += 1
            self._by_env_operation[(env, operation)] += 1
            self._retries += retries

    def by_operation(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_operation)

    def by_env(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_env)

    def by_env_operation(self) -> dict[str, dict[str, int]]:
        """env -> operation -> calls (the estate puts each environment's share in its state)."""
        with self._lock:
            out: dict[str, dict[str, int]] = {}
            for (env, operation), count in self._by_env_operation.items():
                out.setdefault(env, {})[operation] = count
            return out

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._by_operation.values())

    @property
    def retries(self) -> int:
        with self._lock:
            return self._retries


def instrument(client: Any, env: str, stats: CallStats) -> None:
    """Register count/log hooks on a botocore client for one environment."""
    started: dict[int, float] = {}
    service = client.meta.service_model.endpoint_prefix

    def before_call(context: Any, **_: Any) -> None:
        started[id(context)] = time.perf_counter()

    def after_call(model: Any, parsed: Any, context: Any, **_: Any) -> None:
        began = started.pop(id(context), None)
        meta = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        retries = int(meta.get("RetryAttempts", 0))
        operation = f"{service}.{model.name}"
        stats.record(env, operation, retries)
        if log.isEnabledFor(logging.DEBUG):
            took = (time.perf_counter() - began) * 1000 if began else 0.0
            status = meta.get("HTTPStatusCode", "?")
            log.debug("%s %s %s %.0f ms retries=%d", env, operation, status, took, retries)

    client.meta.events.register("before-call", before_call)
    client.meta.events.register("after-call", after_call)
