"""Drift rules (pure): what counts as a difference and what never does."""

from __future__ import annotations

from opskit.estate.drift import Shape, compare
from opskit.estate.model import ContainerDefinition, TaskDefinitionState


def _shape(**changes: object) -> Shape:
    container = ContainerDefinition(
        name="api",
        image="ghcr.io/acme/api:1.42.0",
        tag="1.42.0",
        cpu=1024,
        memory=2048,
        ports=(8080,),
        env_names=("FEATURE_FLAGS", "LOG_LEVEL"),
        secret_names=("DATABASE_PASSWORD",),
        health_check=("CMD-SHELL", "curl -f localhost:8080/healthz"),
    )
    fields = {k: v for k, v in changes.items() if k in ContainerDefinition.__dataclass_fields__}
    container = ContainerDefinition(**{**container.__dict__, **fields})
    definition = TaskDefinitionState("arn", "api", 1, "1024", "2048", (container,))
    groups = changes.get("groups", (("8080", "HTTP", "/healthz", "300"),))
    return Shape("api", definition, groups)  # type: ignore[arg-type]


def test_size_is_not_drift() -> None:
    assert list(compare("api", _shape(), _shape(cpu=256, memory=512))) == []


def test_every_other_difference_is_reported() -> None:
    b = _shape(
        image="ghcr.io/acme/api:1.43.0",
        tag="1.43.0",
        ports=(9090,),
        env_names=("LOG_LEVEL", "NEW_FLAG"),
        health_check=("CMD-SHELL", "curl -f localhost:9090/ping"),
        groups=(("9090", "HTTP", "/ping", "60"),),
    )
    found = {d.what: (d.a, d.b) for d in compare("api", _shape(), b)}
    assert found["api: image tag"] == ("1.42.0", "1.43.0")
    assert found["api: env var names"] == ("FEATURE_FLAGS", "NEW_FLAG")
    assert found["api: ports"] == ("8080", "9090")
    assert "api: health check" in found
    assert found["health check path"] == ("/healthz", "/ping")
    assert found["draining"] == ("300 s", "60 s")
    assert found["target group port"] == ("8080", "9090")


def test_registries_may_differ_per_account_but_repositories_may_not() -> None:
    a = _shape(image="222222222222.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.42.0")
    b = _shape(image="444444444444.dkr.ecr.eu-west-1.amazonaws.com/acme/api:1.42.0")
    assert list(compare("api", a, b)) == []
    c = _shape(image="ghcr.io/acme/api-next:1.42.0")
    assert [d.what for d in compare("api", _shape(), c)] == ["api: image"]
