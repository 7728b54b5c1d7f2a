"""Redaction: secret values never reach a plan, the journal or the screen.

A value is secret when its key (or, in ECS's ``{"name": …, "value": …}`` lists, its name) is
one the config declares secret or looks like one (PASSWORD, TOKEN, SECRET, …), or when it
contains a value already known to be secret. The redactor is applied to whole records, so a
secret that slips into an error message is caught by value as well as by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"
_SECRET_NAME = re.compile(
    r"(?i)(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|signature)"
)


class Redactor:
    """Replaces secret values with ``***`` in any JSON-like structure."""

    def __init__(self, names: Iterable[str] = (), values: Iterable[str] = ()) -> None:
        self._names = {n.upper() for n in names}
        self._values: set[str] = set()
        self.add_values(values)

    def add_values(self, values: Iterable[str]) -> None:
        """Remember secret values seen at run time (e.g. read from a task definition)."""
        self._values.update(v for v in values if len(v) >= 4)

    def is_secret_name(self, name: str) -> bool:
        """True when a variable or key of this name holds a secret."""
        return name.upper() in self._names or bool(_SECRET_NAME.search(name))

    def text(self, value: str) -> str:
        """``value`` with every known secret value inside it replaced."""
        for secret in sorted(self._values, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def __call__(self, data: Any) -> Any:
        """A redacted copy of ``data`` (dicts, lists, tuples, strings, scalars)."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, Mapping):
            return self._mapping(data)
        if isinstance(data, list | tuple):
            return [self(item) for item in data]
        return data

    def _mapping(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        name = data.get("name")
        pair = isinstance(name, str) and "value" in data and self.is_secret_name(name)
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if (pair and key == "value") or (
                isinstance(key, str) and isinstance(value, str) and self.is_secret_name(key)
            ):
                out[key] = REDACTED
            else:
                out[key] = self(value)
        return out
