"""Plans and diffs: what a change will do, reviewed before it is done.

A ``Plan`` is pure data: the change's kind, where it acts (env, account, region, the access
level it needs), its redacted parameters and a list of ``Diff`` (resource, field, before,
after). It is JSON both ways, so ``--plan-out plan.json`` saves it and ``opskit apply
plan.json`` applies exactly that plan later. A saved plan is signed (``opskit.audit.signing``)
over its canonical JSON, so a file edited after it was written is refused; ``opskit apply``
then rebuilds the change from the plan's intent and refuses it unless the diffs it gives
now are the saved ones (``opskit.changes.saved``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from opskit import __version__
from opskit.audit import utc_now
from opskit.audit.signing import Signer
from opskit.errors import RefusedError, UsageError

Access = Literal["read", "deploy", "admin"]
ACCESS_RANK: dict[str, int] = {"read": 0, "deploy": 1, "admin": 2}
PLAN_FORMAT = 1
SIGNATURE = "signature"


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
    # What a reviewer should know beyond the diffs (bounds, cost, evidence): one line each.
    notes: tuple[str, ...] = ()
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
            "notes": list(self.notes),
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
            if not all(isinstance(d.resource, str) and isinstance(d.field, str) for d in diffs):
                raise ValueError("a diff's resource and field must be text")
            if not isinstance(data["params"], dict):
                raise ValueError("params must be an object")
            notes = data.get("notes", [])
            if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
                raise ValueError("notes must be a list of text")
            return cls(
                change=str(data["change"]),
                summary=str(data["summary"]),
                env=str(data["env"]),
                account_id=str(data["account_id"]),
                region=str(data["region"]),
                access=data["access"],
                diffs=diffs,
                params=dict(data["params"]),
                notes=tuple(notes),
                id=str(data["id"]),
                created_at=str(data["created_at"]),
                opskit_version=str(data["opskit_version"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise UsageError(f"not an opskit plan: {error}") from None

    def signed_json(self, signer: Signer) -> dict[str, Any]:
        """The plan's JSON with a ``signature`` over its canonical form (see ``canonical``)."""
        data: dict[str, Any] = json.loads(json.dumps(self.to_json()))
        data[SIGNATURE] = {"key_id": signer.key_id, "value": signer.sign(canonical(data))}
        return data

    def save(self, path: Path, signer: Signer) -> None:
        """Write the plan to ``path`` as JSON, signed by ``signer``."""
        text = json.dumps(self.signed_json(signer), indent=2, sort_keys=True) + "\n"
        try:
            Path(path).write_text(text)
        except OSError as error:  # a folder, a missing folder, no permission: a bad --plan-out
            raise UsageError(f"{path}: cannot write plan file: {error.strerror or error}") from None

    @classmethod
    def load(cls, path: Path, signers: Sequence[Signer]) -> Plan:
        """Read a saved plan whose signature one of ``signers`` accepts.

        UsageError if the file is missing or not a plan; RefusedError if it is unsigned,
        signed with a key none of ``signers`` holds, or changed after it was signed.
        """
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UsageError(f"{path}: no such plan file") from None
        except OSError as error:  # a folder, unreadable…: still a bad parameter
            raise UsageError(f"{path}: cannot read plan file: {error.strerror or error}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: not JSON ({error})") from None
        if not isinstance(data, dict):
            raise UsageError(f"{path}: not an opskit plan")
        signature = data.pop(SIGNATURE, None)
        if not isinstance(signature, dict) or not all(
            isinstance(signature.get(k), str) for k in ("key_id", "value")
        ):
            raise RefusedError(f"{path}: the plan is not signed; plan again")
        key_id = signature["key_id"]
        signer = next((s for s in signers if s.key_id == key_id), None)
        if signer is None:
            trusted = ", ".join(s.key_id for s in signers) or "none"
            raise RefusedError(
                f"{path}: the plan was signed with key {key_id}, which this workspace cannot "
                f"check (it trusts {trusted}); plan again"
            )
        if not signer.verify(canonical(data), signature["value"]):
            raise RefusedError(f"{path}: plan was modified after it was written; plan again")
        return cls.from_json(data)


def canonical(data: Mapping[str, Any]) -> bytes:
    """What a plan's signature covers: its JSON minus the signature, sorted, no spaces."""
    body = {k: v for k, v in data.items() if k != SIGNATURE}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


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
