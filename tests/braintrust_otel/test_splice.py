"""A row's already-encoded values land in its JSON as a plain encode would put them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from braintrust_otel.serialize import RawJson, dumps


@pytest.mark.parametrize("row", [
    {"input": RawJson('[{"role":"user","content":"hi"}]')},
    {"id": "r1", "input": RawJson('{"a":1}'), "metrics": {"start": 1.5},
     "output": RawJson('"text"'), "tags": ["x"]},
    {"input": RawJson("null"), "output": RawJson("[]"), "expected": RawJson("3")},
    {"id": "é ☃", "input": RawJson('"é"'), 7: "non-str key"},
])
def test_spliced_row_is_the_plain_encoding(row: dict[Any, Any]) -> None:
    plain = {k: (v.value() if isinstance(v, RawJson) else v) for k, v in row.items()}
    text = dumps(row)
    assert json.loads(text) == json.loads(dumps(plain))
    # Through orjson the row keeps its order; the standard path's splice
    # (rows orjson refuses: here the non-str key) moves the spliced keys last.
    order = [str(k) for k, v in row.items() if not isinstance(v, RawJson)]
    order += [k for k, v in row.items() if isinstance(v, RawJson)]
    assert list(json.loads(text)) in ([str(k) for k in row], order)


def test_nested_and_careful_path_values() -> None:
    nested = {"a": {"b": RawJson('[1,{"c":"x"}]')}, "n": float("nan"),
              "input": RawJson('{"k":"v"}')}
    assert json.loads(dumps(nested)) == {"a": {"b": [1, {"c": "x"}]}, "n": "NaN",
                                         "input": {"k": "v"}}
    assert dumps({"input": RawJson("[2]")}) == '{"input":[2]}'
