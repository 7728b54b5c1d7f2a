"""Verifying the local journal against the team journal: every discrepancy is named.

- the team chain itself: one object per seq from 1 with no gap, each holding the record
  its name says (not reordered), whose hash matches its contents, whose ``prev`` is the
  previous record's hash, signed by the team key (not forged), and never overwritten (one
  version per key: a second version means someone replaced a record; Object Lock keeps the
  original).
- the local journal: its own chain (``verify``), every record present in the team journal
  with the same contents (not changed), and every team record written from this state dir
  still present locally (not deleted locally, even when the whole file and head are gone).

Reads the bucket directly (never the local cache): the cache is a view, not evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from opskit.audit.journal import GENESIS, Journal, record_hash
from opskit.audit.team import LOCAL_ONLY, TEAM_ONLY, TeamStore, body_of
from opskit.audit.verify import Verification, signature_problem, verify


@dataclass
class TeamVerification:
    """The verdict on the local journal and the team journal, every problem named."""

    local: Verification
    team_records: int = 0
    problems: list[str] = field(default_factory=list)
    bucket: str = ""

    @property
    def ok(self) -> bool:
        return self.local.ok and not self.problems

    def lines(self) -> list[str]:
        team = f"s3://{self.bucket}: {self.team_records} team records"
        out = [str(self.local), team + (", chain intact and signed" if not self.problems else "")]
        return out + [f"problem: {p}" for p in self.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.local.to_json(),
            "ok": self.ok,
            "bucket": self.bucket,
            "team_records": self.team_records,
            "problems": ([] if self.local.ok else [str(self.local)]) + self.problems,
        }


def team_verify(journal: Journal, store: TeamStore) -> TeamVerification:
    """Check ``journal`` (local) and ``store`` (the team's bucket) against each other."""
    result = TeamVerification(verify(journal), bucket=store.bucket)
    bad: set[int] = set()
    team = _team_chain(store, result.problems, bad)
    result.team_records = len(team)
    _local_against_team(journal, store, team, result.problems, bad)
    return result


def _team_chain(store: TeamStore, problems: list[str], bad: set[int]) -> dict[int, dict[str, Any]]:
    """Read and check every team record; seq -> record for those that could be read
    (``bad`` gets the seqs of records that failed a check)."""
    from opskit.aws.s3 import version_counts

    team: dict[int, dict[str, Any]] = {}
    listing = store.listing()
    seqs = sorted(seq for _, seq in listing if seq is not None)
    problems.extend(
        f"unexpected object {key} in the team journal" for key, s in listing if s is None
    )
    expected = 1
    for seq in seqs:
        if seq > expected:
            gap = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
            problems.append(f"team record(s) {gap} missing from s3://{store.bucket}")
        expected = seq + 1
        found = store.get(seq)
        if found is None:
            problems.append(f"team record {seq} vanished while verifying")
            continue
        team[seq] = found
    prev = GENESIS
    for seq in seqs:
        record = team.get(seq)
        if record is None:
            prev = ""
            continue
        problem = _team_record_problem(store, seq, record, prev)
        if problem:
            problems.append(problem)
            bad.add(seq)
        prev = str(record.get("hash", ""))
    for key, count in sorted(
        version_counts(store.s3(), store.bucket, store.records_prefix).items()
    ):
        if count > 1:
            problems.append(
                f"team record {store.seq_of(key)} was overwritten ({count} versions of {key}; "
                "Object Lock keeps the original)"
            )
    return team


def _team_record_problem(store: TeamStore, seq: int, record: dict[str, Any], prev: str) -> str:
    if record.get("_unreadable") is not None:
        return f"team record {seq} is not a valid record"
    if record.get("seq") != seq:
        return f"team object {seq} holds record {record.get('seq')}: records reordered"
    if record_hash(record) != record.get("hash"):
        return f"team record {seq} was edited: its hash does not match its contents"
    if prev and record.get("prev") != prev:
        return f"team record {seq} does not chain to team record {seq - 1}"
    bad = signature_problem(record, store.signer)
    return f"team {bad}" if bad else ""


def _local_against_team(
    journal: Journal,
    store: TeamStore,
    team: dict[int, dict[str, Any]],
    problems: list[str],
    bad: set[int],
) -> None:
    local: dict[int, dict[str, Any]] = {}
    for record in _local_records(journal):
        seq = int(record.get("seq", 0))
        local[seq] = record
        ref = record.get("team")
        if not isinstance(ref, dict):
            problems.append(f"local record {seq} is not in the team journal (never shipped)")
            continue
        team_seq = int(ref.get("seq", 0))
        theirs = team.get(team_seq)
        if theirs is None:
            problems.append(f"local record {seq} names team record {team_seq}, which is missing")
        elif theirs.get("hash") != ref.get("hash") or body_of(theirs, TEAM_ONLY) != body_of(
            record, LOCAL_ONLY
        ):
            problems.append(
                f"local record {seq} was changed: it differs from team record {team_seq}"
            )
    for team_seq, record in sorted(team.items()):
        writer = record.get("writer") or {}
        if team_seq in bad or not isinstance(writer, dict) or writer.get("id") != store.writer:
            continue
        local_seq = int(writer.get("seq", 0))
        mine = local.get(local_seq)
        ref = (mine or {}).get("team") or {}
        if mine is None or ref.get("seq") != team_seq:
            problems.append(
                f"team record {team_seq}, written here as local record {local_seq}, is "
                f"missing from the local journal {journal.path.name} (deleted locally)"
            )


def _local_records(journal: Journal) -> list[dict[str, Any]]:
    """Every parseable local record (damaged lines are the local verify's to report)."""
    if not journal.path.exists():
        return []
    out: list[dict[str, Any]] = []
    for raw in journal.path.read_bytes().splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out
