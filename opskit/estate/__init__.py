"""The estate: a read model of every environment's ECS, ELB, DNS and utilization.

``model`` holds the immutable values; ``collect`` reads them concurrently with AWS's page
and batch limits; ``drift`` compares two environments; ``logs`` reads container logs.
Importing this package is cheap (no boto3): submodules load what they need.
"""

from opskit.estate.model import (
    ClusterState,
    ContainerDefinition,
    ContainerMetrics,
    ContainerState,
    ContainerUsage,
    DeploymentState,
    Depth,
    DnsRecord,
    EnvironmentState,
    HealthSummary,
    InstanceState,
    LoadBalancerBinding,
    LoadBalancerState,
    ScheduledTask,
    Series,
    ServiceEvent,
    ServiceState,
    Snapshot,
    StopKind,
    TargetGroupState,
    TargetState,
    TaskDefinitionState,
    TaskState,
    Utilization,
)

__all__ = [
    "ClusterState",
    "ContainerDefinition",
    "ContainerMetrics",
    "ContainerState",
    "ContainerUsage",
    "DeploymentState",
    "Depth",
    "DnsRecord",
    "EnvironmentState",
    "HealthSummary",
    "InstanceState",
    "LoadBalancerBinding",
    "LoadBalancerState",
    "ScheduledTask",
    "Series",
    "ServiceEvent",
    "ServiceState",
    "Snapshot",
    "StopKind",
    "TargetGroupState",
    "TargetState",
    "TaskDefinitionState",
    "TaskState",
    "Utilization",
]
