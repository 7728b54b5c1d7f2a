"""Hooks on moto's ECS backend that hand service changes to the simulator.

moto's UpdateService only overwrites fields (a forced deployment even renames the PRIMARY
deployment in place); CreateService places no task; DeleteService leaves tasks running;
StopTask jumps straight to STOPPED. For accounts the simulator drives (``register``), these
wrappers let moto do its part, then let the simulator do what ECS would, *before* the
response is serialized: the UpdateService answer already shows the new PRIMARY deployment
and the old one ACTIVE. Other accounts get moto's behaviour unchanged.

The wrappers also fix two answers: a task definition given by family alone is resolved to
its latest revision's ARN, and a partial deploymentConfiguration is merged into the
service's current one instead of replacing it.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol

_listeners: dict[tuple[str, str], Listener] = {}
_installed = False


class Listener(Protocol):
    """The simulator side of the hooks (one per account and region)."""

    def service_updated(
        self, service: Any, before_task_definition: str | None, forced: bool
    ) -> None: ...

    def service_created(self, service: Any) -> None: ...

    def service_deleted(self, service: Any) -> None: ...

    def stop_task(self, cluster: str, task_id: str, reason: str | None) -> Any | None: ...

    def lock(self) -> Any: ...


def register(account_id: str, region: str, listener: Listener) -> None:
    _listeners[(account_id, region)] = listener


def unregister(account_id: str, region: str) -> None:
    _listeners.pop((account_id, region), None)


def install() -> None:
    """Wrap moto's ECS backend methods (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.ecs.models import EC2ContainerServiceBackend as Backend

    original_update = Backend.update_service
    original_create = Backend.create_service
    original_delete = Backend.delete_service
    original_stop = Backend.stop_task

    def update_service(self: Any, properties: dict[str, Any]) -> Any:
        listener = _listeners.get((self.account_id, self.region_name))
        if listener is None:
            return original_update(self, properties)
        with listener.lock():
            cluster = properties.get("cluster", "default")
            name = str(properties.get("service", "")).split("/")[-1]
            service = self._get_service(cluster, name)
            before = service.task_definition
            forced = bool(properties.get("force_new_deployment"))
            config = copy.deepcopy(getattr(service, "deployment_configuration", None))
            saved = [
                (d, d.get("id"), d.get("createdAt"), d.get("updatedAt"))
                for d in service.deployments
            ]
            result = original_update(self, dict(properties))
            for deployment, ident, created, updated in saved:  # undo moto's in-place rename
                deployment.update(id=ident, createdAt=created, updatedAt=updated)
            if properties.get("task_definition"):
                service.task_definition = self.describe_task_definition(service.task_definition).arn
            change = properties.get("deployment_configuration")
            if change is not None:
                service.deployment_configuration = {**(config or {}), **change}
            listener.service_updated(service, before, forced)
            return result

    def create_service(self: Any, *args: Any, **kwargs: Any) -> Any:
        service = original_create(self, *args, **kwargs)
        listener = _listeners.get((self.account_id, self.region_name))
        if listener is not None:
            with listener.lock():
                if service.task_definition:
                    arn = self.describe_task_definition(service.task_definition).arn
                    service.task_definition = arn
                    for deployment in service.deployments:
                        deployment["taskDefinition"] = arn
                listener.service_created(service)
        return service

    def delete_service(self: Any, cluster_name: str, service_name: str, force: bool) -> Any:
        service = original_delete(self, cluster_name, service_name, force)
        listener = _listeners.get((self.account_id, self.region_name))
        if listener is not None:
            with listener.lock():
                listener.service_deleted(service)
        return service

    def stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
        listener = _listeners.get((self.account_id, self.region_name))
        if listener is not None:
            with listener.lock():
                cluster = self._get_cluster(cluster_str)
                task = listener.stop_task(cluster.name, task_str.split("/")[-1], reason)
                if task is not None:
                    return task
        return original_stop(self, cluster_str, task_str, reason)

    for name, function in (
        ("update_service", update_service),
        ("create_service", create_service),
        ("delete_service", delete_service),
        ("stop_task", stop_task),
    ):
        setattr(Backend, name, function)
    _installed = True
