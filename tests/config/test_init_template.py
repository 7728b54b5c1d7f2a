"""The file `opskit init` writes for estates unlike the sandbox's: account names like
``acme-production``, `Environment` tags, two accounts that suggest the same name, an
account with no clusters, per-account role names. Each rendering must load as a valid
config (TOML first, then opskit's own validation)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from opskit.config import load_config
from opskit.config.template import Found, FoundAccount, render

ROLES = {"read": "ReadOnly", "deploy": "CiDeploy"}


def estate() -> Found:
    return Found(
        ops_account="100000000000",
        ops_region="us-east-1",
        login="sso",
        profile="ops-admin",
        accounts=(
            FoundAccount("300000000003", "acme-production", {"Environment": "Production"},
                         ROLES, ("us-east-1", "eu-west-1")),
            FoundAccount("200000000002", "Acme Staging", {}, ROLES, ("us-east-1",)),
            FoundAccount("100000000009", "acme-dev-1", {}, {"read": "ReadOnly"}, (),
                         ("eu-west-1: not read: throttled",)),
            FoundAccount("100000000010", "acme-dev-2", {}, {"read": "LegacyRead"}, ("us-west-2",)),
            FoundAccount("400000000004", "data lake", {"team": "data"}, ROLES, ("us-east-1",)),
        ),
        tried={"read": ("ReadOnly",), "deploy": ("CiDeploy",), "admin": ("Admin",)},
        skipped=(("100000000000", "ops", "the ops account you log in to"),),
    )  # fmt: skip


def test_a_real_looking_estate_renders_a_valid_config(tmp_path: Path) -> None:
    text = render(estate())
    data = tomllib.loads(text)
    envs = data["environments"]
    # names: the Environment tag, a known word in the name, slugs where two clash or none fits
    assert set(envs) == {"prod", "stage", "acme-dev-1", "acme-dev-2", "data-lake"}
    assert envs["prod"]["account_id"] == "300000000003"
    assert envs["prod"]["regions"] == ["us-east-1", "eu-west-1"]
    assert envs["prod"]["protected"] is True and envs["stage"]["protected"] is False
    order = sorted(envs, key=lambda n: envs[n]["order"])
    assert order.index("stage") < order.index("prod") and order[-1] == "data-lake"
    assert envs["acme-dev-1"]["regions"] == ["us-east-1"]  # no clusters: the ops region
    assert envs["acme-dev-2"]["roles"] == {"read": "LegacyRead"}  # differs from [access]
    assert data["access"] == {"read": "ReadOnly", "deploy": "CiDeploy"}
    assert data["ops"] == {"name": "ops", "account_id": "100000000000", "region": "us-east-1",
                           "login": "sso", "profile": "ops-admin"}  # fmt: skip
    assert "# admin: no role could be assumed in any account (tried: Admin)" in text
    assert "# eu-west-1: not read: throttled" in text
    assert "# No assumable role here for: deploy" in text
    assert "sandbox" not in data

    path = tmp_path / "environments.toml"
    path.write_text(text)
    config = load_config(path)
    assert config.env_names()[0] in ("acme-dev-1", "acme-dev-2")
    assert config.role_name("acme-dev-2", "read") == "LegacyRead"


def test_the_same_estate_renders_the_same_bytes() -> None:
    shuffled = estate()
    reordered = Found(**{**shuffled.__dict__, "accounts": tuple(reversed(shuffled.accounts))})
    assert render(estate()) == render(reordered)
