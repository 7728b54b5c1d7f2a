"""Input checks before planning. Image cases come from the reference grammar of
github.com/distribution/reference (reference.go, and the cases of its reference_test.go)
and the OCI image spec's digest rules; numeric bounds from AWS (ELBv2's deregistration
delay is 0-3600 s) and from what a number of seconds or a share can be."""

from __future__ import annotations

import pytest

from opskit.changes import validate
from opskit.errors import UsageError

SHA = "sha256:" + "f" * 64

VALID = [
    "test_com",
    "test.com:tag",
    "test.com:5000",
    "test.com/repo:tag",
    "test:5000/repo",
    "test:5000/repo:tag",
    f"test:5000/repo@{SHA}",
    f"test:5000/repo:tag@{SHA}",
    "lowercase:Uppercase",
    "sub-dom1.foo.com/bar/baz/quux",
    "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
    "b.gcr.io/test.example.com/my-app:test.example.com",
    "xn--n3h.com/myimage:xn--n3h.com",
    "foo_bar.com:8080",
    "foo/foo_bar.com:8080",
    "localhost:5000/a/b:latest",
    "[2001:db8::1]:5000/repo",
    "a/a__b",
    "a/a-b",
    "a/a--b",
    "ghcr.io/acme/api:1.43.0",
    "repo:" + "a" * 128,
]

INVALID = [
    "",
    ":justtag",
    f"@{SHA}",
    "repo@sha256:ffffffffffffffffffffffffffffffff" + "f" * 31,  # sha256: 64 hex, not 63
    "repo@sha256:fff",  # a digest is at least 32 hex
    "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag",
    "aa/asdf$$^/aa",
    "evil repo:1.0",
    "repo:" + "a" * 129,  # a tag is at most 128 characters
    "repo:-tag",  # a tag starts with a word character
    "a/a_-b",  # one separator between components
    "a/a.",  # a component ends alphanumeric
    "/repo",
    "repo/",
    "a" * 256,  # a name is at most 255 characters
    "repo:tag\n",
    "repo:t\u00e4g",  # \\w is ASCII in the grammar
]


@pytest.mark.parametrize("reference", VALID)
def test_valid_references(reference: str) -> None:
    assert validate.image_reference(reference) == reference


@pytest.mark.parametrize("reference", INVALID)
def test_invalid_references(reference: str) -> None:
    with pytest.raises(UsageError, match="--image"):
        validate.image_reference(reference)


@pytest.mark.parametrize(
    "spec",
    ["1.43.0", "latest", "api=1.43.0", "api=ghcr.io/acme/api:2", f"ghcr.io/acme/api@{SHA}"],
)
def test_image_specs_accept_tags_references_and_containers(spec: str) -> None:
    assert validate.image_spec(spec) == spec


@pytest.mark.parametrize(
    "spec", ["evil repo:1.0", "", "api=", "=1.0", "bad name=1.0", "-tag", "a b", "x=evil/X:1"]
)
def test_image_specs_refuse(spec: str) -> None:
    with pytest.raises(UsageError):
        validate.image_spec(spec)


def test_numbers() -> None:
    nan, inf = float("nan"), float("inf")
    for bad in (0.0, -1.0, nan, inf, 86401.0):
        with pytest.raises(UsageError, match="--timeout"):
            validate.timeout(bad)
    assert validate.timeout(1.5) == 1.5 and validate.timeout(None) is None
    for bad in (-1.0, nan, -inf, 3601.0):
        with pytest.raises(UsageError, match="--pause"):
            validate.pause(bad)
    assert validate.pause(0.0) == 0.0
    for bad in (-0.01, 1.01, nan):
        with pytest.raises(UsageError, match="--max-error-rate"):
            validate.error_rate(bad)
    for bad_seconds in (-1, 3601):
        with pytest.raises(UsageError, match="--seconds"):
            validate.deregistration_delay(bad_seconds)
    assert validate.deregistration_delay(0) == 0 and validate.deregistration_delay(3600) == 3600
    with pytest.raises(UsageError, match="--revision"):
        validate.revision(0)
    with pytest.raises(UsageError, match="--access ''"):
        validate.access("", ["read", "deploy", "admin"])


@pytest.mark.parametrize("steps", ["50,5", "5,5", "0,50", "1,101", "", "1,,5", "x", "-5,10"])
def test_bad_steps(steps: str) -> None:
    with pytest.raises(UsageError, match="--steps"):
        validate.steps(steps)


def test_good_steps() -> None:
    assert validate.steps("1,5,25,50,100") == (1, 5, 25, 50, 100)
    assert validate.steps(None) == ()
