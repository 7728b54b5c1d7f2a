"""Screens on the live sandbox where what matters is what AWS holds: the prod deploy
plan read at 80x24, target groups' draining timeouts, DNS values.

Expected values come from boto3 reading the sandbox as the test user, never from opskit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input
from tui_pilot import loaded, until

from opskit.audit import Journal
from opskit.config import Config
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.screens.ask import AskScreen
from tui.screens.cluster import ClusterScreen
from tui.screens.environment import EnvironmentScreen
from tui.screens.logs import LogsScreen
from tui.screens.plan import PlanScreen
from tui.screens.raw import RawScreen
from tui.screens.service import ServiceScreen
from tui.settings import Settings
from tui.widgets.keyed_table import KeyedTable

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
LONG = 3000


def live_app(config: Config, **options: Any) -> OpskitApp:
    settings = Settings.from_config(config, **options)
    return OpskitApp(config, LibrarySource(config, None), settings)


def on_screen(app: OpskitApp) -> list[str]:
    """The terminal's lines as drawn now (every layer: the modal over the screen)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_a_prod_deploy_plan_shows_before_and_after_at_80x24(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any]
) -> None:
    ecs = aws_as("alice").client("ecs", env="prod")
    described = ecs.describe_services(cluster="api", services=["api"])["services"][0]
    family_rev = described["taskDefinition"].rsplit("/", 1)[-1]  # e.g. api:3
    app = live_app(config, envs=("prod",))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.open("service", "prod", "api", "api")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await pilot.press("ctrl+u", *"prod", "enter")
        assert "prod" in app.unlocked
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, AskScreen))
        app.screen.query_one(Input).value = "7.7.7-rc.20261207"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), LONG)
        plan = app.screen
        assert isinstance(plan, PlanScreen)
        await pilot.pause(0.2)
        lines = on_screen(app)
        assert len(lines) == 24
        image_rows = [line for line in lines if "image:" in line]
        assert image_rows, "\n".join(lines)
        assert all("→" in row and "7.7.7-rc.20261207" in row for row in image_rows), lines
        td_row = next(line for line in lines if "taskDefinition" in line)
        assert family_rev in td_row and "→" in td_row and "arn:aws" not in td_row
        text = "\n".join(lines)
        assert "type its name to apply" in text and "Apply" in text and "Cancel" in text
        confirm = plan.query_one("#plan-confirm", Input)
        assert confirm.region.bottom <= 24 and confirm.has_focus
        await pilot.press("escape")  # nothing applied
        assert (
            ecs.describe_services(cluster="api", services=["api"])["services"][0]["taskDefinition"]
            == described["taskDefinition"]
        )


async def test_target_groups_and_dns_show_what_aws_holds(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any]
) -> None:
    elb = aws_as("alice").client("elbv2", env="dev")
    expected = {}
    for group in elb.describe_target_groups()["TargetGroups"]:
        attributes = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        values = {a["Key"]: a["Value"] for a in attributes["Attributes"]}
        expected[group["TargetGroupName"]] = values["deregistration_delay.timeout_seconds"] + "s"
    app = live_app(config, envs=("dev",))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        app.open("env", "dev")
        screen = app.screen
        assert isinstance(screen, EnvironmentScreen)
        await until(pilot, lambda: bool(screen.detailed), LONG)
        tgs = screen.query_one("#tgs", KeyedTable)
        shown = {str(tgs.get_row(k)[0]): str(tgs.get_row(k)[4]) for k in tgs.rows}
        assert shown == expected
        dns = screen.query_one("#dns", KeyedTable)
        soa = [tuple(map(str, dns.get_row(k))) for k in dns.rows if str(dns.get_row(k)[1]) == "SOA"]
        assert soa and "{" not in soa[0][2] and "serial 1" in soa[0][2], soa


