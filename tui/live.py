"""A service's detail (read every ``DETAIL_SECONDS``) kept live with the overview's reads.

The detail read (target health, stopped tasks, the task definition, every event) is the
expensive one and target health moves slowly, so the service screen re-reads it every
15 s. Its deployments and counts must stay as live as the overview's (every tick): they
are taken from the latest overview read of the same service.
"""

from __future__ import annotations

import dataclasses

from opskit.estate import ServiceState

DETAIL_SECONDS = 15.0  # target health and the rest of a service's detail


def live_detail(detail: ServiceState, overview: ServiceState | None) -> ServiceState:
    """``detail`` with ``overview``'s status, counts, definition and deployments."""
    if overview is None or overview.arn != detail.arn:
        return detail
    return dataclasses.replace(
        detail,
        status=overview.status,
        desired=overview.desired,
        running=overview.running,
        pending=overview.pending,
        task_definition=overview.task_definition,
        deployments=overview.deployments,
    )
