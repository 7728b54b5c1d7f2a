#!/usr/bin/env python3
"""Bootstrap and run opskit from a fresh clone with nothing but Python 3.11+.

    python3 dev.py tui     # install (once) and open the dashboard on the sandbox
    python3 dev.py test    # install test tools (once) and run lint, types, contracts, tests
    python3 dev.py lock    # regenerate the hashed lock files in requirements/ (needs uv)

Installs into ./.venv from a hashed lock file (``requirements/<set>.txt``): first every
dependency with ``pip install --require-hashes``, then opskit itself, editable, without
dependencies. A second run skips the install when pyproject.toml and the lock have not
changed. Extra arguments are passed on (`python3 dev.py tui --user bob`,
`python3 dev.py test -k accounts`, `python3 dev.py lock --upgrade`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
LOCKS = ROOT / "requirements"
# Lock set -> the extras it installs: core (no fake AWS), sandbox (the demo), test (all).
SETS = {"core": "", "sandbox": "sandbox", "test": "test"}


def _lock(name: str) -> Path:
    return LOCKS / f"{name}.txt"


def _fingerprint(name: str) -> str:
    digest = hashlib.sha256(name.encode())
    for path in (ROOT / "pyproject.toml", _lock(name)):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install(name: str = "core") -> None:
    """Create .venv and install the lock set ``name`` plus opskit unless already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs under any python3)
        sys.exit(f"opskit needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if name not in SETS:
        sys.exit(f"dev.py: unknown install set '{name}' ({', '.join(SETS)})")
    stamp = VENV / f".installed-{name}"
    wanted = _fingerprint(name)
    if stamp.exists() and stamp.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    extras = SETS[name]
    target = f".[{extras}]" if extras else "."
    print(f"dev.py: installing opskit{f'[{extras}]' if extras else ''} into .venv", file=sys.stderr)
    uv = shutil.which("uv")
    if uv:  # same lock, same hashes, faster
        pip = [uv, "pip", "install", "-q", "--python", str(PYTHON)]
    else:
        pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--require-hashes", "-r", str(_lock(name))], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "-e", target], check=True, cwd=ROOT)
    stamp.write_text(wanted)


def lock(args: list[str]) -> int:
    """Regenerate every lock file (hashes for all platforms, Python 3.11+) with uv."""
    uv = shutil.which("uv") or str(BIN / "uv")
    if not Path(uv).exists():
        print("dev.py: `lock` needs uv (pip install uv)", file=sys.stderr)
        return 2
    for name, extras in SETS.items():
        output = str(_lock(name).relative_to(ROOT))
        command = [uv, "pip", "compile", "pyproject.toml", "--generate-hashes", "--universal",
                   "--python-version", "3.11.5", "--quiet", "-o", output]
        if extras:
            command += ["--extra", extras]
        code = run([*command, *args])
        if code:
            return code
    return 0


def run(command: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call(command, cwd=ROOT, env=env)


def _test_env() -> dict[str, str]:
    """The environment for pytest. The suite starts hundreds of Python processes (CLI calls,
    sandboxes, kernels): under PYTHONDONTWRITEBYTECODE each compiled opskit anew, and each
    worker re-rewrote every test module. Their bytecode goes to .venv/pycache instead (the
    tree stays clean); a PYTHONPYCACHEPREFIX of your own wins."""
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env.setdefault("PYTHONPYCACHEPREFIX", str(VENV / "pycache"))
    return env


def test(args: list[str]) -> int:
    install("test")
    checks = [
        [str(BIN / "ruff"), "check", "opskit", "tui", "sandbox", "tests", "benchmarks",
         "notebooks/src", "notebooks/build.py"],
        [str(BIN / "lint-imports")],
    ]
    types = [
        [str(BIN / "mypy")],
        # Every test folder's conftest.py is module `conftest` to mypy: one run each.
        *([str(BIN / "mypy"), "--no-warn-unused-configs", str(path.relative_to(ROOT))]
          for path in sorted(ROOT.glob("tests/*/conftest.py"))),
    ]
    for check in checks:
        print(f"dev.py: {' '.join(_shown(check))}", file=sys.stderr)
        code = run(check)
        if code:
            return code
    # mypy (half a minute of one core with a cold cache, as on a fresh clone) runs alongside
    # the tests, which leave a core idle while they wait on the sandbox; its output follows.
    typed: list[tuple[list[str], subprocess.CompletedProcess[str]]] = []
    checking = threading.Thread(target=_type_check, args=(types, typed), daemon=True)
    checking.start()
    # Two workers (pytest-xdist), each with its own sandbox. loadgroup: one test at a time to
    # whichever worker is free, but a module sharing a module-scoped fixture (a sandbox of its
    # own, say) as one unit (tests/conftest.py groups them), so it is set up once. `-n 0` (or
    # any -n, or --dist) given on the command line wins.
    chosen = any(a.startswith(("-n", "--numprocesses")) for a in args)
    workers = [] if chosen else ["-n", "2"]
    if not chosen and not any(a.startswith("--dist") for a in args):
        workers += ["--dist", "loadgroup"]
    code = run([str(PYTHON), "-m", "pytest", *workers, *args], env=_test_env())
    checking.join()
    for check, done in typed:
        print(f"dev.py: {' '.join(_shown(check))} (alongside the tests)", file=sys.stderr)
        print(done.stdout, end="")
        print(done.stderr, end="", file=sys.stderr)
    failed = [done.returncode for _, done in typed if done.returncode]
    return code or (failed[0] if failed else 0)


def _type_check(
    types: list[list[str]], typed: list[tuple[list[str], subprocess.CompletedProcess[str]]]
) -> None:
    """Run each mypy command, output captured; stop at the first that fails."""
    for check in types:
        done = subprocess.run(check, cwd=ROOT, capture_output=True, text=True, check=False)
        typed.append((check, done))
        if done.returncode:
            return


def _shown(check: list[str]) -> list[str]:
    return [Path(check[0]).name, *check[1:]]


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
        install(rest[0] if rest else "core")
        return 0
    if command == "lock":
        return lock(rest)
    print(f"dev.py: unknown command '{command}' (tui, test, install, lock)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
