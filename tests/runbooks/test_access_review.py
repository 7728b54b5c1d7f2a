"""Access review logic: IAM statements evaluated for sts:AssumeRole, and the findings."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from opskit.audit import Journal
from opskit.runbooks.access_review import Grant, Use, _decide, findings, used

ROLE = "arn:aws:iam::444444444444:role/opskit-deploy"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_statements_are_matched_like_iam_does() -> None:
    assert _decide([("p", allow("sts:AssumeRole", ROLE))], ROLE) == (True, "p")
    assert _decide([("p", allow("STS:assume*", "arn:aws:iam::*:role/opskit-*"))], ROLE)[0]
    assert _decide([("admin", allow("*", "*"))], ROLE) == (True, "admin")
    assert not _decide([("p", allow("sts:AssumeRole", ROLE.replace("deploy", "read")))], ROLE)[0]
    assert not _decide([("p", allow("s3:*", "*"))], ROLE)[0]
    not_action = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert _decide([("p", not_action)], ROLE)[0]
    conditional = allow(
        "sts:AssumeRole", ROLE, Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    )
    assert _decide([("mfa", conditional)], ROLE) == (True, "mfa (conditional)")


def test_an_explicit_deny_wins() -> None:
    deny = {"Effect": "Deny", "Action": "sts:*", "Resource": "arn:aws:iam::444444444444:role/*"}
    assert _decide([("a", allow("*", "*")), ("guard", deny)], ROLE) == (False, "denied by guard")


def test_use_comes_from_the_journal_window(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    lines = []
    for change_id, at, env, outcome in [
        ("old", "2020-01-01T00:00:00.000Z", "prod", "applied"),
        ("a", "2026-11-20T00:00:00.000Z", "dev", "applied"),
        ("b", "2026-11-21T00:00:00.000Z", "dev", "failed"),
    ]:
        base = {"change_id": change_id, "at": at, "who": {"user": "alice"},
                "where": {"env": env, "access": "deploy"}, "how": {}}  # fmt: skip
        lines += [{**base, "type": "intent"}, {**base, "type": "outcome", "outcome": outcome}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    now = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    assert used(Journal(path), 30, now=now) == [
        Use("alice", "dev", "deploy", 2, "2026-11-21T00:00:00.000Z", "applied 1, failed 1")
    ]
    assert used(Journal(path), 30, envs=["prod"], now=now) == []


def test_findings_name_unused_change_access_and_use_without_a_grant() -> None:
    grants = [
        Grant("alice", "dev", "read", "r", True),
        Grant("alice", "dev", "deploy", "d", True),
        Grant("bob", "prod", "deploy", "d", False),
    ]
    uses = [Use("bob", "prod", "deploy", 1, "t", "applied 1")]
    assert findings(grants, uses) == [
        {"user": "bob", "env": "prod", "access": "deploy",
         "finding": "used in the window, no longer granted"},
        {"user": "alice", "env": "dev", "access": "deploy",
         "finding": "granted, not used in the window"},
    ]  # fmt: skip
