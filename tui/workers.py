"""The one place worker failures become something the user sees.

Blocking calls run in ``@work(thread=True, exclusive=True, exit_on_error=False)`` workers
on the app or a screen. A worker that raises does not crash the app: this mixin's
``Worker.StateChanged`` handler (on the app and every screen) shows the error as one line,
named after the worker, in a notification and on the status bar.
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState

from opskit.errors import OpskitError


def describe(error: BaseException | None) -> str:
    """One line for any error: an OpskitError's own line, else its type and text."""
    if error is None:
        return "unknown error"
    if isinstance(error, OpskitError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class ReportsWorkerErrors:
    """Mixin for the app and screens: a failed worker becomes an on-screen message."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        worker: Worker[Any] = event.worker
        label = worker.description or worker.name or "background task"
        show = getattr(self, "app", None)
        if show is not None and hasattr(show, "show_error"):
            show.show_error(f"{label}: {describe(worker.error)}")
