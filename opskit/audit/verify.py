"""Verifying the journal: any edit, insertion, deletion, reordering or truncation shows.

Walks the file once, checking for every line that it is a whole JSON record, that its hash
matches its contents, that its ``seq`` is the next one and that its ``prev`` is the hash of
the record before it; then checks the end of the file against the head side file, which
catches records cut off the end. The result names the first bad line and record.

When the journal has a signer, every record must be signed by that key (or, for team
records, carry its place in the team journal, checked by ``team_verify``): a forger who
recomputes the hashes cannot recompute the signatures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from opskit.audit.journal import GENESIS, Journal, record_hash

if TYPE_CHECKING:
    from opskit.audit.signing import Signer


@dataclass(frozen=True)
class Verification:
    """The verdict on one journal: ``ok``, how many records, and the first problem."""

    path: str
    records: int
    problem: str | None = None
    line: int | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.ok:
            return f"{self.path}: {self.records} records, chain intact"
        return f"{self.path}: {self.problem}"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "records": self.records,
            "problem": self.problem,
            "line": self.line,
            "seq": self.seq,
        }


def verify(journal: Journal) -> Verification:
    """Check the whole chain of ``journal`` and its head; never raises for bad content."""
    path = str(journal.path)
    lines = journal.path.read_bytes().splitlines(keepends=True) if journal.path.exists() else []
    expected, prev = 1, GENESIS
    hashes: list[str] = []
    for number, raw in enumerate(lines, start=1):
        checked = _check(raw, expected, prev, journal.signer)
        if isinstance(checked, _Bad):
            problem = f"line {number}: {checked.problem}"
            return Verification(path, expected - 1, problem, number, checked.seq)
        expected, prev = expected + 1, checked
        hashes.append(checked)
    count = expected - 1
    head = journal.head()
    if head is None:
        return Verification(path, count)
    head_seq, head_hash = head
    if head_seq < 0:
        return Verification(path, count, f"{journal.head_path.name} is damaged")
    if head_seq > count:
        return Verification(
            path,
            count,
            f"truncated: the journal ends at record {count} but record {head_seq} was "
            "written (records cut off the end)",
            len(lines) + 1,
            count + 1,
        )
    if head_seq > 0 and hashes[head_seq - 1] != head_hash:
        return Verification(
            path,
            count,
            f"line {head_seq}: record {head_seq} differs from the one written "
            f"(rewritten since; see {journal.head_path.name})",
            head_seq,
            head_seq,
        )
    return Verification(path, count)


class _Bad(NamedTuple):
    problem: str
    seq: int | None


def _check(raw: bytes, expected: int, prev: str, signer: Signer | None = None) -> str | _Bad:
    """The hash of a good line, or the first thing wrong with it."""
    if not raw.endswith(b"\n"):
        return _Bad("the last record is cut short (truncated or torn write)", None)
    try:
        record = json.loads(raw)
        seq, stored, record_prev = int(record["seq"]), str(record["hash"]), str(record["prev"])
    except (ValueError, KeyError, TypeError):
        return _Bad("not a valid journal record (edited or damaged)", None)
    if record_hash(record) != stored:
        return _Bad(f"record {seq} was edited: its hash does not match its contents", seq)
    if signer is not None and "team" not in record:
        unsigned = signature_problem(record, signer)
        if unsigned:
            return _Bad(unsigned, seq)
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
        return _Bad(f"record {seq} where {expected} was expected: record(s) {missing} deleted", seq)
    if seq < expected:
        return _Bad(
            f"record {seq} where {expected} was expected: a record was inserted "
            "or the records reordered",
            seq,
        )
    if record_prev != prev:
        return _Bad(
            f"record {seq} does not chain to record {seq - 1}: one of them was "
            "replaced or inserted",
            seq,
        )
    return stored


def signature_problem(record: dict[str, Any], signer: Signer) -> str | None:
    """What is wrong with a record's signature under ``signer``, or None when it is good."""
    seq = record.get("seq")
    sig, key_id = record.get("sig"), record.get("key_id")
    if not isinstance(sig, str) or not sig:
        return f"record {seq} is not signed (written without the key, or its signature removed)"
    if key_id != signer.key_id:
        return (
            f"record {seq} is signed with key {key_id}, not this journal's key "
            f"{signer.key_id} (forged, or the key is not shared with this machine)"
        )
    if not signer.verify(str(record.get("hash", "")).encode(), sig):
        return f"record {seq} is forged: its signature does not match (hash recomputed?)"
    return None
