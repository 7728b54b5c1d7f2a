"""A JSON-protocol response parser that reads lists of flat structures in one pass.

botocore's parser walks the output shape member by member for every list item: an ECS
DescribeServices answer of 10 services carries up to 1,000 events (``id``, ``createdAt``,
``message``), ~6 ms of client CPU per call, and the dashboard makes that call every tick.
A list whose items are structures of scalars only (strings, numbers, booleans, timestamps)
is converted here with a plan made once per shape: the same keys and values botocore's
own ``_handle_structure`` gives (members under their shape names, nulls left out,
timestamps through the session's timestamp parser). Everything else is botocore's.
"""

from __future__ import annotations

from typing import Any

from botocore.parsers import JSONParser, ResponseParserFactory

_SCALARS = frozenset({"string", "integer", "long", "boolean", "double", "float"})
Plan = tuple[tuple[str, str, bool], ...]  # (member name, JSON name, is a timestamp)


class FastJSONParser(JSONParser):
    """``JSONParser`` with the flat-structure list fast path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: dict[int, Plan | None] = {}

    def _plan(self, shape: Any) -> Plan | None:
        """How to convert one item of ``shape`` (None: not flat, botocore's way)."""
        key = id(shape)
        if key not in self._plans:
            plan: Plan | None = None
            flat = (
                shape.type_name == "structure"
                and not shape.is_document_type
                and not getattr(shape, "is_tagged_union", False)
                and all(
                    m.type_name in _SCALARS or m.type_name == "timestamp"
                    for m in shape.members.values()
                )
            )
            if flat:
                plan = tuple(
                    (name, m.serialization.get("name", name), m.type_name == "timestamp")
                    for name, m in shape.members.items()
                )
            self._plans[key] = plan
        return self._plans[key]

    def _handle_list(self, shape: Any, node: Any) -> Any:
        plan = self._plan(shape.member)
        if plan is None:
            parent: Any = super()  # the stubs do not declare botocore's handlers
            return parent._handle_list(shape, node)
        parser: Any = self  # botocore's stubs do not declare the parser's attributes
        stamp = parser._timestamp_parser
        out: list[Any] = []
        for item in node:
            if item is None:
                out.append(None)
                continue
            parsed = {}
            for name, json_name, timestamp in plan:
                raw = item.get(json_name)
                if raw is not None:
                    parsed[name] = stamp(raw) if timestamp else raw
            out.append(parsed)
        return out


class FastParserFactory(ResponseParserFactory):
    """botocore's factory, with ``FastJSONParser`` for the JSON protocol."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "json":
            factory: Any = self  # the stubs do not declare ``_defaults``
            return FastJSONParser(**factory._defaults)
        return super().create_parser(protocol_name)
