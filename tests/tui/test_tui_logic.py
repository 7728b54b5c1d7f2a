"""The dashboard's pure parts: formatting, roll-ups, the estate view, the feed, the keymap,
settings, how a request becomes a library change, and the command line's refusals."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import tui_sample as sample
from tui_fake import journal_records

from opskit.audit import changes
from opskit.changes.deploy import DeployChange
from opskit.changes.draining import DrainingChange
from opskit.changes.service_changes import RestartChange, RollbackChange, ScaleChange
from opskit.changes.stop_task import StopTaskChange
from opskit.config import Config
from opskit.errors import UsageError
from tui.aggregate import cluster_load, env_summary
from tui.feed import feed_items, tidy_event
from tui.format import ago, count_cell, heat, money_short, spark, used_pct
from tui.keymap import load_keymap
from tui.library import LibrarySource
from tui.settings import Settings
from tui.source import ActionKind, ActionRequest
from tui.state import EstateView, is_denied

NOW = sample.NOW


def test_ages_and_money_read_short() -> None:
    assert ago(NOW - dt.timedelta(seconds=9), NOW) == "9s"
    assert ago(NOW - dt.timedelta(minutes=5), NOW) == "5m"
    assert ago(NOW - dt.timedelta(hours=3), NOW) == "3h"
    assert ago(None, NOW) == "-"
    assert [money_short(v) for v in (412, 1380.5, 64_200, 2_500_000)] == [
        "$412",
        "$1.4k",
        "$64k",
        "$2.5M",
    ]


def test_sparklines_keep_steady_lines_steady() -> None:
    assert len(set(spark([11.0] * 12, 12))) == 1  # flat: one bar height, not noise
    assert spark([0, 100], 4) == "  ▁█"
    assert spark([], 5) == "     "
    assert heat(10) != heat(90) and heat(None) == "grey42"


def test_service_cell_says_what_needs_attention() -> None:
    env = sample.environment("prod")
    crash = env.service("integrations")
    web = env.service("app-web")
    assert crash and web
    assert count_cell(crash).plain == "0/2 ✗ crash"
    assert count_cell(web).plain == "4/4 ! 1 unhealthy"


def test_rollups_weight_by_capacity() -> None:
    env = sample.environment("prod")
    cluster = env.clusters[0]
    load = cluster_load(cluster)
    assert load.cpu_reserved == pytest.approx(
        used_pct(8192, sum(i.cpu_remaining for i in cluster.instances))
    )
    summary = env_summary(env)
    assert summary.services == 8 and summary.attention == 2
    assert summary.tasks == sum(s.running for _, s in env.services())


def test_view_keeps_last_good_data_when_a_read_fails(config: Config) -> None:
    view = EstateView.empty(config)
    assert [e.name for e in view.envs] == ["dev", "stage", "prod"]
    good = view.arrived(sample.snapshot(sample.environment("stage")), 10)
    assert good.env("stage").state is not None  # type: ignore[union-attr]
    failed = good.arrived(sample.snapshot(sample.failed("stage", "throttled")), 5)
    stage = failed.env("stage")
    assert stage is not None and stage.state is not None and stage.error == "throttled"
    assert failed.api_calls == 10  # the count never goes backwards
    assert failed.failed("dev", "boom").env("dev").error == "boom"  # type: ignore[union-attr]
    assert is_denied("bob may not enter prod at access 'read'") and not is_denied("throttled")


def test_rows_follow_the_config_order_of_clusters(config: Config) -> None:
    view = EstateView.empty(config).arrived(sample.snapshot(sample.environment("dev")), 1)
    clusters = [c for _, c, s in view.rows() if not s]
    assert clusters == ["api", "cdn", "app"]


def test_feed_merges_changes_and_events_newest_first(config: Config) -> None:
    view = EstateView.empty(config).arrived(sample.snapshot(sample.environment("dev")), 1)
    items = feed_items(view, changes(journal_records()))
    times = [i.at for i in items if i.at]
    assert times == sorted(times, reverse=True)
    pinned = feed_items(view, changes(journal_records()), now=sample.NOW)  # changes on top
    kinds = [i.kind for i in pinned]
    assert kinds == sorted(kinds) and kinds[0] == "change" and "event" in kinds
    statuses = {i.key: i.status for i in items if i.kind == "change"}
    assert statuses == {"change:c1": "applied", "change:c2": "rolled_back", "change:c3": "refused"}
    assert len({i.key for i in items}) == len(items)


def test_events_read_short() -> None:
    message = (
        "(service web) registered 1 targets in (target-group arn:aws:elasticloadbalancing:"
        "eu-west-1:1:targetgroup/prod-web/0123abcd)"
    )
    assert tidy_event(message, "web") == "registered 1 targets in (target group prod-web)"
    assert tidy_event("(service x) (task 0123abcd-aaaa-bbbb)", "x") == "(task 0123abcd)"


def test_keymap_reports_unknown_ids(tmp_path: Path) -> None:
    path = tmp_path / "keymap.toml"
    path.write_text('[keys]\n"service.scale" = "S"\n"nope.nope" = "x"\n"app.feed" = 3\n')
    keymap, problems = load_keymap(path)
    assert keymap == {"service.scale": "S"}
    assert len(problems) == 2 and "nope.nope" in problems[0]
    path.write_text("not toml [")
    assert load_keymap(path)[1][0].startswith(str(path))


def test_settings_check_environments_and_refresh(config: Config) -> None:
    assert Settings.from_config(config, ["prod", "dev"]).envs == ("dev", "prod")
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        Settings.from_config(config, ["qa"])
    with pytest.raises(UsageError, match="--refresh"):
        Settings.from_config(config, refresh=0)
    strict = config.model_copy(
        update={"changes": config.changes.model_copy(update={"read_only": True})}
    )
    assert Settings.from_config(strict).read_only


def test_requests_become_library_changes(config: Config) -> None:
    source = LibrarySource(config, "alice")

    def change(
        kind: ActionKind, service: str = "api", cluster: str = "api", **params: object
    ) -> object:
        return source.change(ActionRequest(kind, "dev", service, cluster, params))

    assert change(ActionKind.scale, count=3) == ScaleChange("dev", "api", 3)
    assert change(ActionKind.restart) == RestartChange("dev", "api")
    assert change(ActionKind.rollback, revision=None) == RollbackChange("dev", "api", None)
    assert change(ActionKind.rollback, revision=4) == RollbackChange("dev", "api", 4)
    assert change(ActionKind.deploy, tag="1.43.0") == DeployChange("dev", ("api",), ("1.43.0",))
    stop = change(ActionKind.stop_task, task="abc")
    assert isinstance(stop, StopTaskChange) and (stop.cluster, stop.task) == ("api", "abc")
    assert change(ActionKind.draining, "", "", seconds=60) == DrainingChange("dev", 60)
    # a service the catalog does not place in this cluster is named CLUSTER/NAME
    assert change(ActionKind.restart, "svc-042", "app") == RestartChange("dev", "app/svc-042")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "qa"], "unknown environment 'qa'"),
        (["--refresh", "0"], "--refresh 0"),
    ],
)
def test_cli_refuses_bad_options_in_one_line(args: list[str], message: str) -> None:
    opskit = Path(sys.executable).parent / "opskit"
    done = subprocess.run(
        [str(opskit), "tui", *args],
        capture_output=True,
        text=True,
        env={
            "OPSKIT_CONFIG": str(Path(__file__).resolve().parents[2] / "environments.toml"),
            "PATH": "",
        },
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
