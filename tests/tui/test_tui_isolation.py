"""The dashboard's view of an environment whose Route53 is denied (over HTTP): it is not
"denied" and its clusters stay on screen; the reason is said once; a whole denial
(bob on prod) is still denied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opskit.estate.collect import Estate
from opskit.workspace import open_workspace
from tui.state import EstateView

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


def test_route53_denied_keeps_the_environment_on_screen(sandbox: Any, sandbox_faults: Any) -> None:
    sandbox_faults.set(service="route53", operation="List*", kind="deny")
    workspace = open_workspace(CONFIG, user="alice")
    snapshot = Estate(workspace.accounts, utilization=False).snapshot(["dev"])
    view = EstateView.empty(workspace.config, ["dev"]).arrived(snapshot, 0)
    status = view.env("dev")
    assert status is not None and status.state is not None
    assert not status.denied and status.error is None
    assert status.state.clusters and status.state.dns == ()
    assert status.unknown is not None and status.unknown.startswith("route53 unknown: ")
    assert "AccessDenied" in status.unknown and status.unknown.count("unknown:") == 1  # once


def test_a_whole_denial_is_still_denied(sandbox: Any) -> None:
    workspace = open_workspace(CONFIG, user="bob")
    snapshot = Estate(workspace.accounts, utilization=False).snapshot(["prod"])
    status = EstateView.empty(workspace.config, ["prod"]).arrived(snapshot, 0).env("prod")
    assert status is not None and status.denied and status.unknown is None
