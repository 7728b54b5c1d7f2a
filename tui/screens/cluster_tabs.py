"""Rows for the cluster screen's standalone-task and schedule tabs (pure functions).

Standalone tasks (RunTask, a schedule, a batch job: no service owns them) are grouped by
who started them, then by task group; schedules are the EventBridge rules and Scheduler
schedules that run tasks on the cluster (``?`` when they could not be read).
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text

from opskit.estate import ClusterState, ServiceState
from tui.format import ago, short_id
from tui.screens.service_tabs import styled
from tui.widgets.estate_table import matches
from tui.widgets.keyed_table import Row

TASK_COLUMNS = ("started by", "group", "task", "status", "def", "containers", "started")
SCHEDULE_COLUMNS = ("source", "name", "expression", "state", "def", "count", "group")


def revision_cell(service: ServiceState) -> Text:
    """``:4`` for a service on its family's newest revision, ``:4 → :5`` when behind."""
    if service.revision is None:
        return Text(service.task_definition)
    if service.behind:
        return Text(f":{service.revision} → :{service.latest_revision}", style="bold yellow")
    return Text(f":{service.revision}", style="dim")


def standalone_rows(cluster: ClusterState, now: dt.datetime, needle: str = "") -> list[Row]:
    return [
        (
            t.id,
            (
                t.started_by or "-",
                t.group or "-",
                short_id(t.id),
                styled(t.last_status),
                t.task_definition,
                ", ".join(f"{c.name}:{c.tag}" for c in t.containers) or "-",
                ago(t.started_at, now),
            ),
        )
        for t in cluster.tasks
        if matches(needle, t.id, t.group, t.started_by, t.task_definition)
    ]


def schedule_rows(cluster: ClusterState, needle: str = "") -> list[Row]:
    if cluster.schedules is None:
        unknown = Text("unknown: could not be read", style="red")
        return [("?", (unknown, "", "", "", "", "", ""))]
    return [
        (
            f"{s.source}:{s.name}",
            (
                s.source,
                s.name,
                s.expression or "(event pattern)",
                Text(s.state, style="green" if s.state == "ENABLED" else "yellow"),
                s.task_definition,
                str(s.count),
                s.group or "-",
            ),
        )
        for s in cluster.schedules
        if matches(needle, s.name, s.task_definition, s.group)
    ]
