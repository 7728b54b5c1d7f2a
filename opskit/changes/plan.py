"""Plans and diffs: what a change will do, reviewed before it is done.

A ``Plan`` is pure data: the change's kind, where it acts (env, account, region, the access
level it needs), its redacted parameters and a list of ``Diff`` (resource, field, before,
after). It is JSON both ways, so ``--plan-out plan.json`` saves it and ``opskit apply
plan.json`` applies exactly that plan later; a digest over the content refuses a file that
was edited after it was saved. The engine refuses a plan whose ``before`` values no longer
match the live state (a stale plan).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opskit import __version__
from opskit.audit import utc_now
from opskit.errors import UsageError

Access = Literal["read", "deploy", "admin"]
ACCESS_RANK: dict[str, int] = {"read": 0, "deploy": 1, "admin": 2}
PLAN_FORMAT = 1


def resource_id(env: str, *parts: str) -> str:
    """The name a resource is locked and diffed by, e.g. ``dev/ecs/service/api/api``."""
    return "/".join((env, *parts))


@dataclass(frozen=True)
class Diff:
    """One field of one resource, before -> after.

    ``resource`` names the resource (and is what the engine locks); ``field`` names what
    changes in it. ``before`` is the live value when planned, compared again before apply;
    ``after`` is the value the apply sets. Values are JSON (str, int, float, bool, None,
    lists, dicts) and never hold secrets.
    """

    resource: str
    field: str
    before: Any
    after: Any

    @property
    def key(self) -> str:
        """``resource#field``: how live values are matched to diffs."""
        return f"{self.resource}#{self.field}"

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class Plan:
    """A change, planned: reviewed by a person, applied by the engine, kept by the journal."""

    change: str
    summary: str
    env: str
    account_id: str
    region: str
    access: Access
    diffs: tuple[Diff, ...]
    params: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: str = field(default_factory=utc_now)
    opskit_version: str = __version__

    @property
    def resources(self) -> tuple[str, ...]:
        """Every resource the plan touches, sorted (the lock order)."""
        return tuple(sorted({d.resource for d in self.diffs}))

    @property
    def empty(self) -> bool:
        """True when there is nothing to change."""
        return not self.diffs

    def diff(self, resource: str, field_name: str) -> Diff:
        """The diff for ``resource``'s ``field_name``; KeyError when the plan has none."""
        for d in self.diffs:
            if d.resource == resource and d.field == field_name:
                return d
        raise KeyError(f"{resource}#{field_name}")

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON data (what is saved, journaled and shown with --output json)."""
        return {
            "format": PLAN_FORMAT,
            "id": self.id,
            "change": self.change,
            "summary": self.summary,
            "env": self.env,
            "account_id": self.account_id,
            "region": self.region,
            "access": self.access,
            "params": self.params,
            "diffs": [d.to_json() for d in self.diffs],
            "created_at": self.created_at,
            "opskit_version": self.opskit_version,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Plan:
        """A plan from ``to_json`` data; UsageError naming what is missing or wrong."""
        try:
            if data.get("format") != PLAN_FORMAT:
                raise ValueError(f"unknown plan format {data.get('format')!r}")
            if data["access"] not in ACCESS_RANK:
                raise ValueError(f"unknown access level {data['access']!r}")
            diffs = tuple(
                Diff(d["resource"], d["field"], d["before"], d["after"]) for d in data["diffs"]
            )
            return cls(
                change=str(data["change"]),
                summary=str(data["summary"]),
                env=str(data["env"]),
                account_id=str(data["account_id"]),
                region=str(data["region"]),
                access=data["access"],
                diffs=diffs,
                params=dict(data["params"]),
                id=str(data["id"]),
                created_at=str(data["created_at"]),
                opskit_version=str(data["opskit_version"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"not an opskit plan: {error}") from None

    def digest(self) -> str:
        """SHA-256 of the plan's canonical JSON: a saved plan must still match it."""
        body = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()

    def save(self, path: Path) -> None:
        """Write the plan to ``path`` as JSON, with its digest."""
        data = {**self.to_json(), "digest": self.digest()}
        try:
            Path(path).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        except OSError as error:  # a folder, a missing folder, no permission: a bad --plan-out
            raise UsageError(f"{path}: cannot write plan file: {error.strerror or error}") from None

    @classmethod
    def load(cls, path: Path) -> Plan:
        """Read a saved plan; UsageError if it is missing, not a plan, or edited since."""
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UsageError(f"{path}: no such plan file") from None
        except OSError as error:  # a folder, unreadable…: still a bad parameter
            raise UsageError(f"{path}: cannot read plan file: {error.strerror or error}") from None
        except ValueError as error:
            raise UsageError(f"{path}: not JSON ({error})") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: not an opskit plan")
        digest = data.pop("digest", None)
        plan = cls.from_json(data)
        if digest != plan.digest():
            raise UsageError(f"{path}: the plan was edited after it was saved; plan again")
        return plan


def stale_diffs(plan: Plan, live: Mapping[str, Any]) -> list[str]:
    """One line per diff whose live value is no longer its planned ``before``."""
    stale = []
    for d in plan.diffs:
        now = live.get(d.key)
        if now != d.before:
            stale.append(f"{d.resource} {d.field}: planned {d.before!r}, now {now!r}")
    return stale


def describe(diffs: Sequence[Diff]) -> list[str]:
    """Human lines ``resource field: before -> after`` for plans on screen."""
    return [f"{d.resource} {d.field}: {d.before} -> {d.after}" for d in diffs]
