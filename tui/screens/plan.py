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
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Log, ProgressBar, Static

from opskit.changes.plan import Plan
from tui import bindings
from tui.messages import ApplyRequested
from tui.plan_diff import diff_renderable
from tui.source import ActionRequest, Outcome
from tui.workers import ReportsWorkerErrors

OUTCOME_STYLE = {"applied": "bold green", "refused": "bold yellow"}


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
            with VerticalScroll(id="plan-body"):
                if plan.notes:
                    yield Static(Text("\n".join(plan.notes), style="italic"), id="plan-notes")
                yield Static(diff_renderable(plan.diffs), id="plan-diff")
                if plan.empty:
                    yield Static("Nothing to change: live state already matches.", id="plan-empty")
                yield ProgressBar(total=None, show_eta=False, id="plan-progress")
                yield Log(id="plan-log", max_lines=200)
                yield Static("", id="plan-outcome")
            with Vertical(id="plan-foot"):
                if self.protected and not plan.empty:
                    yield Static(
                        Text(f"{plan.env} is protected: type its name to apply.", style="bold red"),
                        id="plan-protected",
                    )
                with Horizontal(id="plan-buttons"):
                    if self.protected and not plan.empty:
                        yield Input(placeholder=plan.env, id="plan-confirm", compact=True)
                    yield Button(
                        "Apply",
                        id="plan-apply",
                        variant="error" if self.protected else "primary",
                        disabled=self.protected or plan.empty,
                        compact=True,
                    )
                    yield Button("Cancel", id="plan-cancel", compact=True)

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit)
        confirm = self.query("#plan-confirm")
        if confirm:
            confirm.first().focus()
        elif not self.plan.empty:
            self.query_one("#plan-apply", Button).focus()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        """Let only the diffs scroll: the title, where, confirm line and buttons stay."""
        fixed = sum(
            widget.outer_size.height
            for widget in (
                self.query_one(".dialog-title"),
                self.query_one("#plan-where"),
                self.query_one("#plan-foot"),
            )
        )
        body = self.query_one("#plan-body")
        height = max(3, self.size.height - 2 - fixed)
        if body.styles.max_height is None or body.styles.max_height.value != height:
            body.styles.max_height = height

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
