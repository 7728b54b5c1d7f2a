"""How ``monitors plan`` words a step: what a monitor to create will watch and whom it tells,
and for an update the whole changed part of a long field (a word diff, ``[-old-]{+new+}``
as ``git diff --word-diff`` writes it), never both sides cut to one prefix.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from opskit.datadog.policy import fmt_number

DIFFED = ("query", "message")  # long text: show the words that changed, in context
_TOKENS = re.compile(r"\s+|[A-Za-z0-9_.:*-]+|.")
_SECTION = re.compile(r"\{\{#(is_warning|is_alert)\}\}(.*?)\{\{/\1\}\}", re.S)
_HANDLE = re.compile(r"@[\w.+-]+")


def word_diff(old: str, new: str) -> str:
    """``old`` → ``new`` as one line: unchanged words kept, removed ``[-…-]``, added ``{+…+}``."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + "".join(b[j1:j2]) + "+}")
    return _one_line("".join(out))


def notify_targets(message: str) -> dict[str, list[str]]:
    """Who a monitor's message notifies: ``{"warning": [...], "critical": [...]}`` from its
    ``{{#is_warning}}``/``{{#is_alert}}`` sections, other handles under ``"always"``."""
    found: dict[str, list[str]] = {}
    for section, body in _SECTION.findall(message):
        key = "warning" if section == "is_warning" else "critical"
        found.setdefault(key, []).extend(_HANDLE.findall(body))
    rest = _SECTION.sub("", message)
    always = _HANDLE.findall(rest)
    if always:
        found["always"] = always
    return found


def creation(after: dict[str, Any]) -> list[str]:
    """The lines a monitor to create shows: query, thresholds, notify targets."""
    thresholds = [f"critical {_number(after.get('critical'))}"]
    if after.get("warning") is not None:
        thresholds.append(f"warning {_number(after['warning'])}")
    targets = notify_targets(str(after.get("message", "")))
    notify = "; ".join(f"{k}: {' '.join(v)}" for k, v in targets.items()) or "nobody"
    return [
        f"query: {_one_line(str(after.get('query', '')))}",
        f"thresholds: {', '.join(thresholds)}",
        f"notify: {notify}",
    ]


def change(name: str, before: Any, after: Any) -> str:
    """One changed field: a word diff for long text, ``old -> new`` (whole) for the rest."""
    if name in DIFFED and isinstance(before, str) and isinstance(after, str):
        return f"{name}: {word_diff(before, after)}"
    return f"{name}: {_value(before)} -> {_value(after)}"


def _number(value: Any) -> str:
    return fmt_number(float(value)) if isinstance(value, int | float) else str(value)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return fmt_number(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return _one_line(str(value))


def _one_line(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "⏎")
