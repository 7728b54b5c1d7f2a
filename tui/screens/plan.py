"""The plan modal: what a change will do (its diff), the typed confirmation a protected
environment needs, then the apply's progress and outcome.

Applying is the app's worker, not this screen's: closing the modal never stops a change;
its outcome still reaches the feed and a notification.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Log, ProgressBar, Static

from opskit.changes.plan import Plan
from tui import bindings
from tui.messages import ApplyRequested
from tui.source import ActionRequest, Outcome
from tui.workers import ReportsWorkerErrors

OUTCOME_STYLE = {"applied": "bold green", "refused": "bold yellow"}


def value_text(value: object) -> str:
    """A diff value on one line (``-`` for None)."""
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "[]"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "{}"
    return str(value)


class PlanScreen(ReportsWorkerErrors, ModalScreen[None]):
    """Review, confirm, apply, watch."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.PLAN]

    def __init__(self, request: ActionRequest, plan: Plan, protected: bool) -> None:
        super().__init__()
        self.request = request
        self.plan = plan
        self.protected = protected
        self.applying = False
        self.outcome: Outcome | None = None

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="plan", classes="dialog"):
            yield Static(Text(plan.summary, style="bold"), classes="dialog-title")
            where = Text()
            where.append(plan.env, style="bold red" if self.protected else "bold")
            where.append(f"  account {plan.account_id} · {plan.region}", style="dim")
            where.append(f" · needs {plan.access} · plan {plan.id}", style="dim")
            yield Static(where, id="plan-where")
            if plan.notes:
                yield Static(Text("\n".join(plan.notes), style="italic"), id="plan-notes")
            table: DataTable[str | Text] = DataTable(id="plan-diff", cursor_type="row")
            yield table
            if plan.empty:
                yield Static("Nothing to change: live state already matches.", id="plan-empty")
            elif self.protected:
                yield Static(
                    Text(f"{plan.env} is protected: type its name to apply.", style="bold red"),
                    id="plan-protected",
                )
                yield Input(placeholder=plan.env, id="plan-confirm")
            yield ProgressBar(total=None, show_eta=False, id="plan-progress")
            yield Log(id="plan-log", max_lines=200)
            yield Static("", id="plan-outcome")
            with Horizontal(id="plan-buttons"):
                yield Button(
                    "Apply",
                    id="plan-apply",
                    variant="error" if self.protected else "primary",
                    disabled=self.protected or plan.empty,
                )
                yield Button("Cancel", id="plan-cancel")

    def on_mount(self) -> None:
        table = self.query_one("#plan-diff", DataTable)
        table.add_columns("resource", "field", "before", "after")
        for diff in self.plan.diffs:
            table.add_row(
                diff.resource,
                diff.field,
                Text(value_text(diff.before), style="red"),
                Text(value_text(diff.after), style="green"),
            )
        confirm = self.query("#plan-confirm")
        if confirm:
            confirm.first().focus()
        elif not self.plan.empty:
            self.query_one("#plan-apply", Button).focus()

    @on(Input.Changed, "#plan-confirm")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#plan-apply", Button).disabled = event.value.strip() != self.plan.env

    @on(Input.Submitted, "#plan-confirm")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.plan.env:
            self._apply()

    @on(Button.Pressed, "#plan-apply")
    def _apply_pressed(self) -> None:
        self._apply()

    @on(Button.Pressed, "#plan-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _apply(self) -> None:
        if self.applying or self.plan.empty:
            return
        confirm = None
        if self.protected:
            confirm = self.query_one("#plan-confirm", Input).value.strip()
            if confirm != self.plan.env:
                return
            self.query_one("#plan-confirm", Input).disabled = True
        self.applying = True
        self.add_class("-applying")
        self.query_one("#plan-apply", Button).disabled = True
        self.query_one("#plan-cancel", Button).label = "Close"
        self.add_progress(f"applying {self.plan.change} on {self.plan.env}…")
        self.post_message(ApplyRequested(self.plan, confirm))

    def add_progress(self, line: str) -> None:
        self.query_one("#plan-log", Log).write_line(line)

    def finished(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.remove_class("-applying")
        self.add_class("-done")
        text = Text(outcome.outcome, style=OUTCOME_STYLE.get(outcome.outcome, "bold red"))
        if outcome.detail:
            text.append(f": {outcome.detail}")
        self.query_one("#plan-outcome", Static).update(text)
        self.query_one("#plan-cancel", Button).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
