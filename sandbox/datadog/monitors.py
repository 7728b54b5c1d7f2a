"""The sandbox Datadog's monitor store: the rules the real server applies, and its drifts.

Like Datadog, it refuses a metric monitor whose query does not parse, whose critical
threshold differs from the query's, or whose warning is on the wrong side of critical; and
it hands monitors back a little changed: "metric alert" is stored as "query alert", the
message is trimmed, thresholds (and the query's threshold) come back as floats (``85.0``).
opskit's plan must normalise these away; the sandbox keeps them so that it is tested.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import threading
from collections.abc import Mapping
from typing import Any

TYPE_ALIASES = {"metric alert": "query alert"}
METRIC_TYPES = {"metric alert", "query alert"}
_QUERY = re.compile(
    r"^(?P<eval>\w+)\(last_\d+[mhdw]\):(?P<expr>.+?)\s*(?P<cmp><=|>=|<|>)\s*"
    r"(?P<num>-?\d+(?:\.\d+)?)$",
    re.DOTALL,
)
CREATOR = {
    "email": "sandbox@opskit.invalid",
    "handle": "sandbox@opskit.invalid",
    "name": "opskit sandbox",
}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_rules(monitor: Mapping[str, Any]) -> list[str]:
    """What Datadog would reject in a complete monitor body (empty: acceptable)."""
    errors = []
    kind = str(monitor.get("type", ""))
    query = str(monitor.get("query", "")).strip()
    if not query:
        errors.append("The parameter 'query' is required")
    thresholds = (monitor.get("options") or {}).get("thresholds") or {}
    for tag in monitor.get("tags") or []:
        if len(str(tag)) > 200 or " " in str(tag).strip():
            errors.append(f"Invalid tag '{tag}'")
    if kind not in METRIC_TYPES:
        return errors
    match = _QUERY.match(query)
    if match is None:
        return [*errors, f"The value provided for parameter 'query' is invalid: {query}"]
    if match["eval"] not in {"avg", "max", "min", "sum"}:
        errors.append(f"Unknown time aggregator '{match['eval']}' in query")
    query_threshold = float(match["num"])
    critical = thresholds.get("critical")
    if critical is None:
        errors.append("Alert threshold (critical) is required for metric monitors")
    elif float(critical) != query_threshold:
        errors.append(
            f"Alert threshold ({float(critical)}) does not match that used in the query "
            f"({query_threshold})."
        )
    warning = thresholds.get("warning")
    if warning is not None and critical is not None:
        below = match["cmp"].startswith("<")
        if (below and float(warning) <= float(critical)) or (
            not below and float(warning) >= float(critical)
        ):
            side = "greater" if below else "less"
            errors.append(
                f"Warning threshold ({float(warning)}) must be {side} than the "
                f"alert threshold ({float(critical)}) for comparator {match['cmp']}."
            )
    return errors


def _render_query(query: str) -> str:
    """The query as Datadog returns it: single spaces, the threshold as a float."""
    text = re.sub(r"\s+", " ", query.strip())
    match = _QUERY.match(text)
    if match is None:
        return text
    head = text[: match.start("cmp")].rstrip()
    return f"{head} {match['cmp']} {float(match['num'])!r}"


def _normalise(monitor: dict[str, Any]) -> dict[str, Any]:
    kind = str(monitor.get("type", ""))
    monitor["type"] = TYPE_ALIASES.get(kind, kind)
    monitor["message"] = str(monitor.get("message", "")).strip()
    monitor["name"] = str(monitor.get("name", "")).strip()
    monitor["tags"] = [str(t) for t in monitor.get("tags") or []]
    options = dict(monitor.get("options") or {})
    options["thresholds"] = {
        k: float(v) for k, v in (options.get("thresholds") or {}).items() if v is not None
    }
    options.setdefault("notify_no_data", False)
    options.setdefault("include_tags", True)
    options.setdefault("notify_audit", False)
    monitor["options"] = options
    if monitor["type"] in METRIC_TYPES:
        monitor["query"] = _render_query(str(monitor.get("query", "")))
    monitor.setdefault("priority", None)
    return monitor


class MonitorStore:
    """Monitors by id, safe to use from the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._monitors: dict[int, dict[str, Any]] = {}
        self._next_id = 1000

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            now = _now()
            monitor = _normalise(dict(body))
            monitor.update(
                id=self._next_id,
                created=now,
                modified=now,
                creator=CREATOR,
                overall_state="No Data",
                multi=False,
                deleted=None,
                restricted_roles=None,
            )
            self._monitors[monitor["id"]] = monitor
            return dict(monitor)

    def dump(self) -> dict[str, Any]:
        """Every monitor and the next id, for the saved estate (``sandbox.persist``)."""
        with self._lock:
            return {"monitors": copy.deepcopy(self._monitors), "next_id": self._next_id}

    def load(self, saved: Mapping[str, Any]) -> None:
        """Put back what ``dump`` returned (monitor ids keep counting from where they were)."""
        with self._lock:
            self._monitors = {int(k): dict(v) for k, v in saved["monitors"].items()}
            self._next_id = int(saved["next_id"])

    def get(self, monitor_id: int) -> dict[str, Any] | None:
        with self._lock:
            found = self._monitors.get(monitor_id)
        return _without_search_fields(_shown(found)) if found else None

    def merged(self, monitor_id: int, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """What the monitor would be after an update with ``body`` (not stored)."""
        current = self.get(monitor_id)
        if current is None:
            return None
        return {**current, **body}

    def update(self, monitor_id: int, body: Mapping[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            current = self._monitors.get(monitor_id)
            if current is None:
                return None
            updated = _normalise({**current, **body})
            updated["modified"] = _now()
            self._monitors[monitor_id] = updated
            return dict(updated)

    def delete(self, monitor_id: int) -> bool:
        with self._lock:
            return self._monitors.pop(monitor_id, None) is not None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            found = [m for _, m in sorted(self._monitors.items())]
        return [_shown(m) for m in found]

    def listed(self, args: Mapping[str, str]) -> list[dict[str, Any]]:
        """GET /api/v1/monitor: filters name, tags (query scope), monitor_tags; paging."""
        found = self.all()
        if args.get("name"):
            found = [m for m in found if args["name"].lower() in m["name"].lower()]
        for tag in filter(None, (t.strip() for t in args.get("monitor_tags", "").split(","))):
            found = [m for m in found if tag in m["tags"]]
        for tag in filter(None, (t.strip() for t in args.get("tags", "").split(","))):
            found = [m for m in found if tag in _scope_tags(str(m.get("query", "")))]
        if args.get("id_offset"):
            found = [m for m in found if m["id"] > int(args["id_offset"])]
        if "page" in args:
            size = int(args.get("page_size") or 100)
            page = int(args["page"])
            found = found[page * size : (page + 1) * size]
        return [_without_search_fields(m) for m in found]

    def search(self, text: str, page: int, per_page: int) -> dict[str, Any]:
        """GET /api/v1/monitor/search: ``tag:"k:v"``, ``type:x``, ``id:n`` and name words."""
        found = self.all()
        for term in re.findall(r'(\w+:"[^"]*"|\S+)', text or ""):
            key, sep, value = term.partition(":")
            value = value.strip('"')
            if sep and key == "tag":
                found = [m for m in found if value in m["tags"]]
            elif sep and key == "type":
                found = [m for m in found if value in m["type"]]
            elif sep and key == "id":
                found = [m for m in found if str(m["id"]) == value]
            else:
                found = [m for m in found if term.lower() in m["name"].lower()]
        total = len(found)
        chunk = found[page * per_page : (page + 1) * per_page]
        return {
            "monitors": [_search_result(m) for m in chunk],
            "metadata": {
                "page": page,
                "per_page": per_page,
                "total_count": total,
                "page_count": -(-total // per_page) if per_page else 0,
            },
        }


def _shown(monitor: Mapping[str, Any]) -> dict[str, Any]:
    """A stored monitor as the API shows it: its state evaluated now (GET bodies carry
    ``overall_state`` and ``overall_state_modified``; search results ``last_triggered_ts``)."""
    from sandbox.datadog.states import evaluated

    return evaluated(monitor)


def _without_search_fields(monitor: dict[str, Any]) -> dict[str, Any]:
    monitor.pop("last_triggered_ts", None)
    return monitor


def _scope_tags(query: str) -> set[str]:
    return {t.strip() for scope in re.findall(r"\{([^}]*)\}", query) for t in scope.split(",")}


def _search_result(monitor: Mapping[str, Any]) -> dict[str, Any]:
    query = str(monitor.get("query", ""))
    return {
        "id": monitor["id"],
        "name": monitor["name"],
        "query": query,
        "tags": monitor["tags"],
        "type": monitor["type"],
        "status": monitor["overall_state"],
        "classification": "metric",
        "creator": {k: CREATOR[k] for k in ("handle", "name")},
        "metrics": sorted(set(re.findall(r"\w+:([\w.]+)\{", query))),
        "scopes": sorted(_scope_tags(query)),
        "notifications": [],
        "org_id": 1,
        "last_triggered_ts": monitor.get("last_triggered_ts"),
    }
