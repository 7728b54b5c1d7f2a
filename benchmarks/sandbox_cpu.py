"""Benchmark: sandbox server CPU for one estate snapshot, next to plain moto answering it.

    .venv/bin/python benchmarks/sandbox_cpu.py [--runs 3] [--profile DIR] [--plain-auth]

Starts two large estates (3 environments x 3 clusters x 100 services x 3 tasks), seeded by
the same seeders, in two server processes, side by side:

- **sandbox**: the real sandbox server (rules layer, sessions, faults, simulator ticking);
- **plain moto**: moto's own WSGI application serving that same seeded state, with no rules
  layer and no background services (IAM enforcement off, as a plain moto server runs,
  unless ``--plain-auth``). Plain moto ignores AWS's page limits, so it answers the same
  snapshot with somewhat fewer calls (one ListTasks page per cluster instead of three).

A client process per server takes ``--runs`` snapshots with opskit's ``Estate`` (after one
warm-up) and reads the server's CPU time from /proc around each one. Printed: calls (all,
and ECS + CloudWatch), server CPU seconds per snapshot (median), and the ratio. With
``--profile DIR`` both servers run every request under cProfile (requests serialised) and
write ``DIR/{sandbox,plain}.pstats`` plus the top functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"
KINDS = ("sandbox", "plain")


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the server processes -------------------------------------------------------------------

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Profiled:
    """Runs each request under one shared cProfile (one request at a time)."""

    def __init__(self, app: WsgiApp, out: Path) -> None:
        self.app, self.out = app, out
        self.profile = cProfile.Profile()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with self.lock:
            self.profile.enable()
            try:
                return list(self.app(environ, start_response))
            finally:
                self.profile.disable()

    def dump(self) -> None:
        self.profile.dump_stats(self.out)


class _PlainMoto:
    """moto's own application; answers only the health probe opskit's client sends first."""

    def __init__(self, moto_app: WsgiApp) -> None:
        self.moto_app = moto_app
        self.ready = False
        self.sealed = False
        self.exempt_keys: frozenset[str] = frozenset()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == "/_opskit/health":
            body = json.dumps({"pid": os.getpid(), "ready": self.ready}).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        return self.moto_app(environ, start_response)


def serve(kind: str, argv: list[str], profile: Path | None, plain_auth: bool) -> int:
    """Run ``python -m sandbox.server`` with this benchmark's variations (plain, profiled)."""
    from sandbox import server as sandbox_server
    from sandbox.aws import moto_patches

    base = sandbox_server.SandboxServer
    profiled: list[_Profiled] = []

    class Server(base):  # type: ignore[valid-type,misc]
        def _serve(self) -> Any:
            if kind == "sandbox":
                layer = super()._serve()
            else:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    MotoRequestHandler,
                    create_backend_app,
                )
                from werkzeug.serving import make_server

                layer = _PlainMoto(DomainDispatcherApplication(create_backend_app))
                self._httpd = make_server(
                    "127.0.0.1", 0, layer, threaded=True, request_handler=MotoRequestHandler
                )
                threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()
            if profile is not None:
                profiled.append(_Profiled(self._httpd.app, profile / f"{kind}.pstats"))
                self._httpd.app = profiled[0]
            return layer

        def _start_services(self, ctx: Any) -> dict[str, str]:
            return super()._start_services(ctx) if kind == "sandbox" else {}

        def start(self) -> Any:
            info = super().start()
            if profiled:
                profiled[0].profile = cProfile.Profile()  # seeding is not what we measure
            return info

        def shutdown(self) -> None:
            if profiled:
                profiled[0].dump()
            super().shutdown()

    if kind == "plain" and not plain_auth:
        moto_patches.enable_iam_enforcement = lambda: None
    sandbox_server.SandboxServer = Server  # type: ignore[misc]
    return sandbox_server.main(argv)


def start_server(kind: str, state: Path, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--serve", kind, "--state-dir", str(state)]
    if args.profile:
        command += ["--profile", str(args.profile)]
    if args.plain_auth:
        command.append("--plain-auth")
    env = {**os.environ, "OPSKIT_SANDBOX_OWNER_PID": str(os.getpid())}
    state.mkdir(parents=True, exist_ok=True)
    with (state / "server.err").open("wb") as err:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err)


