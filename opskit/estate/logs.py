"""Container logs of a service (or one task), interleaved by time, optionally followed.

Where logs are comes from the task definition's awslogs options: group
``awslogs-group``, streams ``<awslogs-stream-prefix>/<container>/<task id>``. One
FilterLogEvents read per container covers every task's stream at once (stopped tasks too,
which is where a crash-loop's last words are); lines from all tasks are merged by time.
``--grep`` keeps lines containing the text (plain text, as grep -F).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from opskit.address import locate_task
from opskit.aws.logs import LogsReader
from opskit.errors import UsageError
from opskit.estate.collect import Estate
from opskit.estate.detail import find_service


@dataclass(frozen=True)
class LogSource:
    """Where one container's logs are."""

    container: str
    group: str
    prefix: str  # "<awslogs prefix>/<container>/": every task's stream starts with it
    region: str
    task: str = ""  # only this task's stream

    @property
    def stream(self) -> str:
        return self.prefix + self.task if self.task else ""


@dataclass(frozen=True)
class LogLine:
    at: dt.datetime
    task: str
    container: str
    message: str
    event_id: str


def sources(
    estate: Estate, env: str, service: str, task: str | None = None, container: str | None = None
) -> list[LogSource]:
    """Each awslogs container of the service's current task definition (or only ``container``:
    a sidecar's stream is ``<prefix>/<sidecar>/<task id>``, beside the main container's)."""
    located = find_service(estate, env, service)
    region, raw = located.region, located.raw
    if task:  # any unique prefix of a task id of the service's cluster, as ``ls tasks`` shows
        task = locate_task(
            estate.config,
            lambda where: estate.accounts.client(env, "ecs", region=where),
            env,
            task,
            f"{region}:{located.cluster}",
        ).task
    definition = estate.task_definition(env, raw.get("taskDefinition", ""))
    names = [c.name for c in definition.containers]
    if container is not None and container not in names:
        known = ", ".join(names)
        raise UsageError(f"--container {container}: {service} in {env} has no such container "
                         f"({known})")  # fmt: skip
    found = [
        LogSource(
            container=c.name,
            group=c.log_group,
            prefix="/".join(p for p in (c.log_stream_prefix, c.name) if p) + "/",
            region=c.log_region or region,
            task=task or "",
        )
        for c in definition.containers
        if c.log_group and (container is None or c.name == container)
    ]
    if not found:
        raise UsageError(f"{service} in {env} has no container logging to CloudWatch (awslogs)")
    return found


def read(
    estate: Estate,
    env: str,
    found: list[LogSource],
    *,
    since: dt.timedelta,
    until: dt.datetime | None = None,
    grep: str | None = None,
) -> list[LogLine]:
    """Lines of every source from ``since`` ago, oldest first."""
    start = dt.datetime.now(dt.UTC) - since
    return _fetch(estate, env, found, _ms(start), _ms(until) if until else None, grep)


def follow(
    estate: Estate,
    env: str,
    found: list[LogSource],
    *,
    since: dt.timedelta,
    grep: str | None = None,
    poll_seconds: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[LogLine]:
    """The lines from ``since`` ago, then new lines as they arrive (until the caller stops)."""
    seen: deque[str] = deque(maxlen=10_000)
    known: set[str] = set()
    start = _ms(dt.datetime.now(dt.UTC) - since)
    while True:
        lines = _fetch(estate, env, found, start, None, None)  # grep below: start must advance
        for line in lines:
            if line.event_id in known or (grep is not None and grep not in line.message):
                continue
            if len(seen) == seen.maxlen:
                known.discard(seen[0])
            seen.append(line.event_id)
            known.add(line.event_id)
            yield line
        if lines:  # the same millisecond again: late events with that stamp still arrive
            start = _ms(lines[-1].at)
        sleep(poll_seconds)


def _fetch(
    estate: Estate,
    env: str,
    found: list[LogSource],
    start_ms: int,
    end_ms: int | None,
    grep: str | None,
) -> list[LogLine]:
    def one(source: LogSource) -> list[LogLine]:
        client = estate.accounts.client(env, "logs", region=source.region)
        events = LogsReader(client, env).events(
            source.group,
            streams=[source.stream] if source.task else (),
            stream_prefix=source.prefix,
            start_ms=start_ms,
            end_ms=end_ms,
        )
        return [
            LogLine(
                at=dt.datetime.fromtimestamp(e["timestamp"] / 1000, dt.UTC),
                task=e.get("logStreamName", "").rsplit("/", 1)[-1],
                container=source.container,
                message=e.get("message", "").rstrip("\n"),
                event_id=e.get("eventId", "") or f"{e.get('logStreamName')}:{e['timestamp']}",
            )
            for e in events
            if e.get("logStreamName", "").startswith(source.prefix)  # a shared group's others
            and (grep is None or grep in e.get("message", ""))
        ]

    with ThreadPoolExecutor(max(1, len(found))) as pool:
        lines = [line for part in pool.map(one, found) for line in part]
    lines.sort(key=lambda line: (line.at, line.task, line.event_id))
    return lines


def _ms(at: dt.datetime) -> int:
    return int(at.timestamp() * 1000)


def parse_since(text: str) -> dt.timedelta:
    """``90s``, ``10m``, ``2h``, ``1d`` -> a timedelta (UsageError otherwise)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = text[:-1], text[-1:].lower()
    if unit not in units or not value.isdigit() or int(value) <= 0:
        raise UsageError(f"--since '{text}': use a positive number with s, m, h or d (e.g. 10m)")
    return dt.timedelta(seconds=int(value) * units[unit])
