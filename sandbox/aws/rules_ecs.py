"""ECS as AWS answers it: page sizes, nextToken paging, batch limits, ListTasks filters.

moto 5.2.5 returns every item of a List* call in one page with no nextToken, accepts any
number of names in Describe* calls, keeps deleted (INACTIVE) clusters and services in
ListClusters and ListServices, ignores ListTaskDefinitionFamilies' ``status``, matches a
service's or task's cluster by substring (cluster "api" also lists "internal-api"'s), and
ListTasks ignores ``serviceName`` and lists stopped tasks by default. AWS:

- ListServices pages 10 by default, ListClusters/ListTasks/ListContainerInstances/
  ListTaskDefinitions/ListTaskDefinitionFamilies 100; ``maxResults`` 1..100.
- DescribeServices takes at most 10 services, DescribeTasks, DescribeClusters and
  DescribeContainerInstances at most 100 (InvalidParameterException otherwise).
- ListClusters and ListServices list live clusters and services only (deleted ones stay
  visible to Describe* for a while), ListServices of exactly that cluster.
- ListTaskDefinitionFamilies with status ACTIVE lists families with an active revision,
  INACTIVE those without one (both by default).
- ListTasks lists the tasks of exactly that cluster, of ``serviceName`` if given (the
  service's tasks carry the group ``service:NAME``), with desiredStatus RUNNING unless
  another is asked for.
- DescribeClusters returns a cluster's ``settings`` (``containerInsights``) only with
  ``include=SETTINGS`` (moto: always); UpdateClusterSettings (missing in moto) sets them.
- DescribeTaskDefinition with a bare family describes its latest ACTIVE revision (moto:
  the highest revision, even a deregistered one); ``ClientException`` when none is active.
"""

from __future__ import annotations

from typing import Any

from sandbox.aws import paging
from sandbox.aws.overrides import AwsApiError, AwsCall, Handler, override

# operation -> (result key, default page size, largest page size)
PAGED = {
    "ListClusters": ("clusterArns", 100, 100),
    "ListServices": ("serviceArns", 10, 100),
    "ListTasks": ("taskArns", 100, 100),
    "ListContainerInstances": ("containerInstanceArns", 100, 100),
    "ListTaskDefinitions": ("taskDefinitionArns", 100, 100),
    "ListTaskDefinitionFamilies": ("families", 100, 100),
}
# operation -> (parameter, most names per call)
BATCHES = {
    "DescribeServices": ("services", 10),
    "DescribeTasks": ("tasks", 100),
    "DescribeClusters": ("clusters", 100),
    "DescribeContainerInstances": ("containerInstances", 100),
}


def invalid_parameter(message: str) -> AwsApiError:
    return AwsApiError("InvalidParameterException", message)


def _paged(operation: str, key: str, default: int, maximum: int) -> Handler:
    def handler(call: AwsCall) -> dict[str, Any]:
        params = dict(call.params)
        size = paging.page_size(
            params.pop("maxResults", None), default, maximum, "maxResults", invalid_parameter
        )
        token = params.pop("nextToken", None)
        offset = paging.decode_token(token, operation, invalid_parameter) if token else 0
        narrow = _NARROW.get(operation)
        items = narrow(call, params) if narrow else list(call.forward(params).get(key, []))
        chunk, next_token = paging.page(items, offset, size, operation)
        result: dict[str, Any] = {key: chunk}
        if next_token:
            result["nextToken"] = next_token
        return result

    handler.__name__ = f"ecs_{operation}"
    return override("ecs", operation)(handler)


def _list_clusters(call: AwsCall, params: dict[str, Any]) -> list[str]:
    arns = list(call.forward(params).get("clusterArns", []))
    live = {c.arn for c in call.backend().clusters.values() if c.status == "ACTIVE"}
    return [arn for arn in arns if arn in live]


def _list_services(call: AwsCall, params: dict[str, Any]) -> list[str]:
    arns = list(call.forward(params).get("serviceArns", []))
    backend = call.backend()
    cluster = backend._get_cluster(params.get("cluster") or "default")
    live = {
        service.arn
        for key, service in backend.services.items()
        if key.partition(":")[0] == cluster.name and service.status != "INACTIVE"
    }
    return [arn for arn in arns if arn in live]


