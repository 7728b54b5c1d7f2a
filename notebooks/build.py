#!/usr/bin/env python3
"""Build the runbook notebooks (``notebooks/*.ipynb``) from their sources (``notebooks/src/*.py``).

    python notebooks/build.py          # write every notebook
    python notebooks/build.py --check  # exit 1 if a notebook differs from its source

A source is Python in the "percent" format: ``# %% [markdown]`` starts a Markdown cell (its
lines are comments), ``# %%`` a code cell, ``# %% parameters`` the cell papermill fills.
Lines ``# key: value`` before the first cell become ``metadata.opskit`` (``description``,
``access``). The notebooks are written clean: no outputs, no execution counts, stable cell
ids, the ``opskit`` kernelspec with its language (papermill needs it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
KERNELSPEC = {"name": "opskit", "display_name": "Python (opskit)", "language": "python"}


def parse(name: str, text: str) -> nbformat.NotebookNode:
    """One notebook from one percent-format source."""
    meta: dict[str, str] = {}
    cells: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("# %%"):
            marker = line[4:].strip()
            cells.append((marker or "code", []))
        elif not cells:
            key, sep, value = line.lstrip("# ").partition(": ")
            if line.startswith("# ") and sep:
                meta[key.strip()] = value.strip()
        else:
            cells[-1][1].append(line)
    notebook = new_notebook(
        metadata={
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
            "opskit": meta,
        }
    )
    for index, (kind, lines) in enumerate(cells):
        body = "\n".join(lines).strip("\n")
        cell_id = f"{name}-{index:02d}"
        if kind == "[markdown]":
            text_lines = [
                ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.splitlines()
            ]
            notebook.cells.append(new_markdown_cell("\n".join(text_lines), id=cell_id))
        elif kind in ("code", "parameters"):
            tags = {"tags": ["parameters"]} if kind == "parameters" else {}
            notebook.cells.append(new_code_cell(body, id=cell_id, metadata=tags))
        else:
            raise SystemExit(f"{name}: unknown cell marker '# %% {kind}'")
    nbformat.validate(notebook)
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook as its file holds it (sorted keys, one-space indent, final newline)."""
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every notebook; return the names that differ."""
    stale = []
    for source in sorted((HERE / "src").glob("*.py")):
        target = HERE / f"{source.stem}.ipynb"
        wanted = render(parse(source.stem, source.read_text(encoding="utf-8")))
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != wanted:
            stale.append(source.stem)
            if not check:
                target.write_text(wanted, encoding="utf-8")
    return stale


if __name__ == "__main__":
    checking = "--check" in sys.argv[1:]
    differ = build(check=checking)
    if checking and differ:
        sys.exit(f"out of date (run python notebooks/build.py): {', '.join(differ)}")
    print(f"{'stale' if checking else 'written'}: {', '.join(differ) or 'none'}")
