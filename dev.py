#!/usr/bin/env python3
"""Bootstrap and run opskit from a fresh clone with nothing but Python 3.11+.

    python3 dev.py tui     # install (once) and open the dashboard on the sandbox
    python3 dev.py test    # install test tools (once) and run lint, types, contracts, tests

Installs into ./.venv from the locked constraints.txt. A second run skips the install
when pyproject.toml and constraints.txt have not changed. Extra arguments are passed on
(`python3 dev.py tui --user bob`, `python3 dev.py test -k accounts`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def _fingerprint(extras: str) -> str:
    digest = hashlib.sha256(extras.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def install(extras: str = "") -> None:
    """Create .venv and install opskit (with ``extras``) unless already done."""
    if sys.version_info < (3, 11):
        sys.exit(f"opskit needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    stamp = VENV / f".installed{('-' + extras) if extras else ''}"
    wanted = _fingerprint(extras)
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extras}]" if extras else "."
    print(f"dev.py: installing opskit{f'[{extras}]' if extras else ''} into .venv", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-c", "constraints.txt", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def run(command: list[str]) -> int:
    return subprocess.call(command, cwd=ROOT)


def test(args: list[str]) -> int:
    install("test")
    checks = [
        [str(BIN / "ruff"), "check", "opskit", "tui", "sandbox", "tests", "benchmarks"],
        [str(BIN / "mypy")],
        [str(BIN / "lint-imports")],
    ]
    for check in checks:
        print(f"dev.py: {Path(check[0]).name} {' '.join(check[1:])}", file=sys.stderr)
        code = run(check)
        if code:
            return code
    return run([str(PYTHON), "-m", "pytest", *args])


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "tui":
        install("sandbox")
        return run([str(BIN / "opskit"), "tui", *rest])
    if command == "test":
        return test(rest)
    if command == "install":
        install(rest[0] if rest else "")
        return 0
    print(f"dev.py: unknown command '{command}' (tui, test, install)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
