"""Strict JSON (docs/contracts/README.md, bad input): duplicate keys, nesting, constants."""

from __future__ import annotations

import json

import pytest

from geste.rules.jsonin import MAX_DEPTH, JsonInputError, deep_path, loads


def _nest(levels: int) -> str:
    """A case whose field x holds arrays so that the deepest container is at ``levels``."""
    return '{"x": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize(
    ("text", "array", "line", "index", "field", "words"),
    [
        ('{"a": 1, "a": 2}', False, 1, None, "a", 'duplicate key "a"'),
        ('{"p": {"age": 1,\n "age": 2}}', False, 2, None, "p.age", "duplicate key"),
        ('[{"id": "x"},\n {"m": [{"d": 1, "d": 2}]}]', True, 2, 1, "m[0].d", "duplicate key"),
        ('{"a": {"b": 1}, "c": {"b": 1}}', False, None, None, None, None),  # same key, two objects
        ('{"a": NaN}', False, 1, None, "", "not valid JSON"),
        ('{"a": -Infinity}', False, 1, None, "", "not valid JSON"),
        ('{"a": 1', False, 1, None, "", "not valid JSON"),
        ('{"a": ' + "9" * 5000 + "}", False, 1, None, "", "not valid JSON"),
        ("[" * 5000 + "]" * 5000, False, 1, None, "[0][0][0]", "nesting deeper than 32"),
        ('{"x": ' + '{"y": ' * 5000 + "1" + "}" * 5000 + "}", False, 1, None, "x.y.y", "nesting"),
        ("[" + '{"a": ' * 5000 + "1" + "}" * 5000 + "]", True, 1, 0, "a.a.a", "nesting deeper"),
    ],
)
def test_loads_refuses_with_the_place(
    text: str,
    array: bool,
    line: int | None,
    index: int | None,
    field: str | None,
    words: str | None,
) -> None:
    if words is None:
        loads(text, array=array)
        return
    with pytest.raises(JsonInputError) as err:
        loads(text, array=array)
    e = err.value
    assert (e.line, e.index) == (line, index)
    assert e.field.startswith(field or "") and (field or not e.field)
    assert words in e.message


def test_deep_path_boundary() -> None:
    assert deep_path(json.loads(_nest(MAX_DEPTH))) is None
    path = deep_path(json.loads(_nest(MAX_DEPTH + 1)))
    assert path is not None and path.startswith("x[0][0]") and path.endswith("...")
    assert deep_path(json.loads(_nest(8))) is None
    assert deep_path({"a": {"b": [[1]]}}) is None
    assert deep_path({"id": "a", "medications": [{"drug": "x"}]}) is None
    assert deep_path(json.loads("[" * 900 + "]" * 900)) is not None  # iterative: no recursion
