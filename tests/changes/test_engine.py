"""The engine's steps around any change: guard, lock, journal, stale check, notify."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from changes_fakes import FakeChange, Store, config, engine

from opskit.audit import Journal, Origin, RunbookRun, changes, verify
from opskit.audit.signing import HmacSigner
from opskit.changes import ChangeNotApplied, ChangeNotice, Plan
from opskit.config.model import Freeze
from opskit.errors import ChangeFailed, RefusedError


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store.json"
    Store(path).set("dev/thing/a", 1)
    Store(path).set("prod/thing/a", 1)
    return path


def _journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.jsonl")


def test_apply_journals_intent_then_outcome(tmp_path: Path, store: Path) -> None:
    eng = engine(tmp_path)
    plan = eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store)))
    result = eng.apply(plan)
    assert result.outcome == "applied" and Store(store).get("dev/thing/a") == 2
    records = list(_journal(tmp_path).records())
    assert [r["type"] for r in records] == ["intent", "outcome"]
    intent, outcome = records
    assert intent["change_id"] == outcome["change_id"] == plan.id
    assert intent["who"]["user"] == "alice" and intent["who"]["source_identity"] == "alice"
    assert intent["where"] == {
        "env": "dev",
        "account_id": "222222222222",
        "region": "eu-west-1",
        "role": "arn:aws:iam::222222222222:role/opskit-deploy",
        "access": "deploy",
    }
    assert intent["what"]["diffs"] == [
        {"resource": "dev/thing/a", "field": "value", "before": 1, "after": 2}
    ]
    assert intent["how"]["front_end"] == "cli" and intent["how"]["opskit_version"]
    assert outcome["outcome"] == "applied" and "total_s" in outcome["timings"]
    assert verify(_journal(tmp_path)).ok


def test_a_saved_plan_applies_exactly_and_a_stale_one_is_refused(
    tmp_path: Path, store: Path
) -> None:
    eng = engine(tmp_path)
    signer = HmacSigner.from_state_dir(tmp_path)
    eng.plan(FakeChange("dev", "dev/thing/a", 3, str(store))).save(tmp_path / "p.json", signer)
    Store(store).set("dev/thing/a", 7)  # someone else changed it since
    with pytest.raises(RefusedError, match=r"stale plan .*planned 1, now 7"):
        eng.apply(Plan.load(tmp_path / "p.json", [signer]))
    assert Store(store).get("dev/thing/a") == 7
    (entry,) = changes(_journal(tmp_path).records())
    assert entry.status == "refused" and entry.intent is not None


def test_an_edited_plan_file_is_refused(tmp_path: Path, store: Path) -> None:
    eng = engine(tmp_path)
    signer = HmacSigner.from_state_dir(tmp_path)
    eng.plan(FakeChange("dev", "dev/thing/a", 3, str(store))).save(tmp_path / "p.json", signer)
    text = (tmp_path / "p.json").read_text().replace('"after": 3', '"after": 4')
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(RefusedError, match="plan was modified after it was written"):
        Plan.load(tmp_path / "p.json", [signer])


def test_protected_env_refused_without_confirmation_and_journaled(
    tmp_path: Path, store: Path
) -> None:
    eng = engine(tmp_path)
    plan = eng.plan(FakeChange("prod", "prod/thing/a", 2, str(store)))
    with pytest.raises(RefusedError, match=r"prod is protected.*--confirm prod"):
        eng.apply(plan)
    with pytest.raises(RefusedError, match="'stage' is not 'prod'"):
        eng.apply(plan, confirm="stage")
    assert Store(store).get("prod/thing/a") == 1
    entries = changes(_journal(tmp_path).records())
    assert [e.status for e in entries] == ["refused", "refused"]  # one entry per attempt
    assert all(len(e.records) == 1 and e.intent is None for e in entries)
    assert {e.plan_id for e in entries} == {plan.id}
    assert entries[0].change_id != entries[1].change_id
    assert "--confirm prod" in entries[0].outcome["detail"]  # type: ignore[index]
    assert eng.apply(plan, ask=lambda p: "prod").outcome == "applied"


def test_read_only_freeze_and_access_level_refuse(tmp_path: Path, store: Path) -> None:
    change = FakeChange("dev", "dev/thing/a", 2, str(store))
    for eng, reason in (
        (engine(tmp_path, config(read_only=True)), "read-only"),
        (
            engine(
                tmp_path,
                config(
                    freeze=Freeze.model_validate(
                        {"from": dt.date.today(), "until": dt.date.today()}
                    )
                ),
            ),
            "change freeze",
        ),
        (engine(tmp_path, access="read"), "needs deploy access, you are working with read"),
    ):
        with pytest.raises(RefusedError, match=reason):
            eng.apply(eng.plan(change))
    assert Store(store).get("dev/thing/a") == 1
    assert [e.status for e in changes(_journal(tmp_path).records())] == ["refused"] * 3


def test_a_locked_resource_is_refused_naming_the_holder(tmp_path: Path, store: Path) -> None:
    eng = engine(tmp_path)
    plan = eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store)))
    with (
        eng.locks.hold(["dev/thing/a"], "bob", "deploy 123"),
        pytest.raises(RefusedError, match=r"dev/thing/a is locked by bob \(deploy 123, pid"),
    ):
        eng.apply(plan)
    assert Store(store).get("dev/thing/a") == 1
    assert eng.apply(plan).outcome == "applied"


def test_failed_and_rolled_back_outcomes_raise_with_the_result(tmp_path: Path, store: Path) -> None:
    eng = engine(tmp_path)
    for outcome in ("failed", "rolled_back"):
        Store(store).set("dev/thing/a", 1)
        with pytest.raises(ChangeNotApplied) as caught:
            eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store), outcome)))
        assert caught.value.result.outcome == outcome
    statuses = [e.status for e in changes(_journal(tmp_path).records())]
    assert statuses == ["failed", "rolled_back"]


def test_an_exception_in_apply_is_journaled_as_failed_and_redacted(
    tmp_path: Path, store: Path
) -> None:
    eng = engine(tmp_path)
    eng.journal.redactor.add_values(["canary-secret-1234"])
    with pytest.raises(ChangeFailed, match="boom"):
        eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store), "raise")))
    (entry,) = changes(_journal(tmp_path).records())
    assert entry.status == "failed" and "boom" in entry.outcome["detail"]  # type: ignore[index]
    assert "canary-secret-1234" not in eng.journal.path.read_text()


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.notices: list[ChangeNotice] = []
        self.fail = fail

    def notify(self, notice: ChangeNotice) -> None:
        self.notices.append(notice)
        if self.fail:
            raise ConnectionError("datadog is down")


def test_notifiers_hear_every_outcome_and_their_failures_never_fail_a_change(
    tmp_path: Path, store: Path
) -> None:
    said: list[str] = []
    good, bad = Recorder(), Recorder(fail=True)
    eng = engine(tmp_path, notifiers=[bad, good], progress=said.append)
    result = eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store))))
    assert result.outcome == "applied"
    (notice,) = good.notices
    assert notice.result.outcome == "applied" and notice.actor.user == "alice"
    assert notice.record["type"] == "outcome" and notice.record["seq"] == 2
    assert any("Recorder failed (datadog is down)" in line for line in said)
    with pytest.raises(RefusedError):
        eng.apply(eng.plan(FakeChange("prod", "prod/thing/a", 2, str(store))))
    assert good.notices[-1].result.outcome == "refused"


def test_runbook_context_is_journaled(tmp_path: Path, store: Path) -> None:
    run = RunbookRun("deploy-service", "run-42", "ab" * 32, "/runs/run-42.ipynb")
    eng = engine(tmp_path, origin=Origin("runbook", run))
    eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 2, str(store))))
    for record in _journal(tmp_path).records():
        assert record["how"]["front_end"] == "runbook"
        assert record["how"]["runbook"] == {
            "name": "deploy-service",
            "run_id": "run-42",
            "notebook_sha256": "ab" * 32,
            "archive_path": "/runs/run-42.ipynb",
        }


def test_an_empty_plan_does_nothing(tmp_path: Path, store: Path) -> None:
    eng = engine(tmp_path)
    plan = eng.plan(FakeChange("dev", "dev/thing/a", 1, str(store)))
    assert plan.empty and eng.apply(plan).detail == "nothing to change"
    assert not _journal(tmp_path).path.exists()


_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from changes_fakes import FakeChange, engine
eng = engine(Path({state!r}))
eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 2, {store!r}, pause_file={pause!r})))
"""


def test_sigkill_mid_apply_leaves_a_verifying_journal_and_an_incomplete_change(
    tmp_path: Path, store: Path
) -> None:
    pause = tmp_path / "applying"
    code = _CHILD.format(
        root=str(Path(__file__).resolve().parent),
        state=str(tmp_path),
        store=str(store),
        pause=str(pause),
    )
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(300):
            if pause.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert pause.exists(), "the child never reached apply"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
    assert verify(_journal(tmp_path)).ok
    (entry,) = changes(_journal(tmp_path).records())
    assert entry.status == "incomplete"
    eng = engine(tmp_path)  # the kernel dropped the dead process's lock
    assert eng.apply(eng.plan(FakeChange("dev", "dev/thing/a", 3, str(store)))).ok
