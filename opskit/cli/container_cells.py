"""`opskit show`'s containers: each container's row with its CPU and memory figures.

The figures come from ``opskit.estate.container_metrics`` (read once, for the service's
tasks) and read as ``opskit.estate.container_text`` writes them; a cluster without them
says so in the cells (``insights off``) and why under the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opskit.cli import estate_rows as rows
from opskit.estate.container_text import cpu_text, memory_text

if TYPE_CHECKING:
    from opskit.estate.collect import Estate
    from opskit.estate.model import ServiceState

OFF = "insights off"


def read_containers(estate: Estate, env: str, service: ServiceState) -> ServiceState:
    """``service`` with its containers' figures (once; a failure is a warning, not an exit)."""
    from opskit.estate.container_metrics import ContainerReader, with_container_metrics

    reader = ContainerReader(estate.accounts, period=estate.config.metrics.period_seconds)
    return with_container_metrics(reader, env, service)


def container_rows(service: ServiceState) -> list[dict[str, Any]]:
    """One row a container of each task, with ``cpu`` and ``memory`` cells."""
    found = service.container_metrics
    out = []
    for task in service.tasks:
        for container in task.containers:
            row = rows.container_row(task, container)
            if "containers" in service.unknown:
                row["cpu"] = row["memory"] = "unknown"
            elif found is not None and found.note and not found.containers:
                row["cpu"] = row["memory"] = OFF
            else:
                usage = found.find(task.id, container.name) if found is not None else None
                row["cpu"], row["memory"] = cpu_text(usage), memory_text(usage)
            out.append(row)
    return out
