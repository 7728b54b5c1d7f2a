"""The parameter schema of a runbook, read from its ``parameters`` cell.

Each parameter is one annotated assignment with a comment, as papermill inspects it::

    env: str = "dev"  # where to deploy [required] [allowed: @envs]
    count: int = 2  # desired tasks [min: 0] [max: 100]
    strategy: str = "rolling"  # how [allowed: rolling|all-at-once]
    apply: bool = False  # False: show the plan only; True: apply it through the change engine

The annotation is the type (``str``, ``int``, ``float``, ``bool``, ``list[str]``,
``list[int]``; lists are given comma-separated: ``-p steps=5,25,100``); the
default is the Python literal; the comment is the help text followed by optional tags:

- ``[required]``: the runner needs it given (``--env`` or ``-p``); the default only
  serves a person running the notebook by hand;
- ``[allowed: a|b|c]``: the value (each item, for lists) must be one of these;
- ``[allowed: @envs]`` (or ``@services``, ``@clusters``, ``@traffic``, ``@traffic_sets``,
  ``@access``): one of the names environments.toml defines; ``@services``, ``@traffic`` and
  ``@traffic_sets`` are narrowed to the chosen environment (services that run in it,
  traffic shifts whose record lives in its zone, and those shifts' weighted sets);
- ``[min: N]``, ``[max: N]``: bounds for numbers.

Three names mean the same in every runbook: ``env`` (set with ``--env``), ``apply`` (with
``--apply``) and ``confirm`` (with ``--confirm``). Runbook-wide facts sit in the notebook's
``metadata.opskit``: ``description`` (one line) and ``access``, the access level applying
needs (``deploy`` by default; reading always needs ``read``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opskit.errors import UsageError

TYPES = ("str", "int", "float", "bool", "list[str]", "list[int]")
DYNAMIC = ("@envs", "@services", "@clusters", "@traffic", "@traffic_sets", "@access")
ACCESS_LEVELS = ("read", "deploy", "admin")  # the change engine's ranks
RESERVED = {"env": "--env", "apply": "--apply", "confirm": "--confirm"}
_TAG = re.compile(r"\[(required|allowed:\s*[^\]]+|min:\s*[^\]]+|max:\s*[^\]]+)\]")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


@dataclass(frozen=True)
class Param:
    """One parameter of a runbook: name, type, default, help and its constraints."""

    name: str
    type: str
    default: Any
    help: str = ""
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    @property
    def dynamic(self) -> str | None:
        """The config set (``@envs``…) the value must come from, if any."""
        return self.allowed[0] if len(self.allowed) == 1 and self.allowed[0] in DYNAMIC else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "required": self.required,
            "allowed": list(self.allowed),
            "min": self.minimum,
            "max": self.maximum,
            "help": self.help,
        }

    def convert(self, raw: Any, runbook: str) -> Any:
        """``raw`` (a ``-p`` string, or a Python value) as this parameter's type."""
        where = f"{runbook}: parameter '{self.name}'"
        if self.type.startswith("list["):
            return self._list(raw, where)
        if not isinstance(raw, str):
            return self._check_native(raw, where)
        text = raw.strip()
        if self.type == "bool":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise UsageError(f"{where}: expected true or false, got {raw!r}")
        if self.type == "int":
            try:
                return int(text)
            except ValueError:
                raise UsageError(f"{where}: expected a whole number, got {raw!r}") from None
        if self.type == "float":
            try:
                return float(text)
            except ValueError:
                raise UsageError(f"{where}: expected a number, got {raw!r}") from None
        return raw

    def _list(self, raw: Any, where: str) -> list[Any]:
        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list | tuple):
            raise UsageError(f"{where}: expected values separated by commas, got {raw!r}")
        texts = [i.strip() if isinstance(i, str) else i for i in items]
        values = [i for i in texts if i != ""]
        if self.type == "list[str]":
            if not all(isinstance(v, str) for v in values):
                raise UsageError(f"{where}: expected names separated by commas, got {raw!r}")
            return values
        try:
            return [v if isinstance(v, int) and not isinstance(v, bool) else int(v) for v in values]
        except (TypeError, ValueError):
            raise UsageError(
                f"{where}: expected whole numbers separated by commas, got {raw!r}"
            ) from None

    def _check_native(self, value: Any, where: str) -> Any:
        wanted: dict[str, tuple[type, ...]] = {
            "str": (str,),
            "int": (int,),
            "float": (int, float),
            "bool": (bool,),
        }
        ok = isinstance(value, wanted[self.type]) and (
            self.type == "bool" or not isinstance(value, bool)
        )
        if not ok:
            raise UsageError(f"{where}: expected {self.type}, got {value!r}")
        return float(value) if self.type == "float" else value

    def check_bounds(self, value: Any, runbook: str) -> None:
        """UsageError when a number (or a number in a list) is outside ``[min, max]``."""
        if self.type not in ("int", "float", "list[int]"):
            return
        where = f"{runbook}: parameter '{self.name}'"
        for item in value if isinstance(value, list) else [value]:
            if self.minimum is not None and item < self.minimum:
                raise UsageError(f"{where}: {item} is below the minimum {_num(self.minimum)}")
            if self.maximum is not None and item > self.maximum:
                raise UsageError(f"{where}: {item} is above the maximum {_num(self.maximum)}")


