"""Every kind of change opskit knows, by the name plans and the journal use."""

from __future__ import annotations

from opskit.changes.batch import BatchChange
from opskit.changes.deploy import DeployChange
from opskit.changes.draining import DrainingChange
from opskit.changes.monitors import MonitorsChange
from opskit.changes.plan import Plan
from opskit.changes.promote import PromoteChange
from opskit.changes.protocol import Change
from opskit.changes.service_changes import RestartChange, RollbackChange, ScaleChange
from opskit.changes.stop_task import StopTaskChange
from opskit.changes.traffic import TrafficShiftChange
from opskit.errors import UsageError

KINDS: dict[str, type[Change]] = {
    cls.kind: cls
    for cls in (
        DeployChange,
        ScaleChange,
        RestartChange,
        RollbackChange,
        StopTaskChange,
        DrainingChange,
        TrafficShiftChange,
        MonitorsChange,
        BatchChange,

        PromoteChange,
    )
}


def change_for(plan: Plan) -> Change:
    """The change object that applies ``plan``; UsageError for an unknown kind."""
    try:
        cls = KINDS[plan.change]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise UsageError(f"unknown change '{plan.change}' in plan (known: {known})") from None
    return cls.from_plan(plan)
