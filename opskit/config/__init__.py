"""environments.toml: the one config file, as a typed, validated model."""

from opskit.config.load import FILE_NAME, find_config_path, load_config, parse_config
from opskit.config.model import (
    Cluster,
    Config,
    Environment,
    Hosts,
    Ops,
    Service,
    Size,
    TrafficShift,
)

__all__ = [
    "FILE_NAME",
    "Cluster",
    "Config",
    "Environment",
    "Hosts",
    "Ops",
    "Service",
    "Size",
    "TrafficShift",
    "find_config_path",
    "load_config",
    "parse_config",
]
