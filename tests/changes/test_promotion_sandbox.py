"""Promotion, the bake gate, all-or-nothing multi-service changes and change policy,
end to end on the sandbox over HTTP (engine and the installed CLI).

Expected values come from AWS's side, read with boto3 as alice: the source's running
tasks' ``imageDigest``, ECR's digest for a tag, the services' task definitions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from opskit.changes import ChangeNotApplied, Engine
from opskit.changes.deploy import DeployChange
from opskit.changes.in_order import apply_in_order
from opskit.changes.monitors import MonitorsChange
from opskit.changes.promote import PromoteChange
from opskit.config.promotion_section import EnvPolicy, Promotion
from opskit.errors import RefusedError
from opskit.workspace import Workspace
from sandbox.state import SandboxInfo

Make = Callable[..., Workspace]
ROOT = Path(__file__).resolve().parents[2]
DEV_ECR = "222222222222.dkr.ecr.eu-west-1.amazonaws.com"


def _with(ws: Workspace, **promotion: Any) -> Workspace:
    policy = promotion.pop("policy", {})
    config = ws.config.model_copy(
        update={
            "promotion": Promotion(**promotion),
            "changes": ws.config.changes.model_copy(update={"policy": policy}),
        }
    )
    return dataclasses.replace(ws, config=config)


def _ecs(aws_as: Callable[[str], Any], env: str) -> Any:
    return aws_as("alice").client("ecs", env=env)


def _service(aws_as: Callable[[str], Any], env: str, cluster: str, name: str) -> dict[str, Any]:
    found = _ecs(aws_as, env).describe_services(cluster=cluster, services=[name])
    return found["services"][0]  # type: ignore[no-any-return]


def _image(aws_as: Callable[[str], Any], env: str, cluster: str, name: str) -> str:
    arn = _service(aws_as, env, cluster, name)["taskDefinition"]
    td = _ecs(aws_as, env).describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return str(td["containerDefinitions"][0]["image"])


def _digests(aws_as: Callable[[str], Any], env: str, cluster: str, name: str) -> set[str]:
    ecs = _ecs(aws_as, env)
    td = _service(aws_as, env, cluster, name)["taskDefinition"]
    arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    return {
        c["imageDigest"]
        for t in tasks
        if t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == td
        for c in t["containers"]
    }


def _records(ws: Workspace) -> list[dict[str, Any]]:
    lines = ws.journal_path.read_text().splitlines() if ws.journal_path.exists() else []
    return [json.loads(line) for line in lines]


def _opskit(state: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state), "OPSKIT_CONFIG": str(config)}
    return opskit_inprocess(env, *args)


def _config(tmp_path: Path, changes: str = "", extra: str = "", soak: str = "") -> Path:
    """The repository's environments.toml with more lines in [changes], another
    ``[promotion] soak_minutes`` and more lines at the end."""
    text = (ROOT / "environments.toml").read_text()
    text = text.replace(
        "[changes]\nread_only = false\n", f"[changes]\nread_only = false\n{changes}"
    )
    if soak:
        text = re.sub(r"(?m)^soak_minutes = .*$", f"soak_minutes = {soak}", text)
        assert soak in text
    path = tmp_path / "environments.toml"
    path.write_text(text + "\n" + extra)
    return path


@pytest.fixture
def state(sandbox: SandboxInfo, opskit_state_dir: Path) -> Path:
    return opskit_state_dir


# ------------------------------------------------------------------ promote


def test_the_same_image_reports_the_same_digest_in_every_environment(
    aws_as: Callable[[str], Any],
) -> None:
    stage, prod = (_digests(aws_as, env, "cdn", "cdn-edge") for env in ("stage", "prod"))
    assert _image(aws_as, "stage", "cdn", "cdn-edge") == _image(aws_as, "prod", "cdn", "cdn-edge")
    assert len(stage) == 1 and stage == prod
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", next(iter(stage)))


def test_promote_deploys_the_source_digest_and_links_the_source_deployment(
    workspace: Make, aws_as: Callable[[str], Any]
) -> None:
    # dev may only take images through promotion: promote goes through, deploy would not
    ws = _with(
        workspace(),
        soak_minutes={"stage": {"dev": 1}},
        policy={"dev": EnvPolicy(require_promotion=True)},
    )
    engine = Engine.from_workspace(ws)
    base = Engine.from_workspace(workspace())
    base.apply(base.plan(DeployChange("dev", ("api",), ("1.43.7",))))  # dev now differs
    (stage_digest,) = _digests(aws_as, "stage", "api", "api")
    stage_deployment = _service(aws_as, "stage", "api", "api")["deployments"][0]["id"]
    assert stage_digest.startswith("sha256:") and len(stage_digest) == 71

    plan = engine.plan(PromoteChange("stage", "dev", ("api",)))
    assert any(stage_deployment in note for note in plan.notes)
    assert any(note.startswith("api: soak stage api steady on api:") for note in plan.notes)
    result = engine.apply(plan)

    assert result.outcome == "applied", result.detail
    assert _image(aws_as, "dev", "api", "api") == f"ghcr.io/acme/api@{stage_digest}"
    assert _digests(aws_as, "dev", "api", "api") == {stage_digest}
    records = [r for r in _records(ws) if r["change"] == "promote"]
    assert [r["type"] for r in records] == ["intent", "outcome"]
    assert stage_deployment in json.dumps(records[0])
    assert engine.plan(PromoteChange("stage", "dev", ("api",))).empty  # nothing left to promote
    # a tag deploys over a promoted digest (same repository)
    base.apply(base.plan(DeployChange("dev", ("api",), ("1.43.8",))))
    assert _image(aws_as, "dev", "api", "api") == "ghcr.io/acme/api:1.43.8"


def test_promote_refuses_a_source_that_has_not_soaked(
    state: Path, tmp_path: Path, workspace: Make, aws_as: Callable[[str], Any]
) -> None:
    base = Engine.from_workspace(workspace())
    base.apply(base.plan(DeployChange("dev", ("tracking",), ("3.8.0",))))
    before = _service(aws_as, "stage", "api", "tracking")["taskDefinition"]
    config = _config(tmp_path, soak="{ dev = { stage = 600 } }")

    run = _opskit(state, config, "promote", "tracking", "--from", "dev", "--to", "stage")

    assert run.returncode == 7, run.stderr
    assert "not soaked: dev tracking steady on tracking:" in run.stderr
    assert "soak needs 600 min" in run.stderr
    assert _service(aws_as, "stage", "api", "tracking")["taskDefinition"] == before
    journal = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    assert journal[-1]["change"] == "promote" and journal[-1]["outcome"] == "refused"


def test_promote_refuses_a_tag_that_moved_in_ecr(
    state: Path, tmp_path: Path, workspace: Make, aws_as: Callable[[str], Any]
) -> None:
    ecr = aws_as("alice").client("ecr", env="dev", access="admin")
    ecr.create_repository(repositoryName="acme/cdn-edge")

    def push(body: str) -> str:
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"digest": body},
                # moto digests a manifest by its layers (without any: a random one of 101)
                "layers": [{"digest": f"sha256:{body}"}],
            }
        )
        answer = ecr.put_image(
            repositoryName="acme/cdn-edge", imageManifest=manifest, imageTag="2.4.0"
        )
        return str(answer["image"]["imageId"]["imageDigest"])

    first = push("one")
    base = Engine.from_workspace(workspace())
    image = _image(aws_as, "dev", "cdn", "cdn-edge")  # put back at the end for later tests
    base.apply(base.plan(DeployChange("dev", ("cdn-edge",), (f"{DEV_ECR}/acme/cdn-edge:2.4.0",))))
    try:
        assert _digests(aws_as, "dev", "cdn", "cdn-edge") == {first}  # ECS ran what ECR said
        moved = push("two")
        assert moved != first
        before = _service(aws_as, "stage", "cdn", "cdn-edge")["taskDefinition"]
        config = _config(tmp_path, soak="{ dev = { stage = 0 } }")

        run = _opskit(state, config, "promote", "cdn-edge", "--from", "dev", "--to", "stage")

        assert run.returncode == 7, run.stderr
        assert f"tag acme/cdn-edge:2.4.0 moved: dev cdn-edge runs {first}" in run.stderr
        assert f"ECR now resolves the tag to {moved}" in run.stderr
        assert _service(aws_as, "stage", "cdn", "cdn-edge")["taskDefinition"] == before
    finally:
        assert base.apply(base.plan(DeployChange("dev", ("cdn-edge",), (image,)))).ok
        ecr.delete_repository(repositoryName="acme/cdn-edge", force=True)


# ------------------------------------------------------------------ bake gate


def _search(sandbox: SandboxInfo, query: str) -> list[dict[str, Any]]:
    """Datadog's monitor search, over raw HTTP."""
    import urllib.parse
    import urllib.request

    url = f"{sandbox.datadog_url}/api/v1/monitor/search?query={urllib.parse.quote(query)}"
    headers = {
        "DD-API-KEY": sandbox.datadog_keys["api_key"],
        "DD-APPLICATION-KEY": sandbox.datadog_keys["app_key"],
    }
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as answer:
        return list(json.load(answer)["monitors"])


