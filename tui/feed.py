"""The change feed's items: journal changes and ECS service events, newest first.

Pure: built from the app's estate and journal entries, so it is tested without a screen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from opskit.audit import ChangeEntry
from tui.state import EstateView

MIN_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)
_TARGET_GROUP = re.compile(r"\(target-group arn:[^)]*?:targetgroup/([^/)]+)/[^)]*\)")
_TASK = re.compile(r"\(task ([0-9a-f]{8})[0-9a-f-]*\)")


def tidy_event(message: str, service: str) -> str:
    """An ECS event, shorter: no ``(service X)`` prefix, target groups by name, short ids."""
    text = message.removeprefix(f"(service {service}) ")
    text = _TARGET_GROUP.sub(r"(target group \1)", text)
    return _TASK.sub(r"(task \1)", text)


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed."""

    at: dt.datetime | None
    env: str
    kind: str  # "change" | "event"
    subject: str  # the change kind, or the service
    text: str
    status: str = ""  # a change's outcome (applied, failed, …, incomplete)
    who: str = ""
    key: str = ""


def parse_time(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def change_items(entries: Sequence[ChangeEntry]) -> list[FeedItem]:
    items = []
    for entry in entries:
        row = entry.summary_row()
        at = entry.outcome.get("at") if entry.outcome else None
        detail = str(row.get("detail") or "")
        summary = str(row.get("summary") or "")
        items.append(
            FeedItem(
                at=parse_time(str(at or row["at"])),
                env=str(row["env"]),
                kind="change",
                subject=str(row["change"]),
                text=f"{summary}: {detail}" if detail else summary,
                status=entry.status,
                who=str(row.get("user") or ""),
                key=f"change:{entry.change_id}",
            )
        )
    return items


def event_items(view: EstateView, per_service: int = 10) -> list[FeedItem]:
    items = []
    seen: Counter[str] = Counter()
    for status in view.envs:
        if status.state is None:
            continue
        for _, service in status.state.services():
            for index, event in enumerate(service.events[:per_service]):
                stamp = event.at.isoformat() if event.at else str(index)
                key = f"event:{status.name}:{service.name}:{stamp}:{event.message}"
                seen[key] += 1  # ECS repeats identical events within one millisecond
                items.append(
                    FeedItem(
                        at=event.at,
                        env=status.name,
                        kind="event",
                        subject=service.name,
                        text=tidy_event(event.message, service.name),
                        key=f"{key}#{seen[key]}",
                    )
                )
    return items


def feed_items(
    view: EstateView, entries: Sequence[ChangeEntry], limit: int = 400
) -> list[FeedItem]:
    """Changes and events together, newest first, at most ``limit``."""
    items = change_items(entries) + event_items(view)
    items.sort(key=lambda i: (i.at or MIN_TIME, i.kind == "change"), reverse=True)
    return items[:limit]
