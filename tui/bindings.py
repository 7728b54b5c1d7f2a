"""Every key binding of the dashboard, each with an id so users can remap it.

Ids are ``area.action``. A keymap file (see ``tui.keymap``) maps ids to other keys; the
help screen lists these tables, so what ``?`` shows is what the keys do.
"""

from __future__ import annotations

from textual.binding import Binding

APP = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
    Binding("ctrl+r,f5", "refresh_now", "Refresh", id="app.refresh"),
    Binding("f", "feed", "Feed", id="app.feed"),
    Binding("H", "hosts", "Hosts", id="app.hosts", show=False),
    Binding("ctrl+u", "unlock", "Unlock env", id="app.unlock", show=False),
    Binding("ctrl+t", "change_theme", "Theme", id="app.theme", show=False),
]

BACK = Binding("escape", "back", "Back", id="screen.back")
FILTER = Binding("slash", "filter", "Filter", key_display="/", id="screen.filter")

OVERVIEW = [
    FILTER,
    Binding("enter", "open", "Open", id="overview.open", show=False),
    Binding("e", "environment", "Env", id="overview.environment"),
    Binding("h", "hosts", "Hosts", id="overview.hosts"),
    Binding("l", "logs", "Logs", id="overview.logs", show=False),
    Binding("w", "toggle_wide", "Wide", id="overview.wide", show=False),
]

ENVIRONMENT = [
    BACK,
    FILTER,
    Binding("enter", "open", "Open", id="environment.open", show=False),
    Binding("h", "hosts", "Hosts", id="environment.hosts"),
    Binding("D", "draining", "Draining", id="environment.draining"),
]

CLUSTER = [
    BACK,
    FILTER,
    Binding("enter", "open", "Open", id="cluster.open", show=False),
    Binding("h", "hosts", "Hosts", id="cluster.hosts"),
    Binding("l", "logs", "Logs", id="cluster.logs", show=False),
    Binding("space", "mark", "Mark", id="cluster.mark"),
    Binding("r", "batch_restart", "Restart", id="cluster.restart", show=False),
    Binding("s", "batch_scale", "Scale", id="cluster.scale", show=False),
]

SERVICE = [
    BACK,
    FILTER,
    Binding("enter", "open_task", "Task", id="service.task", show=False),
    Binding("l", "logs", "Logs", id="service.logs"),
    Binding("p", "previous_logs", "Previous run", id="service.previous", show=False),
    Binding("a", "actions", "Actions", id="service.actions"),
    Binding("s", "scale", "Scale", id="service.scale", show=False),
    Binding("r", "restart", "Restart", id="service.restart", show=False),
    Binding("d", "deploy", "Deploy", id="service.deploy", show=False),
    Binding("b", "rollback", "Rollback", id="service.rollback", show=False),
    Binding("x", "stop_task", "Stop task", id="service.stop_task", show=False),
    Binding("y", "raw", "Raw JSON", id="service.raw", show=False),

    Binding("P", "promote", "Promote", id="service.promote", show=False),
]

TASK = [
    BACK,
    Binding("l", "logs", "Logs", id="task.logs"),
    Binding("x", "stop_task", "Stop task", id="task.stop"),
    Binding("y", "raw", "Raw JSON", id="task.raw"),
]

HOSTS = [
    BACK,
    FILTER,
    Binding("c", "cycle_metric", "CPU/Mem", id="hosts.metric"),
]

FEED = [BACK, FILTER]

LOGS = [
    BACK,
    FILTER,
    Binding("space", "toggle_follow", "Follow", id="logs.follow"),
    Binding("ctrl+l", "clear", "Clear", id="logs.clear"),
]

HELP = [BACK]

FILTER_BAR = [Binding("escape", "dismiss", "Clear filter", id="filter.clear")]

HOST_MAP = [
    Binding("right", "move(1)", "Next host", show=False, id="hostmap.next"),
    Binding("left", "move(-1)", "Previous host", show=False, id="hostmap.previous"),
    Binding("down", "move_row(1)", "Host below", show=False, id="hostmap.down"),
    Binding("up", "move_row(-1)", "Host above", show=False, id="hostmap.up"),
]

TABLE = [
    Binding("o", "sort_next", "Sort", id="table.sort", show=False),
    Binding("O", "sort_reverse", "Reverse sort", id="table.reverse", show=False),
    Binding("c", "copy_id", "Copy id", id="table.copy", show=False),
]

PLAN = [Binding("escape", "cancel", "Close", id="plan.cancel")]

ASK = [Binding("escape", "cancel", "Cancel", id="ask.cancel")]

MENU = [Binding("escape", "cancel", "Cancel", id="menu.cancel")]

RAW = [
    Binding("escape", "cancel", "Close", id="raw.cancel"),
    Binding("c", "copy", "Copy JSON", id="raw.copy"),
]

AREAS: dict[str, list[Binding]] = {
    "Everywhere": APP,
    "Overview": OVERVIEW,
    "Environment": ENVIRONMENT,
    "Cluster": CLUSTER,
    "Service": SERVICE,
    "Task": TASK,
    "Hosts": HOSTS + HOST_MAP,
    "Change feed": FEED,
    "Logs": LOGS,
    "Tables": TABLE,
    "Filter bar": FILTER_BAR,
    "Help": HELP,
    "Plan": PLAN,
    "Ask": ASK,
    "Actions menu": MENU,
    "Raw JSON": RAW,
}
