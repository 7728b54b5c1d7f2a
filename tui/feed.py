"""The change feed's items: journal changes and ECS service events, newest first.

The journal's changes (yours and your team's) of the last day are pinned above the
events, so a busy estate's events never push them off screen; a crash-looping service's
repeating events fold into one line each (``×12 since 14:03``). Pure: built from the app's
estate and journal entries, so it is tested without a screen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from opskit.audit import ChangeEntry
from opskit.estate import ServiceEvent
from tui.format import clock
from tui.state import EstateView

MIN_TIME = dt.datetime.min.replace(tzinfo=dt.UTC)
_TARGET_GROUP = re.compile(r"\(target-group arn:[^)]*?:targetgroup/([^/)]+)/[^)]*\)")
_TASK = re.compile(r"\(task ([0-9a-f]{8})[0-9a-f-]*\)")
_SHAPE = re.compile(r"\(task [^)]*\)|\d+")
PIN = dt.timedelta(hours=24)  # changes this recent stay above the events


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
    pinned: bool = False


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
            if service.health.crash_looping:
                items += folded_events(status.name, service.name, service.events)
                continue
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


def folded_events(env: str, service: str, events: Sequence[ServiceEvent]) -> list[FeedItem]:
    """One line per kind of event (task ids and counts aside), the newest's text, with how
    many times it happened since when."""
    groups: dict[str, list[ServiceEvent]] = {}
    for event in events:  # newest first, as ECS lists them
        text = tidy_event(event.message, service)
        groups.setdefault(_SHAPE.sub("#", text), []).append(event)
    items = []
    for shape, group in groups.items():
        newest, oldest = group[0], group[-1]
        text = tidy_event(newest.message, service)
        if len(group) > 1:
            text += f"  ×{len(group)} since {clock(oldest.at)}"
        items.append(
            FeedItem(
                at=newest.at,
                env=env,
                kind="event",
                subject=service,
                text=text,
                status="crash loop" if len(group) > 1 else "",
                key=f"fold:{env}:{service}:{shape}",
            )
        )
    return items


def feed_items(
    view: EstateView,
    entries: Sequence[ChangeEntry],
    limit: int = 400,
    now: dt.datetime | None = None,
) -> list[FeedItem]:
    """Changes and events, newest first, at most ``limit``; changes of the day before
    ``now`` pinned on top (when ``now`` is given)."""
    changes = change_items(entries)
    if now is not None:
        changes = [replace(c, pinned=c.at is not None and now - c.at <= PIN) for c in changes]
    items = changes + event_items(view)
    items.sort(key=lambda i: (i.pinned, i.at or MIN_TIME, i.kind == "change"), reverse=True)
    return items[:limit]


def spans_days(items: Sequence[FeedItem]) -> bool:
    """Whether the items fall on more than one UTC day (then times show their date)."""
    return len({i.at.astimezone(dt.UTC).date() for i in items if i.at}) > 1
