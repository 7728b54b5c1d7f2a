"""Monitors plan: desired monitors (from the policy) against Datadog's, matched by identity tag.

Datadog hands monitors back a little different from how they were sent: "metric alert"
becomes "query alert", messages lose trailing whitespace, ``85`` comes back as ``85.0``.
``normalise`` removes those known drifts before anything is compared, so a plan right after
an apply is empty, while a real hand edit (a threshold, a query, a tag) shows as drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from opskit.datadog.policy import MANAGED_TAG, MonitorSpec, fmt_number

Action = Literal["create", "update", "delete"]
COMPARED = (
    "name",
    "type",
    "query",
    "message",
    "tags",
    "critical",
    "warning",
    "notify_no_data",
    "include_tags",
    "priority",
)
_TYPE_ALIASES = {"metric alert": "query alert"}
_NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+|\d+)(?![\w.])")


def _normalise_numbers(text: str) -> str:
    """``85.0`` -> ``85`` and ``0.50`` -> ``0.5`` outside ``{…}`` scopes (tag values stay)."""
    parts = re.split(r"(\{[^}]*\})", text)
    return "".join(
        part if part.startswith("{") else _NUMBER.sub(lambda m: fmt_number(float(m[1])), part)
        for part in parts
    )


def normalise_query(query: str) -> str:
    """A query without whitespace and number-format noise."""
    text = re.sub(r"\s+", " ", query.strip())
    text = re.sub(r"\s*([<>]=?)\s*", r" \1 ", text)
    return _normalise_numbers(text)


def normalise_message(message: str) -> str:
    """A message as Datadog keeps it: CRLF as LF, no trailing blanks, trimmed."""
    lines = message.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def comparable(monitor: Mapping[str, Any] | MonitorSpec) -> dict[str, Any]:
    """The managed fields of a live monitor (Datadog's JSON) or a spec, normalised."""
    if isinstance(monitor, MonitorSpec):
        data: dict[str, Any] = monitor.body()
        if "priority" not in data:
            data["priority"] = None
    else:
        data = dict(monitor)
    options = data.get("options") or {}
    thresholds = options.get("thresholds") or {}
    kind = str(data.get("type", ""))
    return {
        "name": str(data.get("name", "")).strip(),
        "type": _TYPE_ALIASES.get(kind, kind),
        "query": normalise_query(str(data.get("query", ""))),
        "message": normalise_message(str(data.get("message", ""))),
        "tags": sorted(str(t) for t in data.get("tags") or []),
        "critical": _float(thresholds.get("critical")),
        "warning": _float(thresholds.get("warning")),
        "notify_no_data": bool(options.get("notify_no_data", False)),
        "include_tags": bool(options.get("include_tags", True)),
        "priority": data.get("priority"),
    }


def identity_of(monitor: Mapping[str, Any], identity_tag: str) -> str | None:
    """The identity a monitor carries in its tags, if any."""
    prefix = f"{identity_tag}:"
    for tag in monitor.get("tags") or []:
        if str(tag).startswith(prefix):
            return str(tag)[len(prefix) :]
    return None


def env_of(monitor: Mapping[str, Any], identity_tag: str) -> str | None:
    """The environment a managed monitor belongs to (from its identity or ``env:`` tag)."""
    identity = identity_of(monitor, identity_tag)
    if identity:
        return identity.split(".", 1)[0]
    for tag in monitor.get("tags") or []:
        if str(tag).startswith("env:"):
            return str(tag)[4:]
    return None


@dataclass(frozen=True)
class MonitorStep:
    """One thing plan wants done: create, update (with the fields that differ) or delete."""

    action: Action
    identity: str
    name: str
    monitor_id: int | None = None
    spec: MonitorSpec | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fields: tuple[str, ...] = ()

    def row(self) -> dict[str, Any]:
        """One step of ``monitors plan`` output: for a create, what the monitor watches and
        whom it tells; for an update, each changed field in full (long text as a word diff)."""
        from opskit.datadog import plan_text

        before, after = self.before or {}, self.after or {}
        if self.action == "create":
            changes = plan_text.creation(after)
        else:
            changes = [plan_text.change(f, before.get(f), after.get(f)) for f in self.fields]
        row: dict[str, Any] = {
            "action": self.action,
            "identity": self.identity,
            "id": self.monitor_id,
            "name": self.name,
            "changes": changes,
        }
        if self.action == "create":
            row |= {
                "query": after.get("query"),
                "critical": after.get("critical"),
                "warning": after.get("warning"),
                "notify": plan_text.notify_targets(str(after.get("message", ""))),
            }
        elif self.action == "update":
            row["before"] = {f: before.get(f) for f in self.fields}
            row["after"] = {f: after.get(f) for f in self.fields}
        return row


@dataclass
class MonitorPlan:
    """What ``monitors apply`` would do, plus what it leaves alone."""

    steps: list[MonitorStep] = field(default_factory=list)
    unchanged: int = 0
    untracked: list[MonitorStep] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps


def live_value(monitor: Mapping[str, Any]) -> dict[str, Any]:
    """A live monitor as plans record it: its managed fields, normalised, and its id."""
    return {**comparable(monitor), "id": int(monitor["id"])}


def index_live(
    live: Iterable[Mapping[str, Any]], identity_tag: str
) -> dict[str, Mapping[str, Any]]:
    """Live monitors by key: the identity for the oldest monitor carrying it; ``identity#id``
    (or ``untracked#id``) for duplicates and for monitors without an identity."""
    out: dict[str, Mapping[str, Any]] = {}
    for monitor in sorted(live, key=lambda m: int(m.get("id") or 0)):
        identity = identity_of(monitor, identity_tag)
        key = (
            identity
            if identity and identity not in out
            else f"{identity or 'untracked'}#{monitor['id']}"
        )
        out[key] = monitor
    return out


def plan_monitors(
    desired: Iterable[MonitorSpec],
    live: Iterable[Mapping[str, Any]],
    identity_tag: str,
    *,
    envs: Iterable[str] | None = None,
    prune: bool = False,
) -> MonitorPlan:
    """Diff desired monitors against live ones; untracked managed monitors in ``envs`` are
    listed, and become delete steps only with ``prune``."""
    scope = set(envs) if envs is not None else None
    indexed = index_live(live, identity_tag)
    plan = MonitorPlan()
    wanted = set()
    for spec in desired:
        wanted.add(spec.identity)
        after = comparable(spec)
        current = indexed.get(spec.identity)
        if current is None:
            plan.steps.append(
                MonitorStep("create", spec.identity, spec.name, None, spec, None, after, ())
            )
            continue
        before = live_value(current)
        fields = tuple(f for f in COMPARED if before[f] != after[f])
        if fields:
            plan.steps.append(
                MonitorStep(
                    "update",
                    spec.identity,
                    spec.name,
                    int(current["id"]),
                    spec,
                    before,
                    after,
                    fields,
                )
            )
        else:
            plan.unchanged += 1
    for key, monitor in indexed.items():
        if key in wanted or MANAGED_TAG not in (monitor.get("tags") or []):
            continue  # wanted, or somebody else's monitor: never ours to delete
        if scope is not None and env_of(monitor, identity_tag) not in scope:
            continue
        step = MonitorStep(
            "delete",
            key,
            str(monitor.get("name", "")),
            int(monitor["id"]),
            None,
            live_value(monitor),
            None,
            (),
        )
        (plan.steps if prune else plan.untracked).append(step)
    return plan