def test_a_monitor_going_to_alert_during_the_bake_rolls_the_change_back(
    workspace: Make, aws_as: Callable[[str], Any], sandbox: SandboxInfo
) -> None:
    ws = _with(workspace(), bake_seconds=3000)
    engine = Engine.from_workspace(ws)
    monitors = MonitorsChange("dev")
    created = engine.apply(engine.plan(monitors)).data.get("created", [])
    try:
        before = _service(aws_as, "dev", "app", "app-jobs")["taskDefinition"]
        with pytest.raises(ChangeNotApplied) as failed:
            engine.apply(engine.plan(DeployChange("dev", ("app-jobs",), ("crashloop-1",))))
        result = failed.value.result
        assert result.outcome == "rolled_back", result.detail
        assert "bake gate: app/app-jobs: monitor '" in result.detail
        assert "running below desired" in result.detail and "went to Alert" in result.detail
        assert _service(aws_as, "dev", "app", "app-jobs")["taskDefinition"] == before

        # the crash-looping service's monitor is in Alert, a healthy one's is OK…
        looping = _search(sandbox, 'tag:"env:dev" tag:"service:integrations" running')
        healthy = _search(sandbox, 'tag:"env:dev" tag:"service:tracking" running')
        assert [m["status"] for m in looping] == ["Alert"] and looping[0]["last_triggered_ts"]
        assert [m["status"] for m in healthy] == ["OK"]
        # …so integrations has not soaked in dev: promoting it is refused, naming the monitor
        base = Engine.from_workspace(workspace())
        base.apply(base.plan(DeployChange("dev", ("integrations",), ("0.19.9",))), wait=False)
        soaked = _with(ws, soak_minutes={"dev": {"stage": 0}})
        with pytest.raises(RefusedError, match=r"monitor '.*integrations.*' \(\d+\) is in Alert"):
            Engine.from_workspace(soaked).plan(PromoteChange("dev", "stage", ("integrations",)))
    finally:
        client = monitors.client(ws.config)
        from opskit.datadog import monitor_api

        for monitor_id in created:
            monitor_api.delete(client, int(monitor_id))


