"""Find, read and validate environments.toml into a ``Config``.

Found like git finds its repository: ``--config``/``$OPSKIT_CONFIG`` if given, else the
first environments.toml in the current directory or above it. Every problem becomes one
``ConfigError`` line: ``FILE:LINE: key.path: what is wrong (what was expected)``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from opskit.config.locate import LineIndex, last_value_line
from opskit.config.model import Config
from opskit.config.paths import check_paths
from opskit.config.references import check_references
from opskit.errors import ConfigError

FILE_NAME = "environments.toml"

_PATTERNS = {
    r"^\d{12}$": 'a 12-digit account id in quotes, e.g. "123456789012"',
    r"^[a-z]{2}(-gov)?-[a-z]+-\d$": 'an AWS region such as "eu-west-1"',
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$": "a name of letters, digits, '-' and '_'",
    r"^[\w+=,.@-]{1,64}$": "an IAM role name (1-64 of letters, digits and +=,.@_-)",
    r"^https?://\S+$": "an http(s):// URL",
    r"^/\S*$": "a path starting with '/'",
    r"^arn:aws[\w-]*:iam::\d{12}:mfa/.+$": "an MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME)",
}


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: explicit, then $OPSKIT_CONFIG, then cwd and its parents."""
    named = explicit or os.environ.get("OPSKIT_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        return path.resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / FILE_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {FILE_NAME} found in {here} or any folder above it "
        "(pass --config PATH or set OPSKIT_CONFIG)"
    )


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; raise ConfigError with one precise line if invalid."""
    file = find_config_path(path)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise ConfigError(f"{file}: cannot read: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        byte = raw[error.start : error.start + 1].hex()
        raise ConfigError(
            f"{file}:{line}: not UTF-8 text: byte 0x{byte} at column {column} (save it as UTF-8)"
        ) from None
    return parse_config(text, file)


def parse_config(text: str, file: Path) -> Config:
    """Validate TOML ``text`` as a Config; ``file`` is only used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"\(at line (\d+), column \d+\)", str(error))
        if where:
            raise ConfigError(f"{file}:{where.group(1)}: invalid TOML: {error}") from None
        line = last_value_line(text)
        # "at end of document": the nearest line is where the value left open begins.
        raise ConfigError(f"{file}:{line}: invalid TOML: {error}, in what starts here") from None
    lines = LineIndex(text)
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        # A misspelt key also makes its real one "missing": report the typo first.
        problems = sorted(
            error.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden"
        )
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(_where(file, lines, first["loc"]) + _describe(first) + more) from None
    config._path = file
    references = check_references(config) + check_paths(config, file.parent)
    if references:
        path, message = references[0]
        more = f" (and {len(references) - 1} more)" if len(references) > 1 else ""
        raise ConfigError(_where(file, lines, path) + message + more)
    return config


def _where(file: Path, lines: LineIndex, loc: tuple[Any, ...]) -> str:
    # A key that is missing altogether has no line of its own: its table's, else line 1.
    line = lines.line_of(tuple(loc)) or 1
    key = ".".join(str(p) for p in loc) or "(top level)"
    return f"{file}:{line}: {key}: "


def _describe(error: ErrorDetails) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        known = _known_keys(loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        listed = f" (known: {', '.join(known)})" if known and not guess else ""
        return f"unknown key '{loc[-1]}'{hint}{listed}"
    if kind == "missing":
        # every top-level key is a table: say which section to write
        return (
            f"missing (required): add the [{loc[0]}] section"
            if len(loc) == 1
            else "missing (required)"
        )
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        expected = _PATTERNS.get(pattern, f"text matching {pattern}")
        return f"expected {expected}, got {value!r}"
    if kind in (
        "string_type",
        "int_type",
        "int_parsing",
        "bool_type",
        "bool_parsing",
        "float_type",
    ):
        wanted = (
            "text in quotes"
            if kind == "string_type"
            else "true or false"
            if kind.startswith("bool")
            else "a number"
            if "float" in kind
            else "a whole number"
        )
        return f"expected {wanted}, got {value!r}"
    return f"{error['msg'][0].lower()}{error['msg'][1:]}, got {value!r}"


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at ``loc`` (walking the model's annotations), for did-you-mean."""
    current: Any = Config
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    model = _as_model(current)
    if model is None:
        return []
    return sorted(f.alias or name for name, f in model.model_fields.items())


def _step(annotation: Any, part: Any) -> Any:
    model = _as_model(annotation)
    if model is not None:
        for name, field in model.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    for arg in _args(annotation):
        origin = typing.get_origin(arg)
        if origin is dict:
            return typing.get_args(arg)[1]
        if origin is list:
            return typing.get_args(arg)[0]
    return None


def _as_model(annotation: Any) -> type[BaseModel] | None:
    for arg in _args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _args(annotation: Any) -> list[Any]:
    """The annotation itself and, for unions and Annotated, what it wraps."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _args(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [a for arg in typing.get_args(annotation) for a in _args(arg)]
    return [annotation]
