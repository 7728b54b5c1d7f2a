"""Remapping keys: a small TOML file maps binding ids to the keys a user prefers.

``$OPSKIT_TUI_KEYMAP`` names the file, else ``<user config dir>/opskit/keymap.toml``::

    [keys]
    "service.scale" = "S"
    "app.refresh" = "ctrl+r,f5,R"

Unknown ids are reported (not ignored silently) so a typo does not go unnoticed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tui.bindings import AREAS


def keymap_path() -> Path:
    """Where the keymap is read from (it need not exist)."""
    named = os.environ.get("OPSKIT_TUI_KEYMAP")
    if named:
        return Path(named).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("opskit")) / "keymap.toml"


def known_ids() -> set[str]:
    return {b.id for bindings in AREAS.values() for b in bindings if b.id}


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The id -> keys map from the file, and one line per problem found in it."""
    path = path or keymap_path()
    if not path.is_file():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return {}, [f"{path}: cannot read keymap: {error}"]
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        return {}, [f'{path}: [keys] must be a table of binding id = "keys"']
    known = known_ids()
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for ident, value in keys.items():
        if ident not in known:
            problems.append(f"{path}: unknown binding id '{ident}' (see ? for the ids)")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: '{ident}' needs keys as text, e.g. \"ctrl+s\"")
        else:
            keymap[ident] = value.strip()
    return keymap, problems
