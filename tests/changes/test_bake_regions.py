"""The bake gate watches a service's CloudWatch alarms in the service's own region: an alarm
on stage's ``edge-proxy`` (us-east-1) entering ALARM during the bake rolls the deploy back.

The alarm is made and set with boto3 as alice over HTTP; the regions come from
environments.toml read with tomllib, not from opskit.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opskit.changes import ChangeNotApplied, Engine
from opskit.changes.deploy import DeployChange
from opskit.config.promotion_section import Promotion
from opskit.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
ALARM = "edge-proxy-5xx-bake-test"


def _second_region(env: str) -> str:
    config = tomllib.loads((ROOT / "environments.toml").read_text())
    return str(config["environments"][env]["regions"][1])


def test_an_alarm_in_the_services_region_going_off_during_the_bake_rolls_back(
    workspace: Callable[..., Workspace], aws_as: Callable[[str], Any]
) -> None:
    region = _second_region("stage")
    alice = aws_as("alice")
    cloudwatch = alice.client("cloudwatch", env="stage", access="admin", region=region)
    ecs = alice.client("ecs", env="stage", region=region)
    cloudwatch.put_metric_alarm(
        AlarmName=ALARM,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[
            {"Name": "ClusterName", "Value": "edge"},
            {"Name": "ServiceName", "Value": "edge-proxy"},
        ],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="before")

    baking: list[str] = []
    ws = workspace()

    def progress(message: str) -> None:
        if message.startswith("baking"):
            baking.append(message)

    def sleep(seconds: float) -> None:  # the gate's first look is done: the alarm goes off
        if baking and len(baking) == 1:
            cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="5xx")
            baking.append("set")
        ws.clock.sleep(seconds)

    config = ws.config.model_copy(update={"promotion": Promotion(bake_seconds=600)})
    baked = dataclasses.replace(ws, config=config)
    engine = Engine.from_workspace(baked, progress=progress, sleep=sleep)
    before = ecs.describe_services(cluster="edge", services=["edge-proxy"])["services"][0]
    try:
        with pytest.raises(ChangeNotApplied) as failed:
            engine.apply(engine.plan(DeployChange("stage", ("edge-proxy",), ("1.2.3-bake",))))
        result = failed.value.result
        assert result.outcome == "rolled_back", result.detail
        assert f"CloudWatch alarm '{ALARM}' went to ALARM" in result.detail
        after = ecs.describe_services(cluster="edge", services=["edge-proxy"])["services"][0]
        assert after["taskDefinition"] == before["taskDefinition"]
    finally:
        cloudwatch.delete_alarms(AlarmNames=[ALARM])
