"""The records of a change in the journal, and reading them back as changes.

Every change writes an ``intent`` record before anything is touched and an ``outcome``
record (applied, failed, rolled_back, refused, denied, interrupted) when it ends; a refusal
by a guard, or a denial before anything was planned, writes the outcome alone. Each apply
is one attempt: its records carry an ``attempt_id`` beside the plan's ``change_id``, and
changes are grouped by attempt. ``opskit audit repair`` seals a torn last line with a
``truncated`` record. Each record stands on its own: who (ops identity and source identity), where
(env, account, region, role), what (the plan's diffs), how (front end, runbook run, opskit
version, host, pid), the redacted parameters, and for outcomes the detail and timings.
An intent without an outcome is a change that never finished (a crash): it is *incomplete*.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from opskit import __version__
from opskit.audit.context import Origin
from opskit.errors import UsageError

RecordType = Literal["intent", "outcome"]
Outcome = Literal["applied", "failed", "rolled_back", "refused", "denied", "interrupted"]
OUTCOMES: tuple[Outcome, ...] = (
    "applied",
    "failed",
    "rolled_back",
    "refused",
    "denied",
    "interrupted",
)


@dataclass(frozen=True)
class Actor:
    """Who acts: the ops identity (user and ARN) and the SourceIdentity set on roles."""

    user: str
    arn: str = ""
    source_identity: str | None = None


def utc_now() -> str:
    """Now, as the journal writes times: ISO 8601 UTC with milliseconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def change_record(
    kind: RecordType,
    plan: Mapping[str, Any],
    *,
    actor: Actor,
    origin: Origin,
    role: str,
    outcome: Outcome | None = None,
    detail: str = "",
    data: Mapping[str, Any] | None = None,
    timings: Mapping[str, Any] | None = None,
    attempt: str | None = None,
) -> dict[str, Any]:
    """One journal entry for a plan (``Plan.to_json()``); the journal adds seq and hashes.
    ``attempt`` is the id of this apply of the plan (records without one group by plan)."""
    record: dict[str, Any] = {
        "type": kind,
        "change_id": plan["id"],
        "change": plan["change"],
        "summary": plan["summary"],
        "at": utc_now(),
        "who": {"user": actor.user, "arn": actor.arn, "source_identity": actor.source_identity},
        "where": {
            "env": plan["env"],
            "account_id": plan["account_id"],
            "region": plan["region"],
            "role": role,
            "access": plan["access"],
        },
        "what": {
            "diffs": plan["diffs"],
            "planned_at": plan["created_at"],
            **({"notes": list(plan["notes"])} if plan.get("notes") else {}),  # soak evidence…
        },
        "how": {
            **origin.to_json(),
            "opskit_version": __version__,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        },
        "params": plan["params"],
    }
    if attempt:
        record["attempt_id"] = attempt
    if kind == "outcome":
        record.update(outcome=outcome, detail=detail, data=dict(data or {}))
        record["timings"] = dict(timings or {})
    return record


@dataclass
class ChangeEntry:
    """A change as the journal tells it: its intent and outcome records (either may be
    missing: a refusal has no intent, a crash no outcome)."""

    change_id: str
    intent: dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def first(self) -> dict[str, Any]:
        return self.intent or self.outcome or {}

    @property
    def plan_id(self) -> str:
        """The id of the plan this attempt applied (the change id of older records)."""
        return str(self.first.get("change_id", self.change_id))

    @property
    def status(self) -> str:
        """An outcome (applied, failed, rolled_back, refused, denied, interrupted,
        truncated), or ``incomplete`` with no outcome."""
        return str(self.outcome["outcome"]) if self.outcome else "incomplete"

    @property
    def env(self) -> str:
        return str(self.first.get("where", {}).get("env", ""))

    @property
    def at(self) -> str:
        return str(self.first.get("at", ""))

    def summary_row(self) -> dict[str, Any]:
        """The one-line view of ``audit log``."""
        first = self.first
        return {
            "id": self.change_id,
            "plan_id": self.plan_id,
            "at": self.at,
            "env": self.env,
            "user": first.get("who", {}).get("user", ""),
            "change": first.get("change", ""),
            "status": self.status,
            "summary": first.get("summary", ""),
            "front_end": first.get("how", {}).get("front_end", ""),
            "detail": (self.outcome or {}).get("detail", ""),
        }


def changes(
    records: Iterable[Mapping[str, Any]],
    env: str | None = None,
    since: dt.datetime | None = None,
) -> list[ChangeEntry]:
    """Group records into changes (one per apply attempt), in the order they started;
    filter by env and start."""
    entries: dict[str, ChangeEntry] = {}
    for record in records:
        change_id = str(record.get("attempt_id") or record.get("change_id", ""))
        entry = entries.setdefault(change_id, ChangeEntry(change_id))
        entry.records.append(dict(record))
        if record.get("type") == "intent":
            entry.intent = dict(record)
        elif record.get("type") in ("outcome", "truncated"):
            entry.outcome = dict(record)
    result = list(entries.values())
    if env:
        result = [e for e in result if e.env == env]
    if since:
        cutoff = since.astimezone(dt.UTC).isoformat(timespec="milliseconds")
        result = [e for e in result if e.at.replace("Z", "+00:00") >= cutoff]
    return result


def find_change(entries: list[ChangeEntry], ident: str) -> ChangeEntry:
    """The change whose id starts with ``ident``; UsageError if none or several."""
    found = [e for e in entries if e.change_id.startswith(ident)] if ident else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no change '{ident}' in the audit journal (see `opskit audit log`)")
    raise UsageError(f"'{ident}' matches {len(found)} changes; give more of the id")


_AGO = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """``10m``/``2h``/``3d``/``1w`` ago, or an ISO date/time (UTC when no zone is given)."""
    now = now or dt.datetime.now(dt.UTC)
    match = _AGO.match(text.strip())
    if match:
        try:
            return now - dt.timedelta(seconds=int(match[1]) * _UNIT_S[match[2]])
        except OverflowError:  # further back than datetime reaches (year 1)
            raise UsageError(f"--since '{text}': too far back; give a date instead") from None
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since '{text}': use 10m, 2h, 3d, 1w or an ISO date") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
