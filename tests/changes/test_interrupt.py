"""Signals during a change, in process: SIGTERM becomes an `interrupted` outcome with the
live state, handlers are put back afterwards, a signal never cuts a record short."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from changes_fakes import FakeChange, Store, engine

from opskit.audit import Journal, changes, verify
from opskit.changes import Applied, ChangeContext, Plan
from opskit.changes.interrupt import Interruption, deferred, interruptible, stop_if
from opskit.changes.registry import KINDS
from opskit.errors import Interrupted


@dataclass(frozen=True)
class SignalledChange(FakeChange):
    """Sets the value, then is sent SIGTERM while it is still applying."""

    kind: ClassVar[str] = "fake-signalled"

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        Store(Path(self.store)).set(self.resource, self.value)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal lands here
        raise AssertionError("SIGTERM did not stop the change")


KINDS["fake-signalled"] = SignalledChange


def test_sigterm_mid_apply_journals_interrupted_with_the_live_state(tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    Store(store).set("dev/thing/a", 1)
    before = signal.getsignal(signal.SIGTERM)
    eng = engine(tmp_path)
    plan = eng.plan(SignalledChange("dev", "dev/thing/a", 5, str(store)))
    with pytest.raises(Interrupted, match="interrupted by SIGTERM; nothing rolled back"):
        eng.apply(plan)
    assert signal.getsignal(signal.SIGTERM) is before
    journal = Journal(tmp_path / "journal.jsonl")
    (entry,) = changes(journal.records())
    assert entry.intent is not None and entry.status == "interrupted"
    assert entry.outcome is not None
    assert entry.outcome["data"] == {"diffs": {"dev/thing/a#value": 5}}  # live, not planned
    assert "total_s" in entry.outcome["timings"]
    assert verify(journal).ok


def test_interruptible_turns_both_signals_into_interruptions() -> None:
    for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
        with pytest.raises(Interruption) as stopped, interruptible():
            os.kill(os.getpid(), sig)
            time.sleep(5)
        assert stopped.value.signal == name


def test_deferred_holds_a_signal_until_the_record_is_whole() -> None:
    with interruptible():
        with deferred() as came:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
            written = True
        assert written and came == ["SIGINT"]
        with pytest.raises(Interruption):
            stop_if(came)
    stop_if([])
