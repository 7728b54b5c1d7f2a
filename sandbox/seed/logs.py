"""Container logs as the awslogs driver ships them to CloudWatch Logs.

One log group per service, ``/ecs/<service>`` (30 days' retention); one stream per task
and container, ``ecs/<container>/<task id>`` (``awslogs-stream-prefix`` ``ecs``); one log
event per line. What the lines say: start-up (version, non-secret settings, listening
port), requests for services with a port, jobs for workers, occasional warnings, the
crash-looping service's stack trace or out-of-memory warning before it dies, and the
fatal configuration error of a ``:broken`` image. Secret values never appear.

Streams keep their last ``KEEP_EVENTS`` events and a group its last ``KEEP_STREAMS``
streams, so a sandbox left running for days holds bounded memory.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.seed.context import backend
from sandbox.seed.plan import EnvPlan

STREAM_PREFIX = "ecs"
RETENTION_DAYS = 30
KEEP_EVENTS = 400
KEEP_STREAMS = 60
PATHS = ("/v1/orders", "/v1/orders/{n}", "/v1/search", "/v2/users/{n}", "/v1/catalog/{n}",
         "/v1/quotes", "/static/app.{n}.js", "/v1/events")  # fmt: skip
METHODS = ("GET", "GET", "GET", "GET", "POST", "PUT")
WARNINGS = (
    "WARN  [pool] connection pool at {p}% ({u}/40), waited {ms}ms for a connection",
    "WARN  [http] slow request POST /v1/search 200 {ms}ms",
    "WARN  [cache] {u} cache misses in the last 10s, falling back to the database",
    "WARN  [retry] upstream 503 from payments, retry 1/3 in {ms}ms",
)


def stream_name(container: str, task_id: str, prefix: str = STREAM_PREFIX) -> str:
    return f"{prefix}/{container}/{task_id}"


@dataclass(frozen=True)
class LogSource:
    """What a container's log lines are made of, read from its task definition."""

    name: str
    tag: str
    group: str
    prefix: str
    container: str
    port: int | None = None
    health_check: str | None = None
    memory: int = 512
    settings: dict[str, str] = field(default_factory=dict)  # non-secret environment only
    secret_names: frozenset[str] = frozenset()

    def stream(self, task_id: str) -> str:
        return stream_name(self.container, task_id, self.prefix)


def log_source(task_definition: Any, secret_names: frozenset[str]) -> LogSource:
    """The LogSource of a task definition's first container (secret values left out)."""
    container = task_definition.container_definitions[0]
    options = (container.get("logConfiguration") or {}).get("options", {})
    ports = container.get("portMappings") or []
    health = " ".join((container.get("healthCheck") or {}).get("command") or [])
    path = re.search(r"localhost:\d+(/\S*)", health)
    environment = {e["name"]: e["value"] for e in container.get("environment") or []}
    return LogSource(
        name=task_definition.family,
        tag=str(container.get("image", "")).rsplit(":", 1)[-1],
        group=options.get("awslogs-group", f"/ecs/{task_definition.family}"),
        prefix=options.get("awslogs-stream-prefix", STREAM_PREFIX),
        container=container.get("name", task_definition.family),
        port=int(ports[0]["containerPort"]) if ports else None,
        health_check=path.group(1) if path else None,
        memory=int(container.get("memory") or task_definition.memory or 512),
        settings={k: v for k, v in environment.items() if k not in secret_names},
        secret_names=frozenset(k for k in environment if k in secret_names),
    )


def create_log_groups(plan: EnvPlan) -> None:
    """One group per service of the plan (in moto's backend)."""
    logs = backend("logs", plan.account_id, plan.region)
    for service in plan.services:
        if service.log_group not in logs.groups:
            logs.create_log_group(
                service.log_group,
                {"environment": plan.name, "service": service.name},
                RetentionInDays=RETENTION_DAYS,
            )


def write(logs: Any, group: str, stream: str, lines: list[tuple[float, str]]) -> None:
    """Append ``(epoch seconds, line)`` events to a stream, creating what is missing."""
    log_group = logs.groups.get(group)
    if log_group is None or not lines:
        return
    log_stream = log_group.streams.get(stream)
    if log_stream is None:
        from moto.logs.models import LogStream

        streams = dict(log_group.streams)
        if len(streams) >= KEEP_STREAMS:
            oldest = sorted(streams, key=lambda name: streams[name].creation_time)
            for name in oldest[: len(streams) - KEEP_STREAMS + 1]:
                streams.pop(name)
        log_stream = streams[stream] = LogStream(log_group, stream)
        log_group.streams = streams
    log_stream.put_log_events(
        [{"timestamp": int(when * 1000), "message": line} for when, line in lines]
    )
    if len(log_stream.events) > KEEP_EVENTS + KEEP_EVENTS // 4:
        log_stream.events = log_stream.events[-KEEP_EVENTS:]


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def startup_lines(service: Any, when: float, broken: bool) -> list[tuple[float, str]]:
    """What a container prints while it starts (``service``: a LogSource)."""
    at = _stamp(when)
    lines = [f"{at} INFO  starting {service.name} {service.tag} (pid 1)"]
    if broken:
        lines += [
            f"{at} ERROR failed to load configuration: /app/config/production.yaml: "
            "no such file or directory",
            f"{at} FATAL {service.name} cannot start, exiting with status 1",
        ]
        return [(when + i * 0.01, line) for i, line in enumerate(lines)]
    settings = " ".join(f"{k}={v}" for k, v in sorted(service.settings.items()))
    hidden = (
        f" ({len(service.secret_names)} secret settings not shown)" if service.secret_names else ""
    )
    lines.append(f"{at} INFO  settings: {settings}{hidden}")
    if service.port is not None:
        lines += [
            f"{at} INFO  connected to the database (pool size 40)",
            f"{at} INFO  listening on 0.0.0.0:{service.port}",
            f"{at} INFO  health check {service.health_check or '/'} ready",
        ]
    else:
        lines.append(f"{at} INFO  worker started, polling for jobs")
    return [(when + i * 0.05, line) for i, line in enumerate(lines)]


