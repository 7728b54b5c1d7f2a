"""``[promotion]`` and ``[changes.policy.ENV]``: strict like every section, and checked
against the environments; one line naming file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opskit.config import parse_config
from opskit.errors import ConfigError, ExitCode

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "environments.toml").read_text()
SOAK = "soak_minutes = { dev = { stage = 30 }, stage = { prod = 120 } }"
POLICY = "# [changes.policy.prod]\n# require_promotion = true"


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        (SOAK, "soak_minutes = { dev = { stagee = 30 } }", "promotion.soak_minutes.dev", "unknown environment 'stagee'"),  # noqa: E501
        (SOAK, "soak_minutes = { stage = { prod = -5 } }", "promotion.soak_minutes.stage.prod", "greater than or equal to 0"),  # noqa: E501
        (SOAK, f"{SOAK}\nbake_second = 60", "promotion.bake_second", "did you mean 'bake_seconds'"),
        (SOAK, f'{SOAK}\nbake_seconds = "60"', "promotion.bake_seconds", "whole number"),
        (POLICY, "[changes.policy.prd]\nrequire_promotion = true", "changes.policy.prd", "unknown environment 'prd'"),  # noqa: E501
        (POLICY, "[changes.policy.prod]\nrequire_promotion = 'yes'", "changes.policy.prod.require_promotion", "true or false"),  # noqa: E501
        (POLICY, "[changes.policy.prod]\nmax_replace_share = 1.5", "changes.policy.prod.max_replace_share", "less than or equal to 1"),  # noqa: E501
        (POLICY, "[changes.policy.prod]\nmax_services = 0", "changes.policy.prod.max_services", "greater than or equal to 1"),  # noqa: E501
    ],
)  # fmt: skip
def test_a_bad_promotion_or_policy_setting_is_one_precise_line(
    old: str, new: str, key: str, words: str
) -> None:
    assert old in GOOD, f"fixture drifted: {old!r} not in environments.toml"
    with pytest.raises(ConfigError) as raised:
        parse_config(GOOD.replace(old, new, 1), Path("environments.toml"))
    message = str(raised.value)
    assert re.search(rf"^environments\.toml:\d+: {re.escape(key)}: ", message), message
    assert re.search(words, message, re.IGNORECASE), message
    assert raised.value.exit_code == ExitCode.CONFIG


def test_the_policy_and_soak_settings_read_as_written() -> None:
    text = GOOD.replace(
        POLICY, "[changes.policy.prod]\nrequire_promotion = true\nmax_replace_share = 0.25", 1
    )
    config = parse_config(text, Path("environments.toml"))
    assert config.promotion.soak_for("stage", "prod") == 120
    assert config.promotion.soak_for("dev", "stage") == 30
    assert config.promotion.soak_for("dev", "prod") == config.promotion.default_soak_minutes
    assert config.changes.policy["prod"].require_promotion is True
    assert config.changes.policy["prod"].max_replace_share == 0.25
