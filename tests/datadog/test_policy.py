"""The monitor policy expanded, and the normalisation that makes plans stable (pure logic)."""

from __future__ import annotations

from typing import Any

import pytest
from dd_support import repo_config

from opskit.config import Config
from opskit.config.datadog_section import DatadogSettings
from opskit.datadog.monitors import comparable, normalise_message, normalise_query, plan_monitors
from opskit.datadog.policy import MANAGED_TAG, expand, fmt_number
from opskit.errors import ConfigError, UsageError


def _with_policy(**policy: Any) -> Config:
    config = repo_config()
    settings = DatadogSettings.model_validate({"enabled": True, "monitors": policy})
    return config.model_copy(update={"datadog": settings})


def test_one_monitor_per_service_env_and_kind() -> None:
    config = repo_config()
    specs = expand(config, ["dev"])
    behind_lb = [n for n, s in config.services.items() if s.port is not None]
    workers = [n for n, s in config.services.items() if s.port is None]
    assert len(specs) == 3 * len(config.services) + 2 * len(behind_lb)
    kinds = {(s.service, s.kind) for s in specs}
    assert ("api", "http_5xx") in kinds and ("api", "unhealthy_targets") in kinds
    assert all((w, "http_5xx") not in kinds for w in workers)  # no load balancer, no 5xx
    assert len({s.identity for s in specs}) == len(specs)
    cpu = next(s for s in specs if s.identity == "dev.api.cpu")
    assert "opskit-monitor:dev.api.cpu" in cpu.tags and MANAGED_TAG in cpu.tags
    assert cpu.query.endswith("> 90") and (cpu.warning, cpu.critical) == (80, 90)
    assert "aws_account:222222222222" in cpu.query and "clustername:api" in cpu.query


def test_notify_targets_per_level_and_environment() -> None:
    config = _with_policy(
        notify={"warning": ["@slack-ops"], "critical": ["@pagerduty-platform"]},
        notify_env={"dev": {"critical": ["@slack-dev"]}},
    )
    by_id = {s.identity: s for s in expand(config, ["dev", "prod"])}
    prod = by_id["prod.api.cpu"].message
    assert "{{#is_warning}}@slack-ops{{/is_warning}}" in prod
    assert "{{#is_alert}}@pagerduty-platform{{/is_alert}}" in prod
    dev = by_id["dev.api.cpu"].message
    assert "{{#is_alert}}@slack-dev{{/is_alert}}" in dev and "pagerduty" not in dev


def test_service_overrides_skip_kinds_and_replace_thresholds() -> None:
    config = _with_policy(
        services={
            "billing": {
                "skip": ["memory"],
                "thresholds": {"cpu": {"prod": {"warning": 50, "critical": 60}}},
            }
        },
        kinds={"http_5xx": {"enabled": False}},
    )
    by_id = {s.identity: s for s in expand(config, ["prod"])}
    assert "prod.billing.memory" not in by_id and "prod.api.memory" in by_id
    assert (by_id["prod.billing.cpu"].warning, by_id["prod.billing.cpu"].critical) == (50, 60)
    assert not any(s.kind == "http_5xx" for s in by_id.values())
    assert by_id["prod.api.memory"].critical == 90  # untouched kinds keep the defaults


@pytest.mark.parametrize(
    ("policy", "error", "match"),
    [
        (
            {"kinds": {"cpu": {"thresholds": {"prod": {"warning": 95, "critical": 90}}}}},
            ConfigError,
            "warning .95. must be below critical .90.",
        ),
        (
            {"kinds": {"running": {"thresholds": {"default": {"warning": 10, "critical": 50}}}}},
            ConfigError,
            "must be above critical",
        ),
        ({"services": {"nope": {}}}, ConfigError, "unknown services"),
        (
            {"kinds": {"cpu": {"thresholds": {"prd": {"critical": 1}}}}},
            ConfigError,
            r"kinds.cpu.thresholds names unknown environment\(s\) \['prd'\]",
        ),
        ({"envs": ["qa"]}, UsageError, "unknown environment 'qa'"),
        ({"kinds": {"cpu": {"scope": "x:{nope}"}}}, ConfigError, "unknown placeholder"),
    ],
)
def test_bad_policies_are_one_clear_error(policy: dict[str, Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        expand(_with_policy(**policy))


def test_unknown_policy_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        DatadogSettings.model_validate({"monitors": {"kinds": {"cpu": {"treshold": {}}}}})


def test_known_server_drifts_normalise_away() -> None:
    assert fmt_number(85.0) == "85" and fmt_number(0.50) == "0.5"
    assert float(fmt_number(0.1234567)) == 0.1234567
    assert normalise_query("avg(last_5m):avg:x{a:1.0} >85.0") == "avg(last_5m):avg:x{a:1.0} > 85"
    assert normalise_query("max(last_5m):a{b:c} / b{b:c} * 100.0 <  75") == (
        "max(last_5m):a{b:c} / b{b:c} * 100 < 75"
    )
    assert normalise_message("hello  \r\nworld\n\n") == "hello\nworld"
    spec = expand(repo_config(), ["dev"])[0]
    server = {
        **spec.body(),
        "id": 7,
        "type": "metric alert",
        "message": spec.message + "\n ",
        "query": spec.query + ".0",
        "tags": list(reversed(spec.tags)),
        "options": {
            "thresholds": {"critical": float(spec.critical), "warning": float(spec.warning or 0)},
            "notify_audit": False,
        },
    }
    assert comparable(server) == comparable(spec)
    plan = plan_monitors([spec], [server], "opskit-monitor")
    assert plan.empty and plan.unchanged == 1


def test_the_commented_example_in_environments_toml_is_valid() -> None:
    """Uncommented, the example policy in the repository's environments.toml loads and expands."""
    import re
    import tomllib

    from dd_support import ROOT

    text = (ROOT / "environments.toml").read_text()
    block = text[text.index("\n[datadog]") : text.index("\n[sandbox]")]
    setting = re.compile(r"^# (\[datadog[\w.-]*\].*|[\w.-]+ *= .*)$")
    lines = [setting.sub(r"\1", line) for line in block.splitlines()]
    data = tomllib.loads("\n".join(lines))["datadog"]
    assert data["monitors"]["services"]["billing"]["thresholds"]["http_5xx"]
    config = repo_config()
    settings = DatadogSettings.model_validate(data)
    specs = expand(config.model_copy(update={"datadog": settings}))
    assert {s.env for s in specs} == {"stage", "prod"}
    by_id = {s.identity: s for s in specs}
    assert by_id["prod.api.cpu"].critical == 80 and by_id["stage.api.cpu"].critical == 90
    assert by_id["prod.billing.http_5xx"].critical == 2
    assert "@pagerduty-billing" in by_id["prod.billing.cpu"].message
    assert "prod.app-jobs.memory" not in by_id