def activity_line(service: Any, when: float, rng: random.Random) -> str:
    """One line of normal work: a request, a job, or now and then a warning."""
    at = _stamp(when)
    if rng.random() < 0.06:
        template = rng.choice(WARNINGS)
        return f"{at} " + template.format(
            p=rng.randint(80, 97), u=rng.randint(30, 400), ms=rng.randint(120, 2400)
        )
    if service.port is None:
        return (
            f"{at} INFO  [worker] job {rng.randint(10000, 99999)} done in {rng.randint(20, 900)}ms"
        )
    path = rng.choice(PATHS).format(n=rng.randint(1, 99999))
    status = rng.choices((200, 201, 204, 304, 404, 500), (70, 8, 5, 8, 7, 2))[0]
    level = "ERROR" if status >= 500 else "INFO "
    return (
        f"{at} {level} [http] {rng.choice(METHODS)} {path} {status} {rng.randint(2, 180)}ms "
        f"req={rng.getrandbits(32):08x}"
    )


def crash_lines(service: Any, when: float, out_of_memory: bool) -> list[tuple[float, str]]:
    """The last words of a crash-looping container."""
    at = _stamp(when)
    if out_of_memory:
        limit = service.memory
        return [
            (
                when,
                f"{at} WARN  memory usage at 96% of the container limit "
                f"({limit * 96 // 100} MiB of {limit} MiB)",
            ),
            (when + 0.5, f"{at} WARN  partner batch holds 48211 records in memory"),
        ]
    timeout = service.settings.get("PARTNER_TIMEOUT_S", "15")
    trace = [
        f"{at} ERROR unhandled exception in partner sync loop",
        "Traceback (most recent call last):",
        f'  File "/app/{service.name}/sync.py", line 212, in poll_partner',
        "    batch = client.fetch(cursor, timeout=PARTNER_TIMEOUT_S)",
        f'  File "/app/{service.name}/client.py", line 88, in fetch',
        '    raise PartnerTimeout(f"partner did not answer in {timeout}s")',
        f"{service.name}.client.PartnerTimeout: partner did not answer in {timeout}s",
    ]
    return [(when + i * 0.001, line) for i, line in enumerate(trace)]


def sidecar_startup(
    task_definition: Any, task_id: str, when: float
) -> list[tuple[str, str, list[tuple[float, str]]]]:
    """(group, stream, lines) of each awslogs container after the first (the sidecars): the
    line it prints when it starts."""
    out = []
    for container in task_definition.container_definitions[1:]:
        options = (container.get("logConfiguration") or {}).get("options") or {}
        if "awslogs-group" not in options:
            continue
        name = str(container.get("name", ""))
        image = str(container.get("image", ""))
        stream = stream_name(name, task_id, options.get("awslogs-stream-prefix", STREAM_PREFIX))
        line = f"{_stamp(when)} INFO  {name} starting ({image})"
        out.append((options["awslogs-group"], stream, [(when, line)]))
    return out


def now() -> float:
    return time.time()


def seed_logs(plan: EnvPlan, ecs: Any) -> int:
    """Start-up lines and a few minutes of activity for every running task; task count."""
    logs = backend("logs", plan.account_id, plan.region)
    secrets = {s.name: frozenset(s.secrets) for s in plan.services}
    rng = random.Random(f"logs-{plan.name}")
    sources: dict[str, LogSource] = {}
    current = now()
    count = 0
    for cluster_tasks in list(ecs.tasks.values()):
        for task in list(cluster_tasks.values()):
            if task.last_status != "RUNNING" or not task.group.startswith("service:"):
                continue
            source = sources.get(task.task_definition_arn)
            if source is None:
                definition = ecs.describe_task_definition(task.task_definition_arn)
                source = sources[task.task_definition_arn] = log_source(
                    definition, secrets.get(task.group.split(":", 1)[1], frozenset())
                )
            started = task.started_at.replace(tzinfo=UTC).timestamp()
            lines = startup_lines(source, started, broken=False)
            recent = sorted(current - rng.uniform(0, 300) for _ in range(rng.randint(3, 8)))
            lines += [(when, activity_line(source, when, rng)) for when in recent]
            write(logs, source.group, source.stream(task.id), lines)
            count += 1
    return count
