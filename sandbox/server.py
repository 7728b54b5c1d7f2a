"""The sandbox server process: ``python -m sandbox.server --config PATH --state-dir DIR``.

Serves moto (pinned) behind the rules layer on 127.0.0.1 (a free port) with werkzeug's
threaded server; seeds identities and runs the plugin seeders; switches IAM enforcement
on; starts background services; then writes the state file that tells clients where it
is. Logs go to ``DIR/sandbox/server.log`` (werkzeug's per-request lines are silenced).
SIGTERM or SIGINT stop it cleanly; so does losing its state file (a deleted state
directory would otherwise leave a server nobody can find); with ``--owner-pid`` it also
stops when that process ends. ``$OPSKIT_SANDBOX_TIME_FACTOR`` and
``$OPSKIT_SANDBOX_OWNER_PID`` stand in for the options when they are not given: the test
session sets them, so every sandbox a test starts (even through a CLI subprocess) runs
fast and ends with the session.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import persist, plugins
from sandbox.aws import moto_patches
from sandbox.seed import iam as iam_seed
from sandbox.state import (
    LOG_FILE,
    SandboxInfo,
    read_state,
    remove_state,
    sandbox_dir,
    write_state,
)

log = logging.getLogger("sandbox.server")

SCALES = ("normal", "large")


class SandboxServer:
    """One sandbox: the HTTP server, its seeded state and its background services."""

    def __init__(
        self,
        config_path: Path,
        state_dir: Path,
        scale: str | None,
        time_factor: float | None,
        bare: bool = False,
    ) -> None:
        from opskit.config import load_config

        self.config = load_config(config_path)
        self.config_path = self.config.path
        self.state_dir = state_dir
        self.scale = scale or self.config.sandbox.scale
        self.time_factor = time_factor or self.config.sandbox.time_factor
        self.bare = bare  # identities only: no plugin seeders or services
        self.token = secrets.token_urlsafe(24)
        self.services: list[tuple[str, Any]] = []
        self._httpd: Any = None
        self.ctx: plugins.SandboxContext | None = None
        self.saver: persist.Saver | None = None

    def start(self) -> SandboxInfo:
        """Serve, seed, seal, start services, write the state file. Returns the state."""
        started = time.monotonic()
        moto_patches.apply()
        for module in plugins.OVERRIDE_MODULES:
            plugins.import_optional(module)
        layer = self._serve()
        endpoint = f"http://127.0.0.1:{self._httpd.server_port}"
        ctx = self.ctx = plugins.SandboxContext(
            config=self.config,
            config_path=self.config_path,
            region=self.config.ops.region,
            ops_account_id=self.config.ops.account_id,
            accounts={n: self.config.environments[n].account_id for n in self.config.env_names()},
            endpoint_url=endpoint,
            scale=self.scale,
            time_factor=self.time_factor,
            state_dir=self.state_dir,
        )
        roles, users = iam_seed.seed_identities(ctx)
        layer.exempt_keys = frozenset(key for key, _ in ctx.admin_keys.values())
        for spec in () if self.bare else plugins.SEEDERS:
            seed = plugins.load(spec)
            if seed is not None:
                began = time.monotonic()
                seed(ctx)
                log.info("seeder %s done in %.2f s", spec, time.monotonic() - began)
        restored = persist.Restored(0, {})
        if not self.bare:
            restored = persist.restore(self.state_dir, self._persist_meta())
        moto_patches.enable_iam_enforcement()
        layer.sealed = True
        ctx.admin_client("ops", "sts").get_caller_identity()  # loads STS before users come
        urls = self._start_services(ctx)
        for name, handle in self.services:
            if name in restored.services and hasattr(handle, "restore"):
                handle.restore(restored.services[name])
        info = SandboxInfo(
            pid=os.getpid(),
            port=self._httpd.server_port,
            endpoint_url=endpoint,
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            config_path=str(self.config_path),
            state_dir=str(self.state_dir),
            region=ctx.region,
            token=self.token,
            accounts={"ops": ctx.ops_account_id, **ctx.accounts},
            roles=roles,
            users=users,
            datadog_url=urls.get("datadog"),
            datadog_keys=self._datadog_keys(),
            service_urls=urls,
            scale=self.scale,
            time_factor=self.time_factor,
            moto_version=moto_patches.MOTO_VERSION,
        )
        if not self.bare:
            # OPSKIT_SANDBOX_AUTOSAVE=0 (the tests): save only at stop, not after each write
            autosave = os.environ.get("OPSKIT_SANDBOX_AUTOSAVE", "1") != "0"
            self.saver = persist.Saver(
                self.state_dir, self._persist_meta(), autosave, self._service_states
            )
            layer.on_write = self.saver.changed
            for _, handle in self.services:
                if hasattr(handle, "watch_writes"):
                    handle.watch_writes(self.saver.changed)
        layer.ready = True
        write_state(self.state_dir, info)
        log.info("sandbox ready at %s in %.2f s", endpoint, time.monotonic() - started)
        return info

    def _serve(self) -> Any:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from sandbox.aws.faults import FaultStore
        from sandbox.aws.layer import RulesLayer
        from sandbox.aws.shared_models import boto_session

        known = frozenset(boto_session().get_available_services())
        layer = RulesLayer(
            DomainDispatcherApplication(create_backend_app), FaultStore(known), self.token
        )
        self._httpd = make_server(
            "127.0.0.1", 0, layer, threaded=True, request_handler=MotoRequestHandler
        )
        threading.Thread(
            target=self._httpd.serve_forever, args=(0.1,), name="sandbox-http", daemon=True
        ).start()
        return layer

    def _persist_meta(self) -> dict[str, str]:
        """What a saved estate must match to be loaded (see ``sandbox.persist``)."""
        import hashlib

        config = hashlib.sha256(Path(self.config_path).read_bytes()).hexdigest()
        return {"moto": moto_patches.MOTO_VERSION, "scale": self.scale, "config": config}

    def _service_states(self) -> dict[str, Any]:
        """The saved state of each service that keeps one (``snapshot()``), by name."""
        return {n: h.snapshot() for n, h in self.services if hasattr(h, "snapshot")}

    def _datadog_keys(self) -> dict[str, str]:
        """The keys the Datadog endpoint accepts (its handle's ``keys``), for the state file."""
        for name, handle in self.services:
            keys = getattr(handle, "keys", None)
            if name == "datadog" and isinstance(keys, dict):
                return {str(k): str(v) for k, v in keys.items()}
        return {}

    def _start_services(self, ctx: plugins.SandboxContext) -> dict[str, str]:
        urls: dict[str, str] = {}
        for spec in () if self.bare else plugins.SERVICES:
            start = plugins.load(spec)
            if start is None:
                continue
            handle = start(ctx)
            name = spec.split(":")[0].split(".")[1]  # the wing: "datadog", "simulator"
            self.services.append((name, handle))
            url = getattr(handle, "url", None)
            if isinstance(url, str):
                urls[name] = url
            log.info("service %s started%s", spec, f" at {url}" if url else "")
        return urls

    def shutdown(self) -> None:
        """Stop services (newest first), the HTTP server, and forget the state file."""
        if self.ctx is not None:
            self.ctx.stop_event.set()
        for name, handle in reversed(self.services):
            try:
                handle.stop()
            except Exception:
                log.exception("service %s failed to stop", name)
        if self._httpd is not None:
            self._httpd.shutdown()
        if self.saver is not None:
            self.saver.stop()  # everything is quiet now: the estate as it was left
        remove_state(self.state_dir, pid=os.getpid())
        log.info("sandbox stopped")


def _configure_logging(state_dir: Path) -> None:
    handler = logging.FileHandler(sandbox_dir(state_dir) / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("opskit").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def _watch_owner(owner_pid: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            log.info("owner process %d ended: stopping", owner_pid)
            stop.set()
        except PermissionError:
            pass


def _state_lost(state_dir: Path) -> bool:
    info = read_state(state_dir)
    return info is None or info.pid != os.getpid()


def _env_number(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.server")
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--scale", choices=SCALES)
    parser.add_argument("--time-factor", type=float)
    parser.add_argument("--owner-pid", type=int)
    parser.add_argument("--bare", action="store_true", help="identities only (tests)")
    args = parser.parse_args(argv)
    args.time_factor = args.time_factor or _env_number("OPSKIT_SANDBOX_TIME_FACTOR")
    args.owner_pid = args.owner_pid or int(_env_number("OPSKIT_SANDBOX_OWNER_PID") or 0)
    os.environ.pop("MOTO_ACCOUNT_ID", None)  # it would override every account
    _configure_logging(args.state_dir)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if args.owner_pid:
        threading.Thread(target=_watch_owner, args=(args.owner_pid, stop), daemon=True).start()
    server: SandboxServer | None = None
    try:
        server = SandboxServer(
            args.config, args.state_dir, args.scale, args.time_factor, bare=args.bare
        )
        server.start()
    except Exception as error:
        log.exception("sandbox failed to start")
        if server is not None:
            server.shutdown()
        # The last line of server.log: what ensure_running reports to the user.
        print(f"sandbox failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        return 1
    ticks = 0
    while not stop.wait(0.1):
        ticks += 1
        if ticks % 20 == 0 and _state_lost(args.state_dir):
            log.warning("state file gone or taken over: stopping")
            break
    server.shutdown()
    return 0


if __name__ == "__main__":
    exit_code = main()
    logging.shutdown()
    os._exit(exit_code)  # everything is stopped and flushed: skip the slow interpreter teardown
