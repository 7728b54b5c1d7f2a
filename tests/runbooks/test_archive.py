"""The run archive: local folders (private), run records, the S3 store's keys."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any, cast

import pytest

from opskit.config import load_config
from opskit.errors import UsageError
from opskit.runbooks.archive import (
    LocalArchive,
    RunRecord,
    S3Archive,
    new_run_id,
    open_archive,
    parse_s3_url,
)

ROOT = Path(__file__).resolve().parents[2]


def record(archive: LocalArchive | S3Archive, run_id: str, outcome: str = "running") -> RunRecord:
    return RunRecord(
        run_id=run_id, runbook="deploy", params={"env": "dev"}, env="dev", apply=False,
        user="alice", archive=archive.location(run_id, "deploy"), notebook_sha256="ab" * 32,
        started_at="2026-01-01T00:00:00.000Z", outcome=outcome,
    )  # fmt: skip


def test_local_archive_keeps_private_runs_and_lists_them_in_order(tmp_path: Path) -> None:
    archive = LocalArchive(tmp_path / "runs")
    first, second = "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"
    for run_id in (second, first):
        archive.put_record(record(archive, run_id))
    done = record(archive, first, "succeeded")
    archive.put_notebook(done, b'{"cells": []}\n')
    archive.put_record(done)
    assert [(r.run_id, r.outcome) for r in archive.records()] == [
        (first, "succeeded"),
        (second, "running"),
    ]
    notebook = Path(done.archive)
    assert notebook.read_bytes() == b'{"cells": []}\n'
    for path in (notebook, notebook.parent, tmp_path / "runs"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_run_ids_sort_by_time_and_are_unique() -> None:
    ids = {new_run_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i.split("-")[0]) == 16 and i[8] == "T" for i in ids)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        self.objects[f"{Bucket}/{Key}"] = Body


def test_s3_archive_writes_under_its_prefix() -> None:
    client = FakeS3()
    archive = S3Archive(cast("Any", client), "acme-runs", "/opskit/runs/")  # a fake client
    done = record(archive, "20260101T000000Z-aaaaaa", "failed")
    assert done.archive == "s3://acme-runs/opskit/runs/20260101T000000Z-aaaaaa/deploy.ipynb"
    archive.put_notebook(done, b"{}")
    archive.put_record(done)
    assert sorted(client.objects) == [
        "acme-runs/opskit/runs/20260101T000000Z-aaaaaa/deploy.ipynb",
        "acme-runs/opskit/runs/20260101T000000Z-aaaaaa/run.json",
    ]


@pytest.mark.parametrize(
    ("setting", "kind", "where"),
    [
        (None, LocalArchive, "state/runs"),
        ("archive/runs", LocalArchive, "archive/runs"),
        ("s3://acme-runs/runbooks", S3Archive, "acme-runs"),
    ],
)
def test_the_config_picks_the_archive(
    tmp_path: Path, setting: str | None, kind: type, where: str
) -> None:
    base = load_config(ROOT / "environments.toml")
    config = base.model_copy(
        update={"runbooks": base.runbooks.model_copy(update={"archive": setting})}
    )
    object.__setattr__(config, "_path", tmp_path / "environments.toml")
    made: list[int] = []

    def client() -> FakeS3:
        made.append(1)
        return FakeS3()

    archive = open_archive(config, tmp_path / "state", cast("Any", client))  # a fake client
    assert isinstance(archive, kind)
    if isinstance(archive, LocalArchive):
        assert archive.root == tmp_path / where and not made
    else:
        assert isinstance(archive, S3Archive)
        assert archive.bucket == where and made == [1]


def test_an_s3_url_must_name_a_bucket() -> None:
    assert parse_s3_url("s3://b/p/q") == ("b", "p/q")
    with pytest.raises(UsageError, match="names no bucket"):
        parse_s3_url("s3:///runs")
