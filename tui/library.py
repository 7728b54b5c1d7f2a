"""The ``Source`` the real dashboard uses: opskit's own library, nothing else.

Workspace (login, sandbox), ``Estate`` (overview and detail reads), ``estate.logs``, the
audit journal, month-to-date costs and the change ``Engine`` (which also tells Datadog
when that is configured). Heavy modules (boto3 through the estate, pandas through costs) load in
the worker threads that first need them, never before the first frame.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opskit.audit import ChangeEntry, Journal, changes
from opskit.changes.plan import Plan
from opskit.config import Config
from opskit.errors import OpskitError, UsageError
from opskit.estate import (
    ContainerMetrics,
    EnvironmentState,
    ServiceState,
    Snapshot,
    TargetGroupState,
    TaskState,
)
from tui.source import ActionKind, ActionRequest, LogBatch, LogLine, Outcome, Progress

if TYPE_CHECKING:
    from opskit.changes import Change, Engine
    from opskit.estate.collect import Estate
    from opskit.estate.container_metrics import ContainerReader
    from opskit.estate.freshness import Freshness, Paces
    from opskit.estate.logs import LogSource
    from opskit.workspace import Workspace

FIRST_LOGS = dt.timedelta(minutes=10)
TASK_LOGS = dt.timedelta(hours=1)  # one task's logs: as long as ECS keeps a stopped task


class LibrarySource:
    """The dashboard's door to opskit; every method runs in a worker thread."""

    def __init__(self, config: Config, user: str | None = None, paces: Paces | None = None) -> None:
        self.config = config
        self.user = user
        self.paces = paces  # how often each family is re-read (None: the defaults)
        self._lock = threading.Lock()
        self._workspace: Workspace | None = None
        self._estate: Estate | None = None
        self._freshness: Freshness | None = None  # what each refresh re-reads
        self._journal_seen: tuple[int, int] = (-1, -1)
        self._journal: list[ChangeEntry] = []
        self._log_sources: dict[tuple[str, str, str | None], list[LogSource]] = {}
        self._spend_warmed = False
        self._containers: ContainerReader | None = None

    # -- session ---------------------------------------------------------------------

    def connect(self) -> str:
        self._estate_ready()
        workspace = self.workspace
        return workspace.user or workspace.accounts.whoami().user_name

    def adopt(self, workspace: Workspace) -> None:
        """Use a workspace opened already (e.g. after asking for an MFA code)."""
        with self._lock:
            self._workspace = workspace

    @property
    def workspace(self) -> Workspace:
        with self._lock:
            if self._workspace is None:
                from opskit.workspace import open_workspace

                self._workspace = open_workspace(
                    config=self.config, user=self.user, front_end="tui"
                )
            return self._workspace

    def _estate_ready(self) -> Estate:
        workspace = self.workspace
        with self._lock:
            if self._estate is None:
                from opskit.estate.collect import Estate

                self._estate = Estate(workspace.accounts)
            return self._estate

    @property
    def freshness(self) -> Freshness:
        with self._lock:
            if self._freshness is None:
                from opskit.estate.freshness import Freshness

                self._freshness = Freshness(self.paces, staged=True)
            return self._freshness

    def api_calls(self) -> int:
        return self.workspace.accounts.calls.total

    # -- reading -----------------------------------------------------------------------

    def overview(self, env: str) -> Snapshot:
        """``env`` at overview depth: services every time, the other families at their
        own pace (``opskit.estate.freshness``), reusing the previous read's rest."""
        return self._estate_ready().snapshot([env], refresh=self.freshness)

    def partial(self, env: str) -> bool:
        return self.freshness.partial(env)

    def expire(self, env: str | None = None) -> None:
        self.freshness.expire(env)

    def detail(self, env: str, service: str) -> ServiceState:
        return self._estate_ready().service(env, service)

    def targets(self, env: EnvironmentState) -> tuple[TargetGroupState, ...]:
        return self._estate_ready().targets(env)

    def raw(self, env: str, service: str, cluster: str, task: str | None) -> Any:
        from opskit.estate.raw import describe_service, describe_task

        accounts, config = self.workspace.accounts, self.config
        if task:
            return describe_task(accounts, config, env, cluster, task)
        return describe_service(accounts, config, env, service)

    def logs(self, env: str, service: str, task: str | None, cursor: Any) -> LogBatch:
        from opskit.estate import logs

        estate = self._estate_ready()
        key = (env, service, task)
        found = self._log_sources.get(key)
        if found is None:
            found = self._log_sources[key] = logs.sources(estate, env, service, task)
        now = dt.datetime.now(dt.UTC)
        first = now - (TASK_LOGS if task else FIRST_LOGS)
        start, seen = cursor if cursor else (first, frozenset())
        lines = logs.read(estate, env, found, since=now - start + dt.timedelta(seconds=1))
        new = [line for line in lines if line.at >= start and line.event_id not in seen]
        if lines:
            start = lines[-1].at
            seen = frozenset(line.event_id for line in lines if line.at >= start)
        batch = tuple(LogLine(line.at, line.task, line.message, line.container) for line in new)
        return LogBatch(batch, (start, seen))

    def container_metrics(
        self, env: str, cluster: str, tasks: Sequence[TaskState]
    ) -> ContainerMetrics:
        """One reader for the session: its answers last one CloudWatch period."""
        from opskit.estate.container_metrics import ContainerReader

        accounts = self.workspace.accounts  # (takes the lock itself)
        with self._lock:
            if self._containers is None:
                period = self.config.metrics.period_seconds
                self._containers = ContainerReader(accounts, period=period)
            reader = self._containers
        return reader.read(env, cluster, tasks)

    def changes(self, limit: int) -> Sequence[ChangeEntry]:
        """Recent changes; the journal is re-read only when the file changed.

        With a team journal, everyone's changes: only records newer than the local cache
        are read from the bucket."""
        if self.config.audit.s3_bucket:
            from opskit.audit.setup import team_reader

            ws = self.workspace
            team = team_reader(ws.config, ws.accounts, ws.state_dir)
            return changes(team.records())[-limit:] if team else []
        path = self.workspace.journal_path
        try:
            stat = path.stat()
        except FileNotFoundError:
            return []
        mark = (stat.st_size, stat.st_mtime_ns)
        if mark != self._journal_seen:
            self._journal = changes(Journal(path).records())
            self._journal_seen = mark
        return self._journal[-limit:]

    def spend(self) -> Mapping[str, float] | None:
        """Month-to-date spend from the costs cache (a small JSON read).

        When the cache is cold it is warmed once, by a one-month cost report built in a
        child process: the report needs pandas, which the dashboard never loads itself.
        """
        from opskit.costs.mtd import month_to_date

        found = month_to_date(self.workspace)
        if found is None and not self._spend_warmed:
            self._spend_warmed = True
            command = [sys.executable, "-m", "tui.library", str(self.config.path), self.user or ""]
            done = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
                raise OpskitError(f"month-to-date spend: {lines[-1]}")
            found = json.loads(done.stdout) or None
        return found

    # -- changing ----------------------------------------------------------------------

    def _engine(self, progress: Progress) -> Engine:
        """The engine (journal, locks, notifiers such as Datadog) as every front end has it."""
        from opskit.audit import origin_from_environ
        from opskit.changes import Engine

        return Engine.from_workspace(
            self.workspace, origin=origin_from_environ("tui"), progress=progress
        )

    def plan(self, request: ActionRequest) -> Plan:
        return self._engine(lambda line: None).plan(self.change(request))

    def apply(self, plan: Plan, confirm: str | None, progress: Progress) -> Outcome:
        from opskit.changes import ChangeNotApplied
        from opskit.errors import RefusedError

        engine = self._engine(progress)
        try:
            result = engine.apply(plan, confirm=confirm)
        except ChangeNotApplied as failed:
            return Outcome(failed.result.outcome, failed.result.detail, plan.id)
        except RefusedError as refused:
            return Outcome("refused", str(refused), plan.id)
        except OpskitError as error:
            return Outcome("failed", str(error), plan.id)
        return Outcome(result.outcome, result.detail, plan.id)

    def change(self, request: ActionRequest) -> Change:
        """The library's change object for what the user asked."""
        env, params = request.env, request.params
        service = self._service_name(request)
        kind = request.kind
        if kind is ActionKind.scale:
            from opskit.changes.service_changes import ScaleChange

            return ScaleChange(env, service, int(params["count"]))
        if kind is ActionKind.restart:
            from opskit.changes.service_changes import RestartChange

            return RestartChange(env, service)
        if kind is ActionKind.rollback:
            from opskit.changes.service_changes import RollbackChange

            revision = params.get("revision")
            return RollbackChange(env, service, int(revision) if revision else None)
        if kind is ActionKind.deploy:
            from opskit.changes.deploy import DeployChange

            return DeployChange(env, (service,), (str(params["tag"]),))
        if kind is ActionKind.stop_task:
            from opskit.changes.stop_task import StopTaskChange

            who = (self._workspace.user if self._workspace else None) or self.user or "opskit"
            return StopTaskChange(
                env, request.cluster, str(params["task"]), f"stopped with opskit tui by {who}"
            )
        if kind is ActionKind.batch:
            from opskit.changes.batch import BatchChange

            count = params.get("count")
            services = tuple(str(s) for s in params["services"])
            number = int(count) if count is not None else None
            return BatchChange(env, str(params["action"]), services, number)
        if kind is ActionKind.draining:
            from opskit.changes.draining import DrainingChange

            return DrainingChange(env, int(params["seconds"]))
        if kind is ActionKind.promote:
            from opskit.changes.promote import PromoteChange

            return PromoteChange(str(params["source"]), env, (service,))
        raise UsageError(f"unknown change '{kind}'")

    def _service_name(self, request: ActionRequest) -> str:
        """The catalog name when the catalog places it in this cluster, else CLUSTER/NAME."""
        known = self.config.services.get(request.service)
        if not request.cluster or (
            known is not None and self.config.cluster_name(known.cluster) == request.cluster
        ):
            return request.service
        return f"{request.cluster}/{request.service}"


def warm_spend(config_path: str, user: str | None) -> dict[str, float]:
    """Build this month's cost report so the spend cache is warm (run in a child process:
    ``python -m tui.library CONFIG USER`` prints the figures as JSON)."""
    from opskit.costs import refresh_month_to_date
    from opskit.workspace import open_workspace

    return refresh_month_to_date(open_workspace(config_path, user=user or None, front_end="tui"))


if __name__ == "__main__":
    try:
        print(json.dumps(warm_spend(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)))
    except OpskitError as error:
        sys.exit(f"opskit: {error}")