@dataclass(frozen=True)
class RunbookSpec:
    """A runbook: its name, file, description, the access applying needs, its parameters."""

    name: str
    path: str
    title: str
    description: str
    access: str
    params: tuple[Param, ...] = field(default_factory=tuple)

    @property
    def changes(self) -> bool:
        """True when the runbook can change the estate (it has an ``apply`` parameter)."""
        return any(p.name == "apply" for p in self.params)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "path": self.path,
            "access": self.access if self.changes else "read",
            "changes": self.changes,
            "params": [p.to_json() for p in self.params],
        }


def parse_param(name: str, type_name: str, default: str, help_text: str, runbook: str) -> Param:
    """A ``Param`` from papermill's inspection of one assignment (strings as written)."""
    where = f"{runbook}: parameter '{name}'"
    kind = type_name.replace(" ", "")
    if kind not in TYPES:
        raise UsageError(f"{where}: type {type_name!r} is not one of {', '.join(TYPES)}")
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        raise UsageError(f"{where}: default {default!r} is not a literal") from None
    required: bool = False
    allowed: tuple[str, ...] = ()
    bounds: dict[str, float | None] = {"min": None, "max": None}
    for tag in _TAG.findall(help_text):
        key, _, rest = tag.partition(":")
        if key == "required":
            required = True
        elif key == "allowed":
            allowed = tuple(a.strip() for a in rest.split("|") if a.strip())
            unknown = [a for a in allowed if a.startswith("@") and a not in DYNAMIC]
            if unknown or (len(allowed) > 1 and any(a.startswith("@") for a in allowed)):
                raise UsageError(
                    f"{where}: allowed {rest.strip()!r}: use a|b|c or one of {DYNAMIC}"
                )
        else:
            try:
                bounds[key] = float(rest)
            except ValueError:
                raise UsageError(f"{where}: {key} {rest.strip()!r} is not a number") from None
    text = " ".join(_TAG.sub("", help_text).split())
    return Param(name, kind, value, text, required, allowed, bounds["min"], bounds["max"])


def parse_assignments(pairs: Sequence[str], runbook: str) -> dict[str, str]:
    """``-p key=value`` strings as a dict; UsageError for a malformed or repeated key."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", key):
            raise UsageError(f"{runbook}: -p {pair!r}: expected key=value, e.g. -p count=3")
        if key in out:
            raise UsageError(f"{runbook}: parameter '{key}' is given twice")
        if key in RESERVED:
            raise UsageError(f"{runbook}: set '{key}' with {RESERVED[key]}, not -p {key}=…")
        out[key] = value
    return out


def spec_from_inspection(
    name: str,
    path: str,
    inspected: Mapping[str, Mapping[str, Any]],
    metadata: Mapping[str, Any],
    title: str,
) -> RunbookSpec:
    """A ``RunbookSpec`` from ``papermill.inspect_notebook`` output and ``metadata.opskit``."""
    params = tuple(
        parse_param(
            p["name"], str(p["inferred_type_name"]), str(p["default"]), str(p["help"]), name
        )
        for p in inspected.values()
    )
    access = str(metadata.get("access", "deploy"))
    if access not in ACCESS_LEVELS:
        raise UsageError(
            f"metadata.opskit.access {access!r} is not one of {', '.join(ACCESS_LEVELS)}"
        )
    return RunbookSpec(
        name=name,
        path=path,
        title=title,
        description=str(metadata.get("description", "")),
        access=access,
        params=params,
    )


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)
