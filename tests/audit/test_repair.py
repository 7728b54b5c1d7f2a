"""`opskit audit repair`: a torn last line is sealed with a `truncated` record; anything
else damaged is left alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from opskit.audit import Journal, JournalError, changes, verify
from opskit.audit.repair import repair, torn_tail


def _fill(path: Path, n: int) -> Journal:
    journal = Journal(path)
    for i in range(n):
        journal.append({"type": "intent", "change_id": f"c{i}", "n": i})
    return journal


@pytest.mark.parametrize("tear", ["cut", "garbage", "nul"])
def test_a_torn_last_line_is_sealed_and_appends_work_again(tmp_path: Path, tear: str) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 3)
    whole = journal.path.read_bytes()
    good_end = whole.rfind(b"\n", 0, len(whole) - 1) + 1
    torn = {
        "cut": whole[good_end:-25],  # a crash mid-write: no newline
        "garbage": b'{"seq": 3, "prev": "abc\n',  # a line ending but not a record
        "nul": b"\x00" * 40,  # a filesystem that extended the file but lost the data
    }[tear]
    journal.path.write_bytes(whole[:good_end] + torn)
    assert not verify(journal).ok
    with pytest.raises(JournalError, match="audit repair"):
        journal.append({"type": "intent", "change_id": "blocked"})

    done = repair(journal)

    assert done.record is not None and done.torn_bytes == len(torn)
    assert done.torn_sha256 == hashlib.sha256(torn).hexdigest() and done.offset == good_end
    assert Path(done.saved_to or "").read_bytes() == torn
    sealed = list(journal.records())
    assert [r["seq"] for r in sealed] == [1, 2, 3]
    assert sealed[-1]["type"] == "truncated" and sealed[-1]["torn"]["sha256"] == done.torn_sha256
    assert verify(journal).ok
    if tear == "cut":  # record 3 had been written whole (the head says so): it is on record
        assert sealed[-1]["torn"]["head_before"]["seq"] == 3
    journal.append({"type": "intent", "change_id": "next"})
    assert verify(journal).ok
    statuses = {e.change_id: e.status for e in changes(journal.records())}
    assert statuses[sealed[-1]["change_id"]] == "truncated"


def test_a_whole_journal_is_left_alone(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 2)
    before = journal.path.read_bytes()
    done = repair(journal)
    assert done.record is None and "nothing to repair" in str(done)
    assert journal.path.read_bytes() == before
    assert repair(Journal(tmp_path / "missing.jsonl")).record is None


def test_damage_before_the_last_line_is_not_repaired(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 3)
    lines = journal.path.read_bytes().splitlines(keepends=True)
    lines[0] = lines[0].replace(b'"n":0', b'"n":9')  # tampering, not a crash
    damaged = b"".join(lines) + b'{"torn'
    journal.path.write_bytes(damaged)
    with pytest.raises(JournalError, match="damaged before its last line"):
        repair(journal)
    assert journal.path.read_bytes() == damaged


def test_torn_tail() -> None:
    assert torn_tail(b"") is None
    assert torn_tail(b'{"seq":1,"hash":"h"}\n') is None
    assert torn_tail(b'{"seq":1,"hash":"h"}\n{"se') == 21
    assert torn_tail(b'{"seq":1,"hash":"h"}\n[1]\n') == 21
