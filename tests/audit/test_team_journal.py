"""The team journal over HTTP: signed records in an Object Lock bucket, and every kind of
tampering named by the verification (local against team)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from team_support import (
    BUCKET,
    KEY,
    fill,
    fresh_prefix,
    lines,
    store_of,
    team_journal,
    write_lines,
)

from opskit.audit import GENESIS, Journal, record_hash, verify
from opskit.audit.journal import canonical
from opskit.audit.signing import HmacSigner
from opskit.audit.team_verify import team_verify

pytestmark = pytest.mark.usefixtures("sandbox")


def _problems(journal: Journal) -> list[str]:
    result = team_verify(journal, store_of(journal))
    assert not result.ok
    return [str(result.local)] * (not result.local.ok) + result.problems


def _rechain(records: list[dict[str, Any]]) -> None:
    """What a forger without the key does: recompute every hash and link after an edit."""
    prev = GENESIS
    for record in records:
        record["prev"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]


def test_records_land_in_the_bucket_signed_by_the_kms_key(alice: Any, tmp_path: Path) -> None:
    prefix = fresh_prefix()
    journal = team_journal(alice, tmp_path, prefix)
    written = fill(journal, 3)
    s3, kms = alice.client("s3"), alice.client("kms")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]]
    assert keys == [f"{prefix}records/{n:012d}.json" for n in (1, 2, 3)]
    team = [json.loads(s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()) for k in keys]
    assert team[0]["prev"] == GENESIS and team[1]["prev"] == team[0]["hash"]
    for record, local in zip(team, written, strict=True):
        # independent checks: SHA-256 of the canonical body, and KMS's own VerifyMac
        body = {k: v for k, v in record.items() if k not in ("hash", "sig")}
        assert record["hash"] == hashlib.sha256(canonical(body)).hexdigest()
        # the documented scheme: KMS MACs a labelled SHA-256 of the signed bytes (the hash)
        signed = b"opskit-kms-hmac-sha256-v1\n" + hashlib.sha256(record["hash"].encode()).digest()
        answer = kms.verify_mac(
            Message=signed,
            KeyId=KEY,
            MacAlgorithm="HMAC_SHA_256",
            Mac=base64.urlsafe_b64decode(record["sig"]),
        )
        assert answer["MacValid"] is True
        assert local["team"] == {"seq": record["seq"], "hash": record["hash"]}
        assert record["summary"] == local["summary"]
    result = team_verify(journal, store_of(journal))
    assert result.ok, result.lines()
    assert result.team_records == 3 and result.local.records == 3


def test_a_local_forgery_with_recomputed_hashes_is_caught(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 3)
    records = lines(journal.path)
    records[1]["summary"] = "nothing happened here"
    _rechain(records)
    write_lines(journal.path, records)
    journal.head_path.write_text(json.dumps({"seq": 3, "hash": records[2]["hash"]}))
    assert verify(journal).ok  # the local chain alone is fooled...
    assert _problems(journal) == ["local record 2 was changed: it differs from team record 2"]


def test_a_forged_team_record_fails_its_signature(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 2)
    store = store_of(journal)
    last = store.get(2)
    assert last is not None
    forged = {**last, "seq": 3, "prev": last["hash"], "summary": "forged"}
    forged["hash"] = record_hash(forged)
    forged["sig"] = HmacSigner(b"f" * 32).sign(forged["hash"].encode())  # not the team key
    alice.client("s3").put_object(Bucket=BUCKET, Key=store.key(3), Body=json.dumps(forged))
    problems = _problems(journal)
    assert problems == ["team record 3 is forged: its signature does not match (hash recomputed?)"]


def test_an_overwritten_team_record_is_named(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 2)
    store = store_of(journal)
    original = store.get(1)
    assert original is not None
    replaced = {**original, "summary": "rewritten"}
    replaced["hash"] = record_hash(replaced)
    alice.client("s3").put_object(Bucket=BUCKET, Key=store.key(1), Body=json.dumps(replaced))
    problems = _problems(journal)
    assert "team record 1 is forged: its signature does not match (hash recomputed?)" in problems
    assert any(p.startswith("team record 1 was overwritten (2 versions") for p in problems)
    assert "local record 1 was changed: it differs from team record 1" in problems


@pytest.mark.parametrize("tamper", ["edited", "reordered", "deleted", "unknown team record"])
def test_local_tampering_is_named(alice: Any, tmp_path: Path, tamper: str) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 4)
    raw = journal.path.read_text().splitlines(keepends=True)
    if tamper == "edited":
        raw[1] = raw[1].replace('"change 1"', '"change 9"')
        expected = "line 2: record 2 was edited: its hash does not match its contents"
    elif tamper == "reordered":
        raw[1], raw[2] = raw[2], raw[1]
        expected = "line 2: record 3 where 2 was expected"
    elif tamper == "deleted":
        del raw[1]
        expected = "line 2: record 3 where 2 was expected: record(s) 2 deleted"
    else:
        records = [json.loads(r) for r in raw]
        records.append({**records[-1], "seq": 5, "team": {"seq": 99, "hash": "0" * 64}})
        _rechain(records)
        raw = [json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n" for r in records]
        journal.head_path.write_text(json.dumps({"seq": 5, "hash": records[-1]["hash"]}))
        expected = "local record 5 names team record 99, which is missing"
    journal.path.write_text("".join(raw))
    problems = _problems(journal)
    assert any(expected in p for p in problems), problems
    if tamper == "deleted":
        assert any("team record 2, written here as local record 2" in p for p in problems)


def test_a_deleted_local_journal_and_head_are_caught(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 2)
    journal.path.unlink()
    journal.head_path.unlink()
    assert verify(journal).ok  # nothing left locally to disagree with...
    assert _problems(journal) == [
        f"team record {n}, written here as local record {n}, is missing from the local "
        "journal journal.jsonl (deleted locally)"
        for n in (1, 2)
    ]


def test_object_lock_refuses_deleting_a_record_version(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 1)
    s3, key = alice.client("s3", retries=0), store_of(journal).key(1)
    lock = s3.get_object_lock_configuration(Bucket=BUCKET)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    (version,) = s3.list_object_versions(Bucket=BUCKET, Prefix=key)["Versions"]
    assert s3.head_object(Bucket=BUCKET, Key=key)["ObjectLockMode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    body = s3.get_object(Bucket=BUCKET, Key=key, VersionId=version["VersionId"])["Body"].read()
    assert json.loads(body)["seq"] == 1


WRITER = """
import sys
from pathlib import Path
sys.path[:0] = ["tests", "tests/audit"]
from conftest import AwsAs
from sandbox.process import ensure_running
from team_support import team_journal, fill
info = ensure_running(Path(sys.argv[1]), Path(sys.argv[2]))
journal = team_journal(AwsAs(info, "alice"), Path(sys.argv[3]), sys.argv[4])
fill(journal, int(sys.argv[5]), start=int(sys.argv[6]))
print(journal.shipper.conflicts)
"""


@pytest.mark.slow
def test_two_writers_never_write_the_same_record(
    alice: Any, tmp_path: Path, opskit_state_dir: Path
) -> None:
    prefix, n = fresh_prefix(), 12
    root = Path(__file__).resolve().parents[2]
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(root / "environments.toml"),
                str(opskit_state_dir),
                str(tmp_path / name),
                prefix,
                str(n),
                str(start),
            ],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, start in (("a", 0), ("b", 100))
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [o[1][-2000:] for o in outputs]
    store = store_of(team_journal(alice, tmp_path / "reader", prefix))
    team = list(store.records(cached=False))
    assert [r["seq"] for r in team] == list(range(1, 2 * n + 1))
    assert len({r["change_id"] for r in team}) == 2 * n  # every record once, none lost
    for before, after in itertools.pairwise(team):
        assert after["prev"] == before["hash"]
    for name in ("a", "b"):
        journal = team_journal(alice, tmp_path / name, prefix)
        result = team_verify(journal, store_of(journal))
        assert result.ok, result.lines()
        assert result.local.records == n


def test_local_only_journal_catches_a_forgery_by_its_signature(tmp_path: Path) -> None:
    signer = HmacSigner.from_state_dir(tmp_path)
    assert (tmp_path / "signing.key").stat().st_mode & 0o777 == 0o600
    journal = Journal(tmp_path / "journal.jsonl", signer=signer)
    fill(journal, 3)
    assert verify(journal).ok
    records = lines(journal.path)
    records[1]["summary"] = "forged"
    _rechain(records)
    write_lines(journal.path, records)
    journal.head_path.write_text(json.dumps({"seq": 3, "hash": records[2]["hash"]}))
    result = verify(journal)
    assert result.problem == (
        "line 2: record 2 is forged: its signature does not match (hash recomputed?)"
    )
    unsigned = [{k: v for k, v in r.items() if k not in ("sig", "key_id")} for r in records]
    _rechain(unsigned)
    write_lines(journal.path, unsigned)
    journal.head_path.write_text(json.dumps({"seq": 3, "hash": unsigned[2]["hash"]}))
    assert "record 1 is not signed" in str(verify(journal).problem)


def test_the_read_cache_is_refilled_from_the_bucket_when_edited(alice: Any, tmp_path: Path) -> None:
    journal = team_journal(alice, tmp_path, fresh_prefix())
    fill(journal, 3)
    store = store_of(journal)
    assert [r["summary"] for r in store.records()] == ["change 0", "change 1", "change 2"]
    assert store.cache_path is not None
    cached = lines(store.cache_path)
    assert [r["seq"] for r in cached] == [1, 2, 3]
    cached[1]["summary"] = "nothing to see"
    write_lines(store.cache_path, cached)
    assert [r["summary"] for r in store.records()] == ["change 0", "change 1", "change 2"]
    assert [r["summary"] for r in lines(store.cache_path)] == ["change 0", "change 1", "change 2"]
