"""The change engine's Datadog notifier: one change event per journaled outcome.

Each event is built from the journal's outcome record (so it says exactly what the journal
says, secrets already redacted): tagged with the environment, the services touched, the
account, the actor and the change, carrying every diff before -> after and the record's
change id, seq and hash. Posting must never fail or hold up a change: a failed post puts
the event in the outbox (``opskit events flush`` sends it later) and only warns; after a
successful post, a few events still waiting are sent too.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from opskit.changes.plan import Diff, describe
from opskit.changes.protocol import ChangeNotice
from opskit.config.model import Config
from opskit.datadog.client import DatadogClient
from opskit.datadog.events import ChangeEvent, post_change_event
from opskit.datadog.outbox import Outbox
from opskit.errors import OpskitError

log = logging.getLogger(__name__)
_SERVICE_RESOURCE = re.compile(r"/ecs/service/[^/]+/([^/#]+)")
_TARGET_GROUP_RESOURCE = re.compile(r"/elbv2/targetgroup/([^/#]+)")
FLUSH_AFTER_SUCCESS = 20
VALUES_MAX_CHARS = 16_000  # before/after sent in full up to this size; the journal has all


def services_of(record: Mapping[str, Any], config: Config) -> list[str]:
    """The services a change touched: named in its parameters (``service``, ``services``,
    a traffic shift's ``name``), or found in its resources (ECS services; target groups
    named ``<env>-<service>``)."""
    params, env = record.get("params") or {}, record["where"]["env"]
    found: list[str] = []
    for key in ("service", "services"):
        value = params.get(key)
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list | tuple):
            found.extend(str(v).rsplit("/", 1)[-1] for v in values)  # CLUSTER/NAME -> NAME
    shift = config.traffic.get(str(params.get("name", "")))
    if record.get("change") == "traffic-shift" and shift is not None:
        found.append(shift.service)
    for diff in record["what"]["diffs"]:
        if match := _SERVICE_RESOURCE.search(diff["resource"]):
            found.append(match[1])
        elif match := _TARGET_GROUP_RESOURCE.search(diff["resource"]):
            name = match[1].removeprefix(f"{env}-")
            found += [name] if name in config.services else []
    return sorted(set(found))


def _capped(values: dict[str, Any], change_id: str) -> dict[str, Any]:
    """``values`` as sent: whole if small, else the first entries and a pointer to the journal."""
    out: dict[str, Any] = {}
    size = 0
    for index, (key, value) in enumerate(values.items()):
        size += len(json.dumps(value, default=str)) + len(key)
        if size > VALUES_MAX_CHARS:
            out["…"] = f"{len(values) - index} more: `opskit audit show {change_id}`"
            break
        out[key] = value
    return out


def change_event(record: Mapping[str, Any], config: Config) -> ChangeEvent:
    """The Datadog change event for one journal outcome record (already redacted)."""
    where, who, how = record["where"], record["who"], record.get("how") or {}
    env, account, change_id = where["env"], where["account_id"], record["change_id"]
    diffs = [
        Diff(d["resource"], d["field"], d["before"], d["after"]) for d in record["what"]["diffs"]
    ]
    services = services_of(record, config)
    outcome, detail, user = record["outcome"], record.get("detail") or "", who["user"]
    tags = [
        f"env:{env}",
        f"account:{account}",
        f"aws_account:{account}",
        f"actor:{user}",
        f"change:{record['change']}",
        f"outcome:{outcome}",
        f"opskit-change:{change_id}",
        "source:opskit",
        *(f"service:{s}" for s in services),
    ]
    runbook = how.get("runbook") or {}
    via = str(how.get("front_end", "")) + (f" (runbook {runbook['name']})" if runbook else "")
    digest = str(record.get("hash", ""))
    lines = [
        str(record["summary"]),
        f"Outcome: {outcome}" + (f" — {detail}" if detail else ""),
        f"By {user} via {via}, in {env} (account {account}, {where['region']}).",
        f"Journal: change {change_id}, record {record.get('seq')} ({digest[:16]}).",
        "",
        *describe(diffs),
    ]
    return ChangeEvent(
        title=f"opskit {record['change']} {outcome} in {env}: {record['summary']}",
        message="\n".join(lines),
        tags=tags,
        resource=",".join(services) or env,
        author=user,
        outcome=outcome,
        record_id=change_id,
        before=_capped({d.key: d.before for d in diffs}, change_id),
        after=_capped({d.key: d.after for d in diffs}, change_id),
        journal={"change_id": change_id, "seq": record.get("seq"), "hash": digest},
    )


class DatadogNotifier:
    """Posts a change event for every outcome; failures go to the outbox, never up."""

    def __init__(
        self,
        config: Config,
        state_dir: Path,
        *,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.settings = config.datadog
        self.outbox = Outbox(state_dir)
        self._warn = warn or log.warning
        self._client: DatadogClient | None = None

    def notify(self, notice: ChangeNotice) -> None:
        """Post the event for ``notice`` (or keep it in the outbox). Never raises."""
        try:
            event = change_event(notice.record, self.config)
        except Exception as error:  # a notifier must never fail the change
            self._warn(f"Datadog change event not built ({type(error).__name__}: {error})")
            return
        try:
            client = self.client()
            post_change_event(client, event)
        except OpskitError as error:
            self._keep(event, str(error))
            return
        except Exception as error:
            self._keep(event, f"{type(error).__name__}: {error}")
            return
        if self.outbox.pending():
            self.outbox.flush(lambda e: post_change_event(client, e), limit=FLUSH_AFTER_SUCCESS)

    def client(self) -> DatadogClient:
        """The Datadog client (built on first use: keys are read only when needed)."""
        if self._client is None:
            self._client = DatadogClient.from_settings(self.settings)
        return self._client

    def _keep(self, event: ChangeEvent, why: str) -> None:
        try:
            path = self.outbox.put(event)
        except OSError as error:
            self._warn(f"Datadog change event lost ({why}); outbox unwritable: {error}")
            return
        self._warn(
            f"Datadog change event kept in the outbox ({why}); "
            f"`opskit events flush` sends it ({path.name})"
        )


def notifiers_for(
    config: Config, state_dir: Path, warn: Callable[[str], None] | None = None
) -> list[DatadogNotifier]:
    """The Datadog notifier for the engine when ``[datadog]`` is enabled, else none."""
    return [DatadogNotifier(config, state_dir, warn=warn)] if config.datadog.enabled else []