def _list_families(call: AwsCall, params: dict[str, Any]) -> list[str]:
    status = params.pop("status", None)
    families = list(call.forward(params).get("families", []))
    if status not in ("ACTIVE", "INACTIVE"):
        return families
    revisions = call.backend().task_definitions
    active = {f for f in families if any(d.status == "ACTIVE" for d in revisions[f].values())}
    return [f for f in families if (f in active) == (status == "ACTIVE")]


def _list_tasks(call: AwsCall, params: dict[str, Any]) -> list[str]:
    service = params.pop("serviceName", None)
    params.setdefault("desiredStatus", "RUNNING")
    arns = list(call.forward(params).get("taskArns", []))
    backend = call.backend()
    cluster = backend._get_cluster(params.get("cluster") or "default")
    group = None
    if service is not None:
        name = str(service).split("/")[-1]
        if f"{cluster.name}:{name}" not in backend.services:
            raise AwsApiError("ServiceNotFoundException", "Service not found.")
        group = f"service:{name}"
    mine = {
        task.task_arn
        for task in backend.tasks.get(cluster.name, {}).values()
        if group is None or task.group == group
    }
    return [arn for arn in arns if arn in mine]


_NARROW = {
    "ListClusters": _list_clusters,
    "ListServices": _list_services,
    "ListTaskDefinitionFamilies": _list_families,
    "ListTasks": _list_tasks,
}


def _batch(operation: str, name: str, limit: int) -> Handler:
    def handler(call: AwsCall) -> dict[str, Any] | None:
        paging.batch_limit(call.params.get(name), limit, name, invalid_parameter)
        if operation == "DescribeClusters" and "SETTINGS" not in (call.params.get("include") or []):
            answer = dict(call.forward(dict(call.params)))
            for cluster in answer.get("clusters", []):
                cluster.pop("settings", None)  # AWS: only with include=SETTINGS
            return answer
        return None  # within the limit: moto answers the original request

    handler.__name__ = f"ecs_{operation}"
    return override("ecs", operation)(handler)


for _operation, (_key, _default, _maximum) in PAGED.items():
    _paged(_operation, _key, _default, _maximum)
for _operation, (_name, _limit) in BATCHES.items():
    _batch(_operation, _name, _limit)


@override("ecs", "DescribeTaskDefinition")
def describe_task_definition(call: AwsCall) -> dict[str, Any] | None:
    name = str(call.params.get("taskDefinition", "")).rsplit("/", 1)[-1]
    if not name or ":" in name:
        return None  # family:revision or a full ARN: moto answers it as AWS does
    revisions = call.backend().task_definitions.get(name, {})
    active = [number for number, d in revisions.items() if d.status == "ACTIVE"]
    if not active:
        raise AwsApiError("ClientException", "Unable to describe task definition.")
    return call.forward({**call.params, "taskDefinition": f"{name}:{max(active)}"})


INSIGHTS_VALUES = ("enhanced", "enabled", "disabled")


@override("ecs", "UpdateClusterSettings")
def update_cluster_settings(call: AwsCall) -> dict[str, Any]:
    """moto lacks it: set ``containerInsights`` (the one cluster setting AWS has) and answer
    with the cluster and its settings, as AWS does."""
    backend = call.backend()
    name = str(call.params.get("cluster") or "default").rsplit("/", 1)[-1]
    cluster = backend.clusters.get(name)
    if cluster is None or cluster.status != "ACTIVE":
        raise AwsApiError("ClusterNotFoundException", "Cluster not found.")
    current = {s["name"]: dict(s) for s in cluster.settings or []}
    for setting in call.params.get("settings") or []:
        key, value = setting.get("name"), setting.get("value")
        if key != "containerInsights" or value not in INSIGHTS_VALUES:
            raise invalid_parameter(
                f"Invalid setting {key}={value}: containerInsights takes "
                + ", ".join(INSIGHTS_VALUES)
            )
        current[key] = {"name": key, "value": value}
    cluster.settings = list(current.values())
    return {
        "cluster": {
            "clusterArn": cluster.arn,
            "clusterName": cluster.name,
            "status": cluster.status,
            "settings": list(cluster.settings),
        }
    }