# ------------------------------------------------------------------ all or nothing


def test_three_services_failing_at_the_third_leave_all_three_as_before(
    workspace: Make, aws_as: Callable[[str], Any]
) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    names = [
        ("api", "api-worker", "1.44.1"),
        ("app", "app-jobs", "5.13.1"),
        ("app", "billing", "broken"),
    ]
    before = {n: _service(aws_as, "dev", c, n)["taskDefinition"] for c, n, _ in names}
    plans = [engine.plan(DeployChange("dev", (n,), (tag,))) for _, n, tag in names]

    with pytest.raises(ChangeNotApplied) as failed:
        apply_in_order(engine, plans, timeout=20)

    assert failed.value.result.outcome == "rolled_back"
    assert "stopped at app/billing (3 of 3)" in failed.value.result.detail
    assert {n: _service(aws_as, "dev", c, n)["taskDefinition"] for c, n, _ in names} == before
    ids = {p.id for p in plans}
    records = [r for r in _records(ws) if r["change_id"] in ids]
    by_id = {p.id: n for p, (_, n, _) in zip(plans, names, strict=True)}
    steps = [(r["type"], by_id[r["change_id"]], r.get("outcome")) for r in records]
    assert len(records) == 2 * len(names)  # each service: its intent and its outcome
    assert steps == [
        ("intent", "api-worker", None),
        ("intent", "app-jobs", None),
        ("intent", "billing", None),
        ("outcome", "billing", "rolled_back"),
        ("outcome", "app-jobs", "rolled_back"),  # reverse order
        ("outcome", "api-worker", "rolled_back"),
    ]


# ------------------------------------------------------------------ policy


