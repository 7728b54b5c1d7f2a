"""Every broken environments.toml gives one clear line: file, line, key path, what's wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opskit.config import load_config, parse_config
from opskit.errors import ConfigError, ExitCode

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "environments.toml").read_text()

# (id, text to replace, replacement, expected key path, expected words, expected line or None)
CASES = [
    ("typo-top-section", "[metrics]", "[metric]", "metric", "did you mean 'metrics'", None),
    (
        "typo-ops-key",
        'login = "sandbox"',
        'logn = "sandbox"',
        "ops.logn",
        "did you mean 'login'",
        None,
    ),
    (
        "typo-service-key",
        'cluster = "api"\nimage = "ghcr.io/acme/api:1',
        'clustr = "api"\nimage = "ghcr.io/acme/api:1',
        "services.api.clustr",
        "did you mean 'cluster'",
        None,
    ),
    (
        "typo-size-key",
        "size.prod = { desired = 6, cpu = 1024",
        "size.prod = { desird = 6, cpu = 1024",
        "services.api.size.prod.desird",
        "did you mean 'desired'",
        None,
    ),
    (
        "account-id-int",
        'account_id = "444444444444"',
        "account_id = 444444444444",
        "environments.prod.account_id",
        "text in quotes",
        None,
    ),
    (
        "account-id-short",
        'account_id = "444444444444"',
        'account_id = "4444"',
        "environments.prod.account_id",
        "12-digit account id",
        None,
    ),
    (
        "duplicate-account",
        'account_id = "333333333333"',
        'account_id = "222222222222"',
        "environments.stage.account_id",
        "also used by environments.dev",
        None,
    ),
    (
        "env-same-as-ops",
        'account_id = "222222222222"',
        'account_id = "111111111111"',
        "environments.dev.account_id",
        "also used by ops",
        None,
    ),
    (
        "bad-region",
        'regions = ["eu-west-1"]\nprotected = true',
        'regions = ["europe"]\nprotected = true',
        "environments.prod.regions.0",
        "AWS region",
        None,
    ),
    (
        "no-regions",
        'regions = ["eu-west-1"]\nprotected = true',
        "regions = []\nprotected = true",
        "environments.prod.regions",
        "at least 1",
        None,
    ),
    (
        "protected-not-bool",
        "protected = true",
        'protected = "yes please"',
        "environments.prod.protected",
        "true or false",
        None,
    ),
    (
        "bad-colour",
        'colour = "red"',
        'colour = "chartreuse"',
        "environments.prod.colour",
        "input should be",
        None,
    ),
    ("unknown-login", 'login = "sandbox"', 'login = "magic"', "ops.login", "input should be", None),
    (
        "profile-without-name",
        'login = "sandbox"',
        'login = "profile"',
        "ops.login",
        "needs `profile`",
        None,
    ),
    (
        "sandbox-login-disabled",
        "[sandbox]\nenabled = true",
        "[sandbox]\nenabled = false",
        "ops.login",
        r"\[sandbox\] enabled = true",
        None,
    ),
    (
        "bad-mfa-serial",
        '# mfa_serial = "arn:aws:iam::111111111111:mfa/alice"',
        'mfa_serial = "alice-phone"',
        "ops.mfa_serial",
        "MFA device ARN",
        None,
    ),
    (
        "bad-endpoint",
        '# endpoint_url = "http://127.0.0.1:5000"',
        'endpoint_url = "localhost:5000"',
        "ops.endpoint_url",
        r"http\(s\):// URL",
        None,
    ),
    (
        "role-unknown-level",
        '# roles = { admin = "opskit-breakglass" }',
        'roles = { superuser = "x" }',
        "environments.prod.roles.superuser",
        "unknown access level",
        None,
    ),
    (
        "bad-role-name",
        'deploy = "opskit-deploy"',
        'deploy = "opskit deploy"',
        "access.deploy",
        "IAM role name",
        None,
    ),
    (
        "no-read-role",
        'read = "opskit-read"      # Describe/List/Get only\n',
        "",
        "access",
        "'read' needs a role name",
        None,
    ),
    ("no-environments", "[environments.dev]", "[nonsense.dev]", "nonsense", "unknown key", None),
    (
        "service-unknown-cluster",
        'cluster = "cdn"',
        'cluster = "cdx"',
        "services.cdn-edge.cluster",
        "unknown cluster 'cdx'",
        None,
    ),
    (
        "service-image-no-tag",
        'image = "ghcr.io/acme/billing:2.0.8"',
        'image = "ghcr.io/acme/billing"',
        "services.billing.image",
        "input should be|expected",
        None,
    ),
    (
        "service-bad-port",
        "port = 8443",
        "port = 99999",
        "services.billing.port",
        "less than or equal to 65535",
        None,
    ),
    (
        "service-port-string",
        "port = 8443",
        'port = "https"',
        "services.billing.port",
        "whole number",
        None,
    ),
    (
        "health-check-no-slash",
        'health_check = "/health"\ndns = "billing"',
        'health_check = "health"\ndns = "billing"',
        "services.billing.health_check",
        "path starting with '/'",
        None,
    ),
    (
        "health-check-without-port",
        'port = 8443\nhealth_check = "/health"',
        'health_check = "/health"',
        "services.billing.health_check",
        "needs a `port`",
        None,
    ),
    (
        "size-unknown-env",
        "size.prod = { desired = 2, cpu = 512, memory = 1024 }\n\n# ---",
        "size.prdo = { desired = 2, cpu = 512, memory = 1024 }\n\n# ---",
        "services.billing.size.prdo",
        "unknown environment 'prdo'",
        None,
    ),
    (
        "size-desired-above-max",
        "size.prod = { desired = 6, cpu = 1024, memory = 2048, min = 3, max = 24 }",
        "size.prod = { desired = 60, cpu = 1024, memory = 2048, min = 3, max = 24 }",
        "services.api.size.prod.desired",
        "outside min 3..max 24",
        None,
    ),
    (
        "size-min-above-max",
        "min = 3, max = 24",
        "min = 30, max = 24",
        "services.api.size.prod.min",
        "above max",
        None,
    ),
    (
        "size-negative",
        "size.dev = { desired = 1, cpu = 256, memory = 512, min = 1, max = 4 }",
        "size.dev = { desired = -1, cpu = 256, memory = 512 }",
        "services.api.size.dev.desired",
        "greater than or equal to 0",
        None,
    ),
    (
        "size-cpu-too-small",
        "size.dev = { desired = 1, cpu = 256, memory = 512, min = 1, max = 4 }",
        "size.dev = { desired = 1, cpu = 2, memory = 512 }",
        "services.api.size.dev.cpu",
        "greater than or equal to 128",
        None,
    ),
    (
        "dns-duplicate",
        'dns = "billing"',
        'dns = "app"',
        "services.billing.dns",
        "also used by app-web",
        None,
    ),
    (
        "secret-also-env",
        'secrets = ["STRIPE_KEY"]',
        'secrets = ["CURRENCY"]',
        "services.billing.secrets",
        "both a plain `env` value and a secret",
        None,
    ),
    (
        "hosts-unknown-env",
        'hosts.prod = { count = 3, instance_type = "c5.xlarge" }',
        'hosts.qa = { count = 3, instance_type = "c5.xlarge" }',
        "clusters.cdn.hosts.qa",
        "unknown environment 'qa'",
        None,
    ),
    (
        "hosts-bad-type",
        'hosts.prod = { count = 3, instance_type = "c5.xlarge" }',
        'hosts.prod = { count = 3, instance_type = "big" }',
        "clusters.cdn.hosts.prod.instance_type",
        "input should be|expected",
        None,
    ),
    (
        "traffic-unknown-env",
        'sets = { legacy = "stage", new = "prod" }',
        'sets = { legacy = "stage", new = "production" }',
        "traffic.www.sets.new",
        "unknown environment 'production'",
        None,
    ),
    (
        "traffic-unknown-service",
        'service = "app-web"\nsets',
        'service = "app-webb"\nsets',
        "traffic.www.service",
        "unknown service 'app-webb'",
        None,
    ),
    (
        "traffic-weight-unknown-set",
        "weights = { legacy = 100, new = 0 }",
        "weights = { old = 100, new = 0 }",
        "traffic.www.weights.old",
        "unknown set 'old'",
        None,
    ),
    (
        "metrics-source",
        'source = "cloudwatch"',
        'source = "prometheus"',
        "metrics.source",
        "input should be",
        None,
    ),
    (
        "sandbox-user",
        'user = "alice"          #',
        'user = "mallory"          #',
        "sandbox.user",
        "input should be",
        None,
    ),
    # URLs are taken apart at load: RFC 3986 hosts, TCP ports 1-65535 (RFC 6335).
    (
        "endpoint-port-out-of-range",
        '# endpoint_url = "http://127.0.0.1:5000"',
        'endpoint_url = "http://127.0.0.1:99999"',
        "ops.endpoint_url",
        "port.*65535",
        None,
    ),
    (
        "endpoint-port-zero",
        '# endpoint_url = "http://127.0.0.1:5000"',
        'endpoint_url = "http://127.0.0.1:0"',
        "ops.endpoint_url",
        "port 0",
        None,
    ),
    (
        "endpoint-unclosed-ipv6",
        '# endpoint_url = "http://127.0.0.1:5000"',
        'endpoint_url = "http://[::1"',
        "ops.endpoint_url",
        "invalid ipv6",
        None,
    ),
    (
        "endpoint-no-host",
        '# endpoint_url = "http://127.0.0.1:5000"',
        'endpoint_url = "http://:5000"',
        "ops.endpoint_url",
        "no host",
        None,
    ),
    (
        "datadog-url-bad-port",
        '# url = "https://dd-proxy.acme.internal"',
        'url = "https://dd-proxy.acme.internal:http"',
        "datadog.url",
        "port",
        None,
    ),
    (
        "freeze-until-before-from",
        '# freeze = { from = "2026-12-20", until = "2027-01-04", reason = "holiday freeze" }',
        'freeze = { from = "2027-01-04", until = "2026-12-20" }',
        "changes.freeze.until",
        "before from 2027-01-04",
        None,
    ),
    (
        "journal-is-a-folder",
        '# journal = "/var/lib/opskit/journal.jsonl"',
        f'journal = "{ROOT / "tests"}"',
        "audit.journal",
        "is a folder; a file path is needed",
        None,
    ),
    (
        "journal-under-a-file",
        '# journal = "/var/lib/opskit/journal.jsonl"',
        f'journal = "{ROOT / "README.md"}/journal.jsonl"',
        "audit.journal",
        "README.md is a file",
        None,
    ),
    (
        "cur-path-is-a-file",
        'cur_path = "s3://acme-cur/cur2/"',
        f'cur_path = "{ROOT / "README.md"}"',
        "costs.cur_path",
        "is a file; a folder is needed",
        None,
    ),
    # Booleans and numbers are strict: TOML has real ones, text is never converted.
    (
        "protected-yes",
        "protected = true",
        'protected = "yes"',
        "environments.prod.protected",
        "true or false, got 'yes'",
        None,
    ),
    (
        "read-only-text-false",
        "read_only = false",
        'read_only = "false"',
        "changes.read_only",
        "true or false, got 'false'",
        None,
    ),
    (
        "enabled-as-number",
        "[sandbox]\nenabled = true",
        "[sandbox]\nenabled = 1",
        "sandbox.enabled",
        "true or false, got 1",
        None,
    ),
    (
        "port-as-text",
        "port = 8443",
        'port = "9000"',
        "services.billing.port",
        "whole number, got '9000'",
        None,
    ),
    (
        "desired-as-float",
        "size.dev = { desired = 1, cpu = 256, memory = 512, min = 1, max = 4 }",
        "size.dev = { desired = 1.0, cpu = 256, memory = 512, min = 1, max = 4 }",
        "services.api.size.dev.desired",
        "whole number, got 1.0",
        None,
    ),
    (
        "time-factor-as-text",
        "time_factor = 20 ",
        'time_factor = "20" ',
        "sandbox.time_factor",
        "a number, got '20'",
        None,
    ),
    (
        "cache-hours-as-bool",
        "cache_hours = 6",
        "cache_hours = true",
        "costs.cache_hours",
        "a number, got True",
        None,
    ),
    ("toml-syntax", "[dns]", "[dns", "", "invalid TOML", None),
    ("toml-duplicate-table", "[metrics]", "[dns]", "", "invalid TOML", None),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "words", "line"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_malformed_config_gives_one_precise_line(
    old: str, new: str, key: str, words: str, line: int | None
) -> None:
    assert old in GOOD, f"fixture drifted: {old!r} not in environments.toml"
    broken = GOOD.replace(old, new, 1)
    with pytest.raises(ConfigError) as raised:
        parse_config(broken, Path("environments.toml"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("environments.toml:")
    assert re.search(r"^environments\.toml:\d+: ", message), message
    if key:
        assert f": {key}: " in message, message
    reported = int(message.split(":")[1])
    if line is not None:
        assert reported == line, message
    elif key:
        # the line named is where the key (or, if it is missing, its table) is written
        leaf = next(p for p in reversed(key.split(".")) if not p.isdigit())
        assert leaf in broken.splitlines()[reported - 1], message
    assert re.search(words, message, re.IGNORECASE), message
    assert raised.value.exit_code == ExitCode.CONFIG


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


# Files tomllib or the model reject without a position: the nearest line, else line 1.
NO_POSITION = [
    pytest.param("", 1, "ops: missing.*add the \\[ops\\] section", id="empty-file"),
    pytest.param("# nothing but a comment\n# and another\n", 1, "ops: missing", id="comment-only"),
    pytest.param(
        re.sub(r"\[ops\]\n(.*\n)*?(?=\[access\])", "", GOOD),
        1,
        "ops: missing.*add the \\[ops\\] section",
        id="missing-section",
    ),
    pytest.param(
        GOOD + '\n[tui]\ntheme = "textual-dark"\nrefresh_seconds = [1,\n  2\n',
        GOOD.count("\n") + 4,
        "invalid TOML: unclosed array",
        id="unclosed-array-at-end",
    ),
]


@pytest.mark.parametrize(("text", "line", "words"), NO_POSITION)
def test_errors_without_a_position_name_the_nearest_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, Path("environments.toml"))
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"environments.toml:{line}: "), message
    assert re.search(words, message, re.IGNORECASE), message


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    lines = GOOD.encode().splitlines(keepends=True)
    target = next(i for i, b in enumerate(lines) if b.startswith(b'colour = "red"'))
    lines[target] = b'colour = "r\xe9d"\n'  # Latin-1 "e acute": not UTF-8
    file = tmp_path / "environments.toml"
    file.write_bytes(b"".join(lines))
    with pytest.raises(ConfigError) as raised:
        load_config(file)
    message = str(raised.value)
    assert message.startswith(f"{file.resolve()}:{target + 1}: not UTF-8"), message
    assert "0xe9 at column 12" in message, message


def test_line_number_points_at_the_key() -> None:
    broken = GOOD.replace("port = 8443", "port = 99999", 1)
    with pytest.raises(ConfigError) as raised:
        parse_config(broken, Path("environments.toml"))
    line = int(str(raised.value).split(":")[1])
    assert "port = 99999" in broken.splitlines()[line - 1]


def test_the_repository_config_is_valid() -> None:
    config = load_config(ROOT / "environments.toml")
    assert config.env_names() == ["dev", "stage", "prod"]
    assert config.environment("prod").protected
    assert config.role_arn("prod", "deploy") == "arn:aws:iam::444444444444:role/opskit-deploy"
    # stage mirrors prod: the same services, only sizes differ
    assert set(config.services_in("stage")) == set(config.services_in("prod"))


def test_found_in_a_parent_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "environments.toml").write_text(GOOD)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("OPSKIT_CONFIG", raising=False)
    assert load_config().path == tmp_path / "environments.toml"


def test_missing_config_names_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPSKIT_CONFIG", raising=False)
    with pytest.raises(ConfigError, match=r"no environments\.toml found in"):
        load_config()


def test_opskit_config_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text(GOOD)
    monkeypatch.setenv("OPSKIT_CONFIG", str(other))
    assert load_config().path == other.resolve()


def test_unknown_environment_is_a_usage_error() -> None:
    from opskit.errors import UsageError

    config = load_config(ROOT / "environments.toml")
    with pytest.raises(UsageError, match=r"unknown environment 'qa' \(known: dev, stage, prod\)"):
        config.environment("qa")
