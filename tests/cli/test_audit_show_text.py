"""`opskit audit show` for people: diffs as before → after with short values, the outcome,
timings in seconds and the change's data as lines, never Python dicts; `-o json` raw."""

from __future__ import annotations

import json
from pathlib import Path

from test_audit_cli import _opskit

from opskit.audit import Actor, Journal, Origin, change_record
from opskit.audit.signing import HmacSigner

TD = "arn:aws:ecs:eu-west-1:222222222222:task-definition/api:{}"
REPO = "222222222222.dkr.ecr.eu-west-1.amazonaws.com/api"


def _deploy(state: Path) -> None:
    plan = {
        "id": "dep123456789",
        "change": "deploy",
        "summary": "deploy api -> 9.9.9 in dev",
        "env": "dev",
        "account_id": "222222222222",
        "region": "eu-west-1",
        "access": "deploy",
        "diffs": [
            {"resource": "dev/ecs/service/api/api", "field": "taskDefinition",
             "before": TD.format(7), "after": "(new revision)"},
            {"resource": "dev/ecs/service/api/api", "field": "image:api",
             "before": f"{REPO}:1.42.0", "after": f"{REPO}:9.9.9"},
        ],
        "params": {"services": ["api"], "images": ["9.9.9"]},
        "created_at": "2026-01-01T00:00:00.000Z",
    }  # fmt: skip
    journal = Journal(state / "journal.jsonl", signer=HmacSigner.from_state_dir(state))
    actor = Actor("alice", "arn:aws:iam::111111111111:user/alice", "alice")
    origin = Origin("cli")
    journal.append(change_record("intent", plan, actor=actor, origin=origin, role="r"))
    data = {
        "services": [{"resource": "dev/ecs/service/api/api", "new": TD.format(8)}],
        "settled": {"dev/ecs/service/api/api": "running 2/2 on api:8"},
    }
    timings = {"started_at": "2026-01-01T00:00:01.000Z", "apply_s": 0.512, "total_s": 19.25}
    journal.append(
        change_record(
            "outcome", plan, actor=actor, origin=origin, role="r", outcome="applied",
            detail="settled on api:8", data=data, timings=timings,
        )
    )  # fmt: skip


def test_show_reads_as_text(tmp_path: Path) -> None:
    _deploy(tmp_path)
    shown = _opskit(tmp_path, "audit", "show", "dep123")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    lines = text.splitlines()
    td = next(line for line in lines if "taskDefinition" in line)
    assert "api:7 → (new revision)" in " ".join(td.split()), td
    image = next(line for line in lines if "image:api" in line)
    assert "1.42.0 → 9.9.9" in " ".join(image.split()) and "dkr.ecr" not in image
    assert "applied: settled on api:8" in text
    assert "apply 0.5 s" in text and "total 19.2 s" in text
    assert "running 2/2 on api:8" in text and "services api" in " ".join(text.split())
    assert "{'" not in text and "['" not in text
    raw = json.loads(_opskit(tmp_path, "audit", "show", "dep123", "-o", "json").stdout)
    assert raw["records"][0]["what"]["diffs"][0]["before"] == TD.format(7)
