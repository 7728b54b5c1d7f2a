"""Validation of a run against the shipped runbooks and environments.toml, before any kernel.

Every bad case is one line naming what is wrong; ``resolve`` needs no AWS, no sandbox and
no kernel (the CLI tests prove the same end to end: nothing archived, nothing journaled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opskit.config import Config, load_config
from opskit.errors import OpskitError, RefusedError, UsageError
from opskit.runbooks.catalog import inspect, runbook_path
from opskit.runbooks.validate import check_access, resolve

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "environments.toml")


def run(config: Config, name: str, given: dict[str, Any], **options: Any) -> Any:
    return resolve(inspect(config, name), config, given, **options)


DEPLOY = {"service": "api", "image": "1.43.0"}
WWW = {"shift": "www", "to": "new"}

BAD: list[tuple[str, dict[str, Any], dict[str, Any], type[OpskitError], str]] = [
    ("deploy", DEPLOY, {}, UsageError, r"deploy needs --env \(one of dev, stage, prod\)"),
    ("deploy", DEPLOY, {"env": "qa"}, UsageError, r"unknown environment 'qa' \(known: dev"),
    ("deploy", {"service": "api"}, {"env": "dev"}, UsageError, "'image' is required: pass -p"),
    ("deploy", {**DEPLOY, "image": ""}, {"env": "dev"}, UsageError, "required and cannot be empty"),
    ("deploy", {"servce": "api", "image": "1"}, {"env": "dev"}, UsageError,
     "unknown parameter 'servce'; did you mean 'service'"),
    ("deploy", {**DEPLOY, "service": "apx"}, {"env": "dev"}, UsageError,
     r"'apx' is not allowed in dev \(allowed: api, .*\); did you mean 'api'"),
    ("scale", {"service": "api", "count": "ten"}, {"env": "dev"}, UsageError,
     "'count': expected a whole number, got 'ten'"),
    ("scale", {"service": "api", "count": "-1"}, {"env": "dev"}, UsageError,
     "-1 is below the minimum 0"),
    ("elb-draining", {"seconds": "5000"}, {"env": "stage"}, UsageError,
     "5000 is above the maximum 3600"),
    ("elb-draining", {"seconds": "1.5"}, {"env": "stage"}, UsageError, "expected a whole number"),
    ("traffic-shift", WWW, {"env": "stage"}, UsageError,
     r"'shift': 'www' is not allowed in stage \(allowed: none\)"),
    ("traffic-shift", {**WWW, "to": "sideways"}, {"env": "prod"}, UsageError,
     r"'to': 'sideways' is not allowed in prod \(allowed: legacy, new\)"),
    ("traffic-shift", {**WWW, "steps": "5,500"}, {"env": "prod"}, UsageError,
     "500 is above the maximum 100"),
    ("traffic-shift", {**WWW, "max_error_rate": "lots"}, {"env": "prod"}, UsageError,
     "'max_error_rate': expected a number"),
    ("drift", {"baseline": "qa"}, {}, UsageError,
     r"drift: parameter 'baseline': unknown environment 'qa' \(known: dev, stage, prod\)"),
    ("drift", {}, {"apply": True}, UsageError, "drift changes nothing: --apply"),
    ("drift", {}, {"confirm": "prod"}, UsageError, "drift changes nothing: --confirm"),
    ("rollback", {"service": "api", "revision": "-3"}, {"env": "dev"}, UsageError,
     "below the minimum 0"),
    ("deploy", DEPLOY, {"env": "prod", "apply": True}, RefusedError,
     r"prod is protected: deploy refused without confirmation \(type the name, or pass "
     r"--confirm prod\)"),
    ("deploy", DEPLOY, {"env": "prod", "apply": True, "confirm": "stage"}, RefusedError,
     "prod is protected: confirmation 'stage' is not 'prod'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "given", "options", "error", "message"), BAD)
def test_bad_parameters_are_one_clear_line(
    config: Config,
    name: str,
    given: dict[str, Any],
    options: dict[str, Any],
    error: type[OpskitError],
    message: str,
) -> None:
    with pytest.raises(error, match=message) as caught:
        run(config, name, given, **options)
    assert "\n" not in str(caught.value)


def test_an_unknown_runbook_suggests_the_closest(config: Config) -> None:
    with pytest.raises(UsageError, match="unknown runbook 'deplyo'; did you mean 'deploy'"):
        runbook_path(config, "deplyo")


def test_a_good_request_is_complete_and_typed(config: Config) -> None:
    request = run(
        config, "traffic-shift", {**WWW, "steps": "5,25"}, env="prod", apply=True, confirm="prod"
    )
    assert request.params == {
        "env": "prod", "shift": "www", "to": "new", "steps": [5, 25], "pause_seconds": -1.0,
        "max_error_rate": 0.05, "apply": True, "confirm": "prod",
    }  # fmt: skip
    assert request.needs() == [("prod", "read"), ("prod", "deploy")]


def test_a_dry_run_needs_only_read_access_to_every_environment_named(config: Config) -> None:
    request = run(config, "drift", {"baseline": "dev"}, env="stage")
    assert not request.apply
    assert request.needs() == [("stage", "read"), ("dev", "read")]


def test_the_access_check_assumes_each_role_and_stops_at_the_first_denied(config: Config) -> None:
    from opskit.errors import AuthError

    asked: list[tuple[str, str]] = []

    class Accounts:
        def credentials(self, env: str, access: str = "read") -> None:
            asked.append((env, access))
            if access == "deploy":
                raise AuthError(f"bob may not enter {env} at access '{access}'")

    request = run(config, "scale", {"service": "api", "count": "2"}, env="stage", apply=True)
    with pytest.raises(AuthError, match="bob may not enter stage"):
        check_access(Accounts(), request)
    assert asked == [("stage", "read"), ("stage", "deploy")]


def test_read_only_mode_refuses_an_apply_before_any_kernel(config: Config) -> None:
    changes = config.changes.model_copy(update={"read_only": True})
    frozen = config.model_copy(update={"changes": changes})
    with pytest.raises(RefusedError, match=r"read-only \(\[changes\] read_only\)"):
        run(frozen, "scale", {"service": "api", "count": "2"}, env="dev", apply=True)
    run(frozen, "scale", {"service": "api", "count": "2"}, env="dev")  # a dry run is fine
