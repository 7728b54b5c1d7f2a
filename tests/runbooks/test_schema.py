"""The parameter language of runbooks: tags in the help comment, types, ``-p`` pairs."""

from __future__ import annotations

import pytest

from opskit.errors import UsageError
from opskit.runbooks.schema import parse_assignments, parse_param


def test_tags_are_read_and_removed_from_the_help() -> None:
    param = parse_param("count", "int", "2", "desired tasks [required] [min: 0] [max: 10]", "scale")
    assert (param.required, param.minimum, param.maximum) == (True, 0, 10)
    assert param.help == "desired tasks"
    assert param.default == 2


def test_allowed_values_static_and_dynamic() -> None:
    static = parse_param("mode", "str", '"a"', "how [allowed: a|b | c]", "rb")
    assert static.allowed == ("a", "b", "c") and static.dynamic is None
    dynamic = parse_param("env", "str", '"dev"', "where [allowed: @envs]", "rb")
    assert dynamic.dynamic == "@envs"


@pytest.mark.parametrize(
    ("type_name", "default", "help_text", "expected"),
    [
        ("dict", "{}", "", "type 'dict' is not one of"),
        ("str", "os.environ['X']", "", "is not a literal"),
        ("str", '"a"', "[allowed: @nowhere]", "use a|b|c or one of"),
        ("int", "1", "[min: lots]", "min 'lots' is not a number"),
    ],
)
def test_a_bad_parameter_cell_is_one_line(
    type_name: str, default: str, help_text: str, expected: str
) -> None:
    with pytest.raises(UsageError, match=expected) as caught:
        parse_param("p", type_name, default, help_text, "rb")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("type_name", "raw", "value"),
    [
        ("int", " 7 ", 7),
        ("float", "0.5", 0.5),
        ("bool", "yes", True),
        ("bool", "OFF", False),
        ("str", "1.43.0", "1.43.0"),
        ("list[str]", "api, web,", ["api", "web"]),
        ("list[int]", "5,25, 100", [5, 25, 100]),
        ("float", 3, 3.0),
        ("list[int]", [1, 2], [1, 2]),
    ],
)
def test_values_convert_to_the_declared_type(type_name: str, raw: object, value: object) -> None:
    assert parse_param("p", type_name, "None", "", "rb").convert(raw, "rb") == value


@pytest.mark.parametrize(
    ("type_name", "raw"),
    [("int", "ten"), ("bool", "maybe"), ("float", "fast"), ("list[int]", "1,two"), ("int", True)],
)
def test_wrong_types_are_refused(type_name: str, raw: object) -> None:
    with pytest.raises(UsageError, match="parameter 'p': expected"):
        parse_param("p", type_name, "None", "", "rb").convert(raw, "rb")


def test_bounds_apply_to_numbers_and_list_items() -> None:
    steps = parse_param("steps", "list[int]", "[]", "[min: 1] [max: 100]", "rb")
    steps.check_bounds([1, 100], "rb")
    with pytest.raises(UsageError, match="150 is above the maximum 100"):
        steps.check_bounds([5, 150], "rb")


def test_assignments() -> None:
    assert parse_assignments(["a=1", "b=x=y", "c="], "rb") == {"a": "1", "b": "x=y", "c": ""}
    for bad, message in [
        (["novalue"], "expected key=value"),
        (["a=1", "a=2"], "given twice"),
        (["apply=true"], "with --apply"),
        (["env=dev"], "with --env"),
        (["1x=2"], "expected key=value"),
    ]:
        with pytest.raises(UsageError, match=message):
            parse_assignments(bad, "rb")
