"""Find the line of a key path in a TOML text, so config errors can say where.

tomllib gives values but not positions. This walks the text once, tracking the current
table header, and records the first line of each key path it sees: table headers
(``[services.api]``), plain and dotted keys (``size.prod = …``) and the keys of inline
tables on the same line. It is a locator, not a parser: for any path it cannot place, it
falls back to the nearest enclosing path it knows.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"))*)\s*="
)
_INLINE_KEY = re.compile(r"[{,]\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\")(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=")


def _split_key(key: str) -> tuple[str, ...]:
    parts = [p.strip().strip('"') for p in re.split(r"\.(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", key)]
    return tuple(p for p in parts if p)


class LineIndex:
    """Key path -> 1-based line number, built from the raw TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group(1))
                self._remember(table, number)
                continue
            key = _KEY.match(line)
            if not key:
                continue
            path = table + _split_key(key.group(1))
            self._remember(path, number)
            value = line[key.end() :]
            for inner in _INLINE_KEY.finditer(value):
                self._remember(path + _split_key(inner.group(1)), number)

    def _remember(self, path: tuple[str, ...], number: int) -> None:
        for i in range(1, len(path) + 1):
            self._lines.setdefault(path[:i], number)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """The line where ``path`` (or its nearest known ancestor) is written."""
        keys = tuple(str(p) for p in path if not isinstance(p, int))
        while keys:
            if keys in self._lines:
                return self._lines[keys]
            keys = keys[:-1]
        return None


def last_value_line(text: str) -> int:
    """The line of the last key or table header: where a value left open at the end of the
    file (an unclosed array or string) starts. 1 for a text without any."""
    last = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADER.match(line) or _KEY.match(line):
            last = number
    return last
