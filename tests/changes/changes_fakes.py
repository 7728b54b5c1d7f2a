"""A fake change over an in-memory (or file-backed) store, to test the engine alone."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from opskit.audit import Actor, Journal, Origin
from opskit.changes import Applied, ChangeContext, Diff, Engine, Plan, ResourceLocks, Result
from opskit.changes.plan import Access
from opskit.changes.registry import KINDS
from opskit.config import Config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def config(**changes: Any) -> Config:
    """The repository's environments.toml, with [changes] overridden."""
    path = ROOT / "environments.toml"
    base = parse_config(path.read_text(), path)
    return base.model_copy(update={"changes": base.changes.model_copy(update=changes)})


class Store:
    """Resource values in a JSON file, so a child process can share them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            path.write_text("{}")

    def get(self, key: str) -> Any:
        return json.loads(self.path.read_text()).get(key)

    def set(self, key: str, value: Any) -> None:
        data = json.loads(self.path.read_text())
        data[key] = value
        self.path.write_text(json.dumps(data))


@dataclass(frozen=True)
class FakeChange:
    """Sets ``store[resource] = value``; verify's outcome and apply's pause are parameters."""

    env: str
    resource: str
    value: Any
    store: str
    outcome: str = "applied"
    pause_file: str = ""

    kind: ClassVar[str] = "fake"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        return cls(plan.env, **plan.params)

    def plan(self, ctx: ChangeContext) -> Plan:
        before = Store(Path(self.store)).get(self.resource)
        diffs = (Diff(self.resource, "value", before, self.value),) if before != self.value else ()
        return Plan(
            change=self.kind,
            summary=f"set {self.resource} to {self.value}",
            env=self.env,
            account_id=ctx.config.environment(self.env).account_id,
            region="eu-west-1",
            access="deploy",
            diffs=diffs,
            params={
                "resource": self.resource,
                "value": self.value,
                "store": self.store,
                "outcome": self.outcome,
                "pause_file": self.pause_file,
            },
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        return {d.key: Store(Path(self.store)).get(d.resource) for d in plan.diffs}

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        Store(Path(self.store)).set(self.resource, self.value)
        if self.pause_file:
            Path(self.pause_file).write_text("applying")
            time.sleep(60)
        if self.outcome == "raise":
            raise RuntimeError("boom with canary-secret-1234 inside")
        return Applied({"set": self.value})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        return Result(self.outcome, f"verify said {self.outcome}", applied.data)  # type: ignore[arg-type]


KINDS["fake"] = FakeChange


class NoClients:
    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any:
        raise AssertionError("the fake change needs no AWS client")


def engine(state: Path, cfg: Config | None = None, **options: Any) -> Engine:
    return Engine(
        cfg or config(),
        NoClients(),
        Journal(state / "journal.jsonl"),
        ResourceLocks(state / "locks"),
        lambda: Actor("alice", "arn:aws:iam::111111111111:user/alice", "alice"),
        origin=options.pop("origin", Origin("cli")),
        **options,
    )
