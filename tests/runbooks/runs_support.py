"""Support for the runbook run tests: a sandbox of their own, CLI runs in parallel, a canary.

The runs change the estate (deploys, draining, traffic), so they get their own sandbox
(its own state dir) rather than the session's, whose other tests expect the seeded estate.
Every run is ``opskit runbook run …`` as a subprocess of the installed entry point; all of
a wave start at once, since each costs about a second of kernel start.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "environments.toml"
OPSKIT = str(Path(sys.executable).with_name("opskit"))
ENV_CANARY = "sandbox-canary-from-the-runner-environment-5b1f"


@dataclass
class Ran:
    """One finished CLI run: exit code, stdout, stderr, and the run record if it printed one."""

    args: list[str]
    code: int
    out: str
    err: str

    @property
    def record(self) -> dict[str, Any]:
        return dict(json.loads(self.out))

    @property
    def last_error_line(self) -> str:
        lines = [ln for ln in self.err.splitlines() if ln.startswith("opskit: ")]
        return lines[-1] if lines else ""


def cli(args: list[str], env: dict[str, str], timeout: float = 240) -> Ran:
    done = subprocess.run(
        [OPSKIT, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Ran(args, done.returncode, done.stdout, done.stderr)


def cli_interrupted(args: list[str], env: dict[str, str], after: str, timeout: float = 240) -> Ran:
    """Run a command and press Ctrl-C (SIGINT) once stderr shows ``after``."""
    process = subprocess.Popen(
        [OPSKIT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )  # fmt: skip
    assert process.stderr is not None
    seen = ""
    for line in process.stderr:
        seen += line
        if after in line:
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=timeout)
    return Ran(args, process.returncode, out, seen + err)


def cli_all(runs: dict[str, list[str]], env: dict[str, str]) -> dict[str, Ran]:
    """Run every command at once; results by name."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {name: pool.submit(cli, args, env) for name, args in runs.items()}
        return {name: future.result() for name, future in futures.items()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def journal(state: Path) -> list[dict[str, Any]]:
    path = state / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def cli_env(state: Path, config: Path = CONFIG) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OPSKIT_CONFIG=str(config),
        OPSKIT_STATE_DIR=str(state),
        DATABASE_PASSWORD=ENV_CANARY,  # a secret the runner (and so the kernel) has
        NO_PROXY=",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"])),
    )
    return env


CANARY_CELLS = [
    (
        "markdown",
        "# Canary\n\n**What it does.** Prints secrets, makes a change, then fails midway.\n\n"
        "**Risks.** A test runbook.\n\n**Rollback.** None.\n\n**Run it.** From the tests.",
    ),
    (
        "parameters",
        'env: str = "dev"  # environment [required] [allowed: @envs]\n'
        "seconds: int = 31  # draining delay to set [min: 0] [max: 3600]\n"
        "apply: bool = False  # apply the change\n"
        'confirm: str = ""  # protected environment name',
    ),
    (
        "code",
        "# Print the secrets a careless runbook could show\n"
        "import os\n"
        "from opskit.aws.ecs import EcsReader\n"
        "from opskit import notebook\n"
        "from opskit.runbooks import kit\n\n"
        "rb = notebook.start(env, apply=apply, confirm=confirm)\n"
        'print(os.environ["DATABASE_PASSWORD"])\n'
        'reader = EcsReader(rb.ws.accounts.client(env, "ecs"), env)\n'
        'service = reader.describe_services("app", ["billing"])[0]\n'
        'definition = reader.describe_task_definition(service["taskDefinition"])\n'
        'pairs = definition["containerDefinitions"][0]["environment"]\n'
        'print(" ".join(pair["value"] for pair in pairs))\n'
        "kit.show(pairs)",
    ),
    (
        "code",
        "# Make a change through the engine\n"
        "from opskit.changes.draining import DrainingChange\n\n"
        "rb.apply(rb.plan(DrainingChange(env, seconds)))",
    ),
    ("code", '# Fail midway\nraise RuntimeError("midway failure after the change")'),
    ("code", "# Never reached\nrb.finish()"),
]


def write_canary(folder: Path) -> Path:
    """A runbook that leaks on purpose, changes something, then fails; and its config."""
    folder.mkdir(parents=True, exist_ok=True)
    notebook = new_notebook(
        metadata={
            "kernelspec": {
                "name": "opskit",
                "display_name": "Python (opskit)",
                "language": "python",
            },
            "opskit": {"description": "leaks, changes, fails", "access": "deploy"},
        }
    )
    for index, (kind, text) in enumerate(CANARY_CELLS):
        if kind == "markdown":
            notebook.cells.append(new_markdown_cell(text, id=f"c{index}"))
        else:
            tags = {"tags": ["parameters"]} if kind == "parameters" else {}
            notebook.cells.append(new_code_cell(text, id=f"c{index}", metadata=tags))
    nbformat.write(notebook, folder / "canary.ipynb")
    config = folder.parent / "environments.toml"
    config.write_text(CONFIG.read_text() + f'\n[runbooks]\npath = "{folder}"\n')
    return config
