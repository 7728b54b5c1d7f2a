"""The team journal: one signed hash chain for the whole team, one S3 object per record.

Record N is the object ``{prefix}records/{N:012d}.json``, created with a conditional write
(``IfNoneMatch="*"``), so two engineers can never both write record N: the loser reads the
newer records, chains on top of the newest and tries N+1 (the same mechanism as
Terraform's S3 backend lock file, ``use_lockfile``, since 1.10). The bucket keeps every
version under S3 Object Lock (compliance mode), so a written record cannot be changed or
deleted before its retention ends, not even by the bucket's owner.

A team record is the local record's body plus ``seq``/``prev`` of the team chain,
``writer`` (this state dir's id and the local seq, so a record deleted locally is found
again), ``key_id``, ``hash`` and ``sig`` (the signature of ``hash``: a forger who writes a
new object with a recomputed chain still lacks the key).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit.audit.journal import GENESIS, JournalError, record_hash, seal

if TYPE_CHECKING:
    from opskit.audit.signing import Signer

WRITER_FILE = "audit.writer"
CACHE_FILE = "team-journal.cache.jsonl"
MAX_ATTEMPTS = 50
TEAM_ONLY = ("seq", "prev", "hash", "sig", "key_id", "writer")
LOCAL_ONLY = ("seq", "prev", "hash", "sig", "key_id", "team")


def writer_id(state: Path, journal: Path | None = None) -> str:
    """The writer id of one local journal (random, made on first use), kept in the state
    dir (``audit.writer``, or ``audit.writer-<hash of the journal's path>`` for a named one).

    Per journal file, not per machine: two journals in one state dir are two writers, so a
    record one of them wrote is never expected in the other. Kept apart from the journal
    itself, so deleting the journal does not also forget which team records it held.
    """
    name = WRITER_FILE
    if journal is not None:
        name += "-" + hashlib.sha256(str(Path(journal).resolve()).encode()).hexdigest()[:12]
    path = Path(state) / name
    try:
        found = path.read_text().strip()
        if found:
            return found
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    made = uuid.uuid4().hex[:16]
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    try:
        os.write(fd, made.encode())
    finally:
        os.close(fd)
    return made


def body_of(record: Mapping[str, Any], chain_fields: tuple[str, ...]) -> dict[str, Any]:
    """A record without its chain fields: what the local and team copies share."""
    return {k: v for k, v in record.items() if k not in chain_fields}


class TeamStore:
    """The team's records in one bucket: appends (conditional, re-chained) and reads."""

    def __init__(
        self,
        client: Callable[[], Any],
        bucket: str,
        prefix: str,
        signer: Signer,
        *,
        writer: str = "",
        cache_dir: Path | None = None,
    ) -> None:
        self._client_factory = client
        self._client: Any = None
        self.bucket = bucket
        self.prefix = prefix
        self.signer = signer
        self.writer = writer
        # one cache per team journal (bucket and prefix): a state dir may see several
        where = hashlib.sha256(f"{bucket}/{prefix}".encode()).hexdigest()[:12]
        self.cache_path = cache_dir / f"{CACHE_FILE}-{where}" if cache_dir else None
        self._tip: tuple[int, str] | None = None
        self._lock = threading.RLock()
        self.conflicts = 0

    @property
    def records_prefix(self) -> str:
        return f"{self.prefix}records/"

    def key(self, seq: int) -> str:
        return f"{self.records_prefix}{seq:012d}.json"

    def seq_of(self, key: str) -> int | None:
        name = key.removeprefix(self.records_prefix).removesuffix(".json")
        return int(name) if name.isdigit() and key.startswith(self.records_prefix) else None

    def s3(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    # -- writing ----------------------------------------------------------------------

    def ship(self, body: Mapping[str, Any], local_seq: int) -> dict[str, Any]:
        """Append ``body`` to the team chain; its ``{"seq", "hash"}`` there.

        Tries the seq after the newest record it knows; when another writer got there
        first, reads the newer records and tries again on top of the newest.
        """
        from opskit.aws.s3 import put_new

        with self._lock:
            tip = self._tip or self._newest()
            for _ in range(MAX_ATTEMPTS):
                seq, prev = tip[0] + 1, tip[1]
                record: dict[str, Any] = {"seq": seq, "prev": prev, **body}
                record["writer"] = {"id": self.writer, "seq": local_seq}
                seal(record, self.signer)
                data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
                if put_new(self.s3(), self.bucket, self.key(seq), data) is not None:
                    self._tip = (seq, str(record["hash"]))
                    return {"seq": seq, "hash": record["hash"]}
                self.conflicts += 1
                tip = self._newest(after=seq - 1)
        raise JournalError(
            f"could not append to the team journal s3://{self.bucket}/{self.records_prefix} "
            f"after {MAX_ATTEMPTS} attempts (too many writers at once?)"
        )

    def _newest(self, after: int = 0) -> tuple[int, str]:
        """(seq, hash) of the newest team record (listing after ``after``), GENESIS if none."""
        from opskit.aws.s3 import list_keys

        start = self.key(after) if after > 0 else ""
        last = after
        for key in list_keys(self.s3(), self.bucket, self.records_prefix, start):
            seq = self.seq_of(key)
            if seq is not None:
                last = max(last, seq)
        if last == 0:
            return 0, GENESIS
        found = self.get(last)
        if found is None or not isinstance(found.get("hash"), str):
            raise JournalError(
                f"team journal record {last} is unreadable; run `opskit audit verify`"
            )
        return last, str(found["hash"])

    # -- reading ----------------------------------------------------------------------

    def get(self, seq: int) -> dict[str, Any] | None:
        """Team record ``seq`` as stored, or None when there is no such object."""
        from opskit.aws.s3 import get_json

        found = get_json(self.s3(), self.bucket, self.key(seq))
        return found[0] if found else None

    def listing(self) -> list[tuple[str, int | None]]:
        """Every object key under ``records/`` with the seq its name says (None if odd)."""
        from opskit.aws.s3 import list_keys

        return [
            (key, self.seq_of(key))
            for key in list_keys(self.s3(), self.bucket, self.records_prefix)
        ]

    def records(self, *, cached: bool = True) -> Iterator[dict[str, Any]]:
        """Every team record in seq order; with ``cached``, known records come from a local
        cache (objects are immutable) and only newer ones are read from the bucket.

        ``audit verify`` reads with ``cached=False``: the cache is a view, never evidence.
        """
        known = self._read_cache() if cached else []
        yield from known
        from opskit.aws.s3 import list_keys

        start = self.key(len(known)) if known else ""
        fresh: list[dict[str, Any]] = []
        for key in list_keys(self.s3(), self.bucket, self.records_prefix, start):
            seq = self.seq_of(key)
            found = self.get(seq) if seq is not None else None
            if found is not None:
                fresh.append(found)
                yield found
        if cached and fresh:
            self._write_cache(len(known), fresh)

    def _read_cache(self) -> list[dict[str, Any]]:
        if self.cache_path is None or not self.cache_path.exists():
            return []
        records: list[dict[str, Any]] = []
        raws = self.cache_path.read_bytes().splitlines()
        for raw in raws:
            try:
                record = json.loads(raw)
            except ValueError:
                break
            if not isinstance(record, dict) or record.get("seq") != len(records) + 1:
                break
            prev = records[-1]["hash"] if records else GENESIS
            if record.get("prev") != prev or record_hash(record) != record.get("hash"):
                break  # a damaged or edited cache is re-read from the bucket from here
            records.append(record)
        if len(records) < len(raws):  # keep only the good run, so it heals on the next read
            self.cache_path.write_bytes(b"".join(raw + b"\n" for raw in raws[: len(records)]))
        return records

    def _write_cache(self, known: int, fresh: list[dict[str, Any]]) -> None:
        """Append the contiguous run of new records after ``known`` to the cache."""
        if self.cache_path is None:
            return
        run: list[dict[str, Any]] = []
        for record in fresh:
            if record.get("seq") != known + len(run) + 1:
                break
            run.append(record)
        if not run:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with self.cache_path.open("ab") as handle:
            for record in run:
                handle.write(json.dumps(record, sort_keys=True).encode() + b"\n")