def test_freeze_is_overridden_only_by_admin_with_a_reason(state: Path, tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    until = today + dt.timedelta(days=1)
    freeze = f'freeze = {{ from = "{today}", until = "{until}", reason = "release week" }}\n'
    config = _config(tmp_path, changes=freeze)
    restart = ("restart", "api-worker", "--env", "dev")

    plain = _opskit(state, config, *restart)
    assert (
        plain.returncode == 7 and "change freeze" in plain.stderr and "release week" in plain.stderr
    )
    deploy_level = _opskit(state, config, *restart, "--override-freeze", "--reason", "hotfix")
    assert deploy_level.returncode == 7, deploy_level.stderr
    assert "only the admin access level may override it" in deploy_level.stderr
    no_reason = _opskit(state, config, *restart, "--override-freeze", "--access", "admin")
    assert no_reason.returncode == 2 and "--override-freeze needs --reason" in no_reason.stderr
    reason = "INC-4711 hotfix " + hashlib.sha256(str(tmp_path).encode()).hexdigest()[:8]
    admin = _opskit(
        state, config, *restart, "--override-freeze", "--reason", reason, "--access", "admin"
    )
    assert admin.returncode == 0, admin.stderr
    journal = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    last = journal[-2:]
    assert [r["type"] for r in last] == ["intent", "outcome"] and last[1]["outcome"] == "applied"
    assert all(reason in json.dumps(r) for r in last)


def test_required_promotion_and_blast_radius_refuse_deploy(
    state: Path, tmp_path: Path, aws_as: Callable[[str], Any]
) -> None:
    before = _service(aws_as, "dev", "api", "api")["taskDefinition"]
    prod_before = _service(aws_as, "prod", "api", "api")["taskDefinition"]
    policy = "[changes.policy.prod]\nrequire_promotion = true\n"
    refused = _opskit(
        state, _config(tmp_path, extra=policy),
        "deploy", "api", "--env", "prod", "--image", "1.45.0", "--confirm", "prod",
    )  # fmt: skip
    assert refused.returncode == 7, refused.stderr
    assert "prod takes images only through promotion" in refused.stderr
    assert "opskit promote SERVICE --from ENV --to prod" in refused.stderr
    assert _service(aws_as, "prod", "api", "api")["taskDefinition"] == prod_before
    limit = "[changes.policy.dev]\nmax_services = 1\n"
    (tmp_path / "b").mkdir()
    two = _opskit(
        state, _config(tmp_path / "b", extra=limit),
        "deploy", "api-worker", "app-jobs", "--env", "dev", "--image", "9.9.9",
    )  # fmt: skip
    assert two.returncode == 7, two.stderr
    assert "touches 2 services, the blast-radius limit of dev is 1" in two.stderr
    assert _service(aws_as, "dev", "api", "api")["taskDefinition"] == before


def test_max_replace_share_bounds_how_many_tasks_a_rollout_replaces_at_once(
    workspace: Make, aws_as: Callable[[str], Any]
) -> None:
    from opskit.changes.service_changes import ScaleChange

    base = Engine.from_workspace(workspace())
    original = _service(aws_as, "dev", "api", "api-worker")
    base.apply(base.plan(ScaleChange("dev", "api-worker", 4)))
    ws = _with(workspace(), policy={"dev": EnvPolicy(max_replace_share=0.25)})
    engine = Engine.from_workspace(ws)
    try:
        result = engine.apply(engine.plan(DeployChange("dev", ("api-worker",), ("1.44.2",))))
        assert result.outcome == "applied", result.detail
        configuration = _service(aws_as, "dev", "api", "api-worker")["deploymentConfiguration"]
        # one task of four at a time: ECS may run 5 (125 %), and stops none before time
        assert configuration["maximumPercent"] == 125
        assert configuration["minimumHealthyPercent"] == 100
        assert (
            configuration["deploymentCircuitBreaker"]
            == original["deploymentConfiguration"]["deploymentCircuitBreaker"]
        )
    finally:
        aws_as("alice").client("ecs", env="dev", access="deploy").update_service(
            cluster="api",
            service="api-worker",
            deploymentConfiguration=original["deploymentConfiguration"],
        )
        base.apply(base.plan(ScaleChange("dev", "api-worker", int(original["desiredCount"]))))


def test_a_multi_service_deploy_goes_one_service_at_a_time_from_the_cli(
    state: Path, aws_as: Callable[[str], Any]
) -> None:
    run = _opskit(
        state, ROOT / "environments.toml",
        "deploy", "api-worker", "app-jobs", "--env", "dev", "--image", "9.9.1", "-o", "json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert [r["outcome"] for r in answer["results"]] == ["applied", "applied"]
    assert _image(aws_as, "dev", "api", "api-worker") == "ghcr.io/acme/api-worker:9.9.1"
    assert _image(aws_as, "dev", "app", "app-jobs") == "ghcr.io/acme/app-jobs:9.9.1"
    journal = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    steps = [(r["type"], r["summary"].rsplit(": ", 1)[-1]) for r in journal[-4:]]
    assert steps == [
        ("intent", "api-worker]"),
        ("intent", "app-jobs]"),
        ("outcome", "api-worker]"),
        ("outcome", "app-jobs]"),
    ]
