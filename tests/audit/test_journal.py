"""The journal's chain: appends, concurrent writers, and every kind of tampering."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from opskit.audit import GENESIS, Journal, JournalError, Redactor, record_hash, verify


def _fill(path: Path, n: int) -> Journal:
    journal = Journal(path)
    for i in range(n):
        journal.append({"type": "intent", "change_id": f"c{i}", "n": i})
    return journal


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def test_records_chain_from_genesis_and_verify(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 3)
    records = list(journal.records())
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert records[0]["prev"] == GENESIS
    assert records[1]["prev"] == records[0]["hash"]
    assert all(record_hash(r) == r["hash"] for r in records)
    assert journal.head() == (3, records[-1]["hash"])
    result = verify(journal)
    assert result.ok and result.records == 3


def test_journal_file_is_private(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 1)
    assert journal.path.stat().st_mode & 0o777 == 0o600


def test_redactor_applies_to_every_record(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl", Redactor(names=["DB_PASS"], values=["canary-123"]))
    journal.append({"env": [{"name": "DB_PASS", "value": "x"}], "err": "got canary-123 back"})
    text = journal.path.read_text()
    assert "canary-123" not in text and '"x"' not in text
    assert verify(journal).ok


def test_an_edited_record_is_named(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 5)
    lines = _lines(journal.path)
    lines[2] = lines[2].replace('"n":2', '"n":9')
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok
    assert (result.line, result.seq) == (3, 3)
    assert "record 3 was edited" in str(result)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 5)
    lines = _lines(journal.path)
    record = json.loads(lines[1])
    record["n"] = 42
    record["hash"] = record_hash(record)
    lines[1] = json.dumps(record) + "\n"
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok and result.line == 3
    assert "does not chain to record 2" in str(result)


def test_an_edit_of_the_last_record_with_a_recomputed_hash_shows_against_the_head(
    tmp_path: Path,
) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 3)
    lines = _lines(journal.path)
    record = json.loads(lines[2])
    record["n"] = 42
    record["hash"] = record_hash(record)
    lines[2] = json.dumps(record) + "\n"
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok and result.seq == 3
    assert "differs from the one written" in str(result)


def test_a_deleted_record_is_named(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 5)
    lines = _lines(journal.path)
    del lines[1]
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok and result.line == 2
    assert "record(s) 2 deleted" in str(result)


def test_an_inserted_record_is_named(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 4)
    lines = _lines(journal.path)
    forged = json.loads(lines[1])
    forged["n"] = 99
    forged["hash"] = record_hash(forged)
    lines.insert(2, json.dumps(forged) + "\n")
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok and result.line == 3
    assert "inserted" in str(result)


def test_reordered_records_are_named(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 4)
    lines = _lines(journal.path)
    lines[1], lines[2] = lines[2], lines[1]
    journal.path.write_text("".join(lines))
    result = verify(journal)
    assert not result.ok and result.line == 2
    assert "record 3 where 2 was expected" in str(result)


def test_records_cut_off_the_end_are_detected(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 4)
    journal.path.write_text("".join(_lines(journal.path)[:2]))
    result = verify(journal)
    assert not result.ok
    assert "truncated" in str(result) and result.seq == 3


def test_a_torn_last_line_is_detected_and_blocks_appends(tmp_path: Path) -> None:
    journal = _fill(tmp_path / "journal.jsonl", 2)
    text = journal.path.read_text()
    journal.path.write_text(text[:-20])
    result = verify(journal)
    assert not result.ok and result.line == 2
    with pytest.raises(JournalError, match="damaged record"):
        journal.append({"type": "intent"})


def test_an_empty_or_missing_journal_verifies(tmp_path: Path) -> None:
    result = verify(Journal(tmp_path / "none.jsonl"))
    assert result.ok and result.records == 0


def _writer(path: str, worker: int, count: int) -> None:
    journal = Journal(Path(path))
    for i in range(count):
        journal.append({"type": "intent", "change_id": f"w{worker}-{i}", "pad": "x" * 3000})


def test_eight_processes_appending_at_once_leave_an_intact_chain(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 25)) for w in range(8)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    journal = Journal(path)
    result = verify(journal)
    assert result.ok, str(result)
    assert result.records == 200
    ids = {r["change_id"] for r in journal.records()}
    assert len(ids) == 200