def wait_ready(process: subprocess.Popen[bytes], state: Path, timeout: float = 900) -> int:
    from sandbox.process import health
    from sandbox.state import read_state

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server failed: {(state / 'server.err').read_text()[-2000:]}")
        info = read_state(state)
        if info is not None and info.pid == process.pid:
            answer = health(info.endpoint_url)
            if answer is not None and answer.get("ready"):
                return info.pid
        time.sleep(0.2)
    raise SystemExit(f"server in {state} not ready within {timeout:.0f} s")


# --- the client -----------------------------------------------------------------------------


def client(state: Path, pid: int, runs: int) -> dict[str, Any]:
    """Snapshots of the estate served for ``state``; server CPU around each (JSON out)."""
    os.environ["OPSKIT_STATE_DIR"] = str(state)
    from opskit.estate.collect import Estate
    from opskit.workspace import open_workspace

    estate = Estate(open_workspace(CONFIG).accounts)
    estate.snapshot()  # warm: roles assumed, clients made, moto backends loaded
    rows = []
    for _ in range(runs):
        before, began = server_cpu(pid), time.perf_counter()
        snap = estate.snapshot()
        cpu, wall = server_cpu(pid) - before, time.perf_counter() - began
        assert snap.complete, snap.errors
        part = sum(n for op, n in snap.calls.items() if op.startswith(("ecs.", "monitoring.")))
        rows.append({"cpu": cpu, "wall": wall, "calls": snap.total_calls, "ecs_cw": part})
    return {"runs": rows}


def measure(kind: str, state: Path, pid: int, runs: int) -> dict[str, Any]:
    ran = subprocess.run(
        [sys.executable, __file__, "--client", str(state), "--pid", str(pid), "--runs", str(runs)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if ran.returncode:
        raise SystemExit(f"{kind} client failed:\n{ran.stderr}")
    result: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    return result


def top(path: Path, limit: int = 25) -> None:
    for key in ("cumulative", "tottime"):
        print(f"\n--- {path.name}: top {limit} by {key}")
        pstats.Stats(str(path)).sort_stats(key).print_stats(limit)


def main(args: argparse.Namespace) -> int:
    root = Path(tempfile.mkdtemp(prefix="opskit-cpu-"))
    states = {kind: root / kind for kind in KINDS}
    began = time.perf_counter()
    servers = {kind: start_server(kind, states[kind], args) for kind in KINDS}
    try:
        pids = {kind: wait_ready(servers[kind], states[kind]) for kind in KINDS}
        print(f"both large estates ready in {time.perf_counter() - began:.0f} s", flush=True)
        results = {kind: measure(kind, states[kind], pids[kind], args.runs) for kind in KINDS}
    finally:
        for process in servers.values():
            process.terminate()
        for process in servers.values():
            process.wait(60)
    auth = "on" if args.plain_auth else "off"
    print(f"\nserver CPU per estate snapshot, median of {args.runs} "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    print(f"{'server':<34} {'calls':>6} {'ECS+CW':>7} {'CPU s':>7} {'wall s':>7}")
    cpu: dict[str, float] = {}
    for kind, label in (("plain", f"plain moto (IAM enforcement {auth})"), ("sandbox", "sandbox")):
        rows = results[kind]["runs"]
        cpu[kind] = statistics.median(r["cpu"] for r in rows)
        wall = statistics.median(r["wall"] for r in rows)
        print(f"{label:<34} {rows[0]['calls']:>6} {rows[0]['ecs_cw']:>7} "
              f"{cpu[kind]:>7.2f} {wall:>7.2f}")  # fmt: skip
    print(f"sandbox / plain moto CPU: {cpu['sandbox'] / max(cpu['plain'], 0.01):.1f}x")
    if args.profile:
        for kind in KINDS:
            top(args.profile / f"{kind}.pstats")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="Profile both servers; stats go here.")
    parser.add_argument("--plain-auth", action="store_true", help="IAM enforcement in plain.")
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--client", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.serve:
        server_argv = ["--config", str(CONFIG), "--state-dir", str(args.state_dir)]
        server_argv += ["--scale", "large"]
        code = serve(args.serve, server_argv, args.profile, args.plain_auth)
        sys.stdout.flush()
        os._exit(code)
    if args.client:
        print(json.dumps(client(args.client, args.pid, args.runs)))
        sys.exit(0)
    sys.exit(main(args))