async def test_y_shows_the_service_as_aws_described_it_secrets_redacted(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any]
) -> None:
    ecs = aws_as("alice").client("ecs", env="dev")
    described = ecs.describe_services(cluster="app", services=["billing"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])
    variables = definition["taskDefinition"]["containerDefinitions"][0]["environment"]
    secrets = config.services["billing"].secrets
    hidden = [v["value"] for v in variables if v["name"] in secrets]
    assert hidden, variables
    app = live_app(config, envs=("dev",))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "app", "billing")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, RawScreen), LONG)
        raw = app.screen
        assert isinstance(raw, RawScreen)
        data = json.loads(raw.text)
        assert data["service"]["serviceArn"] == described["serviceArn"]
        assert data["service"]["taskDefinition"] == described["taskDefinition"]
        shown = data["taskDefinition"]["containerDefinitions"][0]["environment"]
        assert {v["name"]: v["value"] for v in shown if v["name"] in secrets} == {
            name: "***" for name in secrets
        }
        assert not any(secret in raw.text for secret in hidden)
        await pilot.press("c")
        assert app.clipboard == raw.text


async def test_marked_services_restart_through_one_plan(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any], opskit_state_dir: Path
) -> None:
    ecs = aws_as("alice").client("ecs", env="dev")

    def primaries() -> dict[str, str]:
        found = ecs.describe_services(cluster="api", services=["api", "tracking"])["services"]
        return {
            s["serviceName"]: next(d["id"] for d in s["deployments"] if d["status"] == "PRIMARY")
            for s in found
        }

    before = primaries()
    app = live_app(config, envs=("dev",))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("cluster", "dev", "api")
        await until(pilot, lambda: bool(app.screen.query("#services")))
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        table = screen.query_one("#services", KeyedTable)
        await until(pilot, lambda: table.row_count >= 2)
        for name in ("api", "tracking"):
            table.move_cursor(row=table.get_row_index(name))
            await pilot.press("space")
        assert screen.marked == {"api", "tracking"}
        assert "●" in str(table.get_row("api")[0])
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, PlanScreen), LONG)
        plan = app.screen
        assert isinstance(plan, PlanScreen)
        resources = {d.resource.rsplit("/", 1)[-1] for d in plan.plan.diffs}
        assert plan.plan.change == "batch" and resources == {"api", "tracking"}
        assert {d.before for d in plan.plan.diffs} == set(before.values())
        plan.query_one("#plan-apply", Button).press()
        await until(pilot, lambda: plan.outcome is not None, LONG)
        assert plan.outcome is not None and plan.outcome.outcome == "applied", plan.outcome
    after = primaries()
    assert all(after[name] != before[name] for name in before), (before, after)
    records = [
        r
        for r in Journal(opskit_state_dir / "journal.jsonl").records()
        if r["change_id"] == plan.plan.id
    ]
    assert [r["type"] for r in records] == ["intent", "outcome"]
    assert len(records[0]["what"]["diffs"]) == 2


async def test_p_opens_the_logs_of_the_task_that_stopped_last(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any]
) -> None:
    ecs = aws_as("alice").client("ecs", env="dev")
    app = live_app(config, envs=("dev",))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "app", "integrations")  # crash-looping in the sandbox
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None, LONG)
        arns = ecs.list_tasks(cluster="app", serviceName="integrations", desiredStatus="STOPPED")
        described = ecs.describe_tasks(cluster="app", tasks=arns["taskArns"])["tasks"]
        done = [t for t in described if t.get("stoppedAt") and t["group"] == "service:integrations"]
        assert done, described
        known = {t.id for t in screen.detail.tasks} if screen.detail else set()
        last = max(
            (t for t in done if t["taskArn"].rsplit("/", 1)[-1] in known),
            key=lambda t: t["stoppedAt"],
        )
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert logs.task_id == last["taskArn"].rsplit("/", 1)[-1]
        await until(pilot, lambda: len(logs.lines) > 0, LONG)
        task_id = logs.task_id or ""
        assert {line.task for line in logs.lines} <= {task_id, task_id[:8]}
