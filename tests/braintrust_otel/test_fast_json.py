"""orjson encodes what it can, and every rule of ``serialize.dumps`` still holds.

Each test runs twice: through orjson ("orjson") and with orjson taken away
("standard", the path for values orjson refuses and for Pythons without it).
The orjson run of a guarantee test fails if its guard is missing: orjson
alone writes NaN as null, and refuses big ints, odd keys, surrogates, cycles.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from braintrust_otel import serialize
from braintrust_otel.serialize import JsonText, RawJson, decode, dumps, json_text, loads

NAN, INF = float("nan"), float("inf")


@pytest.fixture(params=["orjson", "standard"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "standard":
        monkeypatch.setattr(serialize, "_orjson_dumps", None)
        monkeypatch.setattr(serialize, "_orjson_loads", None)
    else:
        assert serialize._orjson_dumps is not None, "orjson is a dependency"
        assert serialize._orjson_loads is not None
    yield request.param


def _standard(value: Any) -> str:
    # What dumps gave before orjson: the reference the orjson path must match.
    fast, serialize._orjson_dumps = serialize._orjson_dumps, None  # type: ignore[assignment]
    try:
        return dumps(value)
    finally:
        serialize._orjson_dumps = fast


def _took_orjson(value: Any) -> bool:
    return serialize._fast(value) is not None


# -- NaN and infinities: strings, wherever they are --------------------------------------

@dataclasses.dataclass
class Point:
    x: float
    label: str | None = None


class Level(enum.Enum):
    LOW = 0.5
    UNKNOWN = float("nan")


class Ratio(float):
    pass


Pair = collections.namedtuple("Pair", "a b")


class Box(Mapping[str, Any]):
    def __init__(self, **items: Any) -> None:
        self._items = items

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@pytest.mark.parametrize(("value", "text"), [
    (NAN, '"NaN"'),
    (-INF, '"-Infinity"'),
    ([None, NAN], '[null,"NaN"]'),
    ({"a": None, "b": INF}, '{"a":null,"b":"Infinity"}'),
    ({"a": [{"b": [1, {"c": (None, -INF)}]}]}, '{"a":[{"b":[1,{"c":[null,"-Infinity"]}]}]}'),
    ({"deep": [[[[[[[[[[NAN]]]]]]]]]]}, '{"deep":[[[[[[[[[["NaN"]]]]]]]]]]}'),
    ([{"role": "user", "score": NAN}], '[{"role":"user","score":"NaN"}]'),
    ({"m": {"start": 1.5, "end": INF}}, '{"m":{"start":1.5,"end":"Infinity"}}'),
    (Point(NAN), '{"x":"NaN","label":null}'),
    ({"level": Level.UNKNOWN}, '{"level":"NaN"}'),
    (Ratio(NAN), '"NaN"'),
    (Pair(NAN, None), '["NaN",null]'),
    (Box(v=INF, w=None), '{"v":"Infinity","w":null}'),
    (decimal.Decimal("NaN"), '"NaN"'),
    ({"r": RawJson('{"k":null}'), "n": NAN}, '{"n":"NaN","r":{"k":null}}'),
], ids=["top", "-inf", "beside-null", "in-dict", "nested", "ten-deep", "in-listed-dict",
        "in-dict-in-dict", "dataclass", "enum",
        "float-subclass", "named-tuple", "mapping", "decimal", "row-with-raw"])
def test_nan_and_infinities_become_strings_at_any_depth(path: str, value: Any, text: str) -> None:
    assert dumps(value) == text
    assert json_text(value) == text
    assert not _took_orjson(value)


def test_numpy_nan_becomes_a_string(path: str) -> None:
    np = pytest.importorskip("numpy")
    assert dumps({"s": np.float64("nan"), "a": np.array([1.0, np.inf])}) == \
        '{"s":"NaN","a":[1.0,"Infinity"]}'
    assert dumps({"s": np.float64(0.25), "i": np.int64(3), "b": np.bool_(True)}) == \
        '{"s":0.25,"i":3,"b":true}'


@pytest.mark.parametrize("value", [
    None,
    {"a": None, "b": 1.5},
    [{"role": "assistant", "content": None, "tool_calls": None}],
    {"text": "null and void", "n": 0.0, "m": -2.5e-7},
    Point(1.0),
])
def test_null_and_finite_floats_take_orjson(value: Any) -> None:
    # A null, or a float, alone does not send the value to the slower path.
    assert json.loads(dumps(value)) == json.loads(_standard(value))
    assert _took_orjson(value)


def test_nan_in_what_default_returns_is_caught() -> None:
    # orjson encodes what default returns itself: the guard checks it there.
    class Model:
        def model_dump(self) -> Any:
            return {"score": NAN, "note": None}

    assert dumps({"m": Model()}) == '{"m":{"score":"NaN","note":null}}'


# -- what orjson refuses takes the standard path, unchanged --------------------------------

@pytest.mark.parametrize(("value", "text"), [
    (2**64, "18446744073709551616"),
    (-(2**63) - 1, "-9223372036854775809"),
    ({"n": [2**100]}, '{"n":[1267650600228229401496703205376]}'),
    ({7: "a", 2.5: "b", None: "c", False: "d"}, '{"7":"a","2.5":"b","null":"c","false":"d"}'),
    ({"k": {("t",): 1}}, '{"k":{"(\'t\',)":1}}'),
    ("bad \ud800", '"bad \ud800"'),
    ({"k\udc80": "v"}, '{"k\udc80":"v"}'),
], ids=["2**64", "below-int64", "2**100", "non-str-keys", "tuple-key", "surrogate",
        "surrogate-key"])
def test_values_orjson_refuses_encode_as_before(path: str, value: Any, text: str) -> None:
    assert dumps(value) == text
    assert not _took_orjson(value)


def test_ints_too_big_to_print_become_markers(path: str) -> None:
    assert loads(dumps({"n": 10**5000}))["n"].startswith("<int of 5001 digits")


def test_cycles_and_deep_nesting(path: str) -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert dumps(loop) == '[1,"<circular reference>"]'
    mapping: dict[str, Any] = {}
    mapping["self"] = mapping
    assert dumps(mapping) == '{"self":"<circular reference>"}'
    deep: list[Any] = []
    cur = deep
    for _ in range(300):  # past orjson's 254 levels: all of it, as before
        cur.append([])
        cur = cur[0]
    assert dumps(deep) == "[" * 301 + "]" * 301


# -- odd objects: the same conversions as before -----------------------------------------

@dataclasses.dataclass
class WithPrivate:
    name: str
    _secret: int = 7
    when: datetime.date = datetime.date(2024, 5, 6)


class Color(enum.Enum):
    RED = "red"


class Flag(str, enum.Enum):
    ON = "on"


class Hooked:
    def __braintrust_json__(self) -> Any:
        return {"ref": "x", "size": 1.5}


class Broken:
    def model_dump(self) -> Any:
        raise RuntimeError("no")

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


def _odd_values() -> list[Any]:
    extra = WithPrivate("a")
    extra.added = "not a field"  # type: ignore[attr-defined]
    tz = datetime.timezone(datetime.timedelta(hours=2))
    return [
        extra,
        datetime.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=tz),
        datetime.datetime(2024, 1, 2, 3, 4, 5),
        datetime.time(1, 2, 3, tzinfo=datetime.timezone.utc),
        datetime.timedelta(minutes=1, microseconds=5),
        uuid.UUID(int=12345),
        Color.RED,
        Flag.ON,
        {3, 1, 2},
        frozenset({"b", "a"}),
        b"\x00\x01",
        bytearray(b"abc"),
        Pair(1, "x"),
        Ratio(0.125),
        Box(a=1, b=[None]),
        decimal.Decimal("2.5"),
        Hooked(),
        Broken(),
        {"t": (1, (2, 3)), "j": JsonText('{"a":1}')},
    ]


@pytest.mark.parametrize("value", _odd_values(), ids=lambda v: type(v).__name__)
def test_odd_objects_encode_as_the_standard_path_does(value: Any) -> None:
    assert dumps(value) == _standard(value)
    assert dumps({"in": [value]}) == _standard({"in": [value]})


def test_a_dataclass_encodes_its_fields_only() -> None:
    value = _odd_values()[0]
    assert dumps(value) == '{"name":"a","_secret":7,"when":"2024-05-06"}'
    assert _took_orjson(value)


class Hostile:
    def __braintrust_json__(self) -> Any:
        raise RuntimeError("hook fails")

    def __repr__(self) -> str:
        raise RuntimeError("repr fails")


class InterruptedOnce:
    """Ctrl-C arriving while a conversion runs: the next call would succeed."""

    def __init__(self) -> None:
        self.calls = 0

    def model_dump(self) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise KeyboardInterrupt
        return {"ok": True}


def test_an_interrupt_in_a_conversion_is_not_swallowed(path: str) -> None:
    # orjson wraps what default raised in its own error; an interrupt is
    # still the user's (as with the standard encoder), not a bad value to
    # retry on the standard path.
    value = InterruptedOnce()
    with pytest.raises(KeyboardInterrupt):
        dumps({"m": value})
    assert value.calls == 1


def test_never_raises(path: str) -> None:
    assert dumps({"h": Hostile()}) == '{"h":"<unrepresentable Hostile>"}'



@pytest.mark.parametrize("wrap", [lambda f: f, lambda f: {"input": f},
                                  lambda f: [1, {"m": {"k": f}}], lambda f: ("t", [f])])
def test_a_users_orjson_fragment_cannot_corrupt_the_json(path: str, wrap: Any) -> None:
    # orjson would insert a Fragment's text unchecked: a logged one with bad
    # text must not make the row (and every read of it) invalid JSON.
    import orjson

    text = dumps(wrap(orjson.Fragment("not json {")))
    assert "not json" not in text
    assert "<orjson.Fragment object" in json.dumps(json.loads(text))

# -- already-encoded values and the JsonText mark --------------------------------------

def test_raw_json_is_spliced_unread(path: str) -> None:
    # The text goes in as written (spaces and all): nothing decoded it.
    row = {"id": "r", "input": RawJson('{"a": [1, null]}'),
           "output": RawJson(json_text({"b": 2})), "metrics": {"start": 1.5}}
    text = dumps(row)
    assert '"input":{"a": [1, null]}' in text and '"output":{"b":2}' in text
    assert json.loads(text) == {"id": "r", "input": {"a": [1, None]}, "output": {"b": 2},
                                "metrics": {"start": 1.5}}


def test_orjson_keeps_the_row_order() -> None:
    row = {"id": "r", "input": RawJson("[1]"), "tags": ["x"]}
    assert dumps(row) == '{"id":"r","input":[1],"tags":["x"]}'


def test_raw_json_below_the_top_level_is_its_value(path: str) -> None:
    assert json.loads(dumps({"deep": {"in": RawJson("[1, 2]")}})) == {"deep": {"in": [1, 2]}}


def test_json_text_is_marked_and_equal_to_dumps(path: str) -> None:
    for value in ({"é": "☃", "n": None}, [NAN], "plain", {"s": "\ud83d\ude00"}):
        text = json_text(value)
        # Lone surrogates (valid in a str, not in UTF-8) leave the text a
        # plain str: every JsonText is valid UTF-8 (record_json relies on it).
        surrogates = value == {"s": "\ud83d\ude00"}
        assert type(text) is (str if surrogates else JsonText)
        assert text == dumps(value)
        assert json.loads(text) == json.loads(_standard(value))


# -- decoding: orjson where it gives the same value ---------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ('{"n":12345678901234567890123}', {"n": 12345678901234567890123}),
    ("[-9999999999999999999, 1]", [-9999999999999999999, 1]),
    ("18446744073709551616", 18446744073709551616),
    ('{"a":\n 99999999999999999999}', {"a": 99999999999999999999}),
], ids=["in-dict", "below-int64", "2**64", "after-newline"])
def test_decoding_keeps_ints_past_64_bits(path: str, text: str, value: Any) -> None:
    # orjson alone would give a float here, losing the last digits.
    for given in (text, text.encode()):
        decoded = decode(given)
        assert decoded == value and repr(decoded) == repr(value)
    assert loads(text) == value
    assert RawJson(text).value() == value


def test_big_ints_round_trip(path: str) -> None:
    value = {"id": 2**64 + 1, "neg": -(2**80), "ok": 2**63 - 1}
    assert decode(dumps(value)) == value
    assert RawJson(json_text(value)).value() == value


@pytest.mark.parametrize("text", ["NaN", "[Infinity, -Infinity]", '"\\ud800"', "-0", "-0.0",
                                  "1e400", '{"a":1,"a":2}', '"\\u0000"', "1.0000000000000002",
                                  '["x1234567890123456789012", "1700000000000000000"]'])
def test_decoding_gives_what_json_loads_gives(path: str, text: str) -> None:
    assert repr(decode(text)) == repr(json.loads(text))
    assert repr(decode(text.encode())) == repr(json.loads(text))


def test_invalid_json(path: str) -> None:
    with pytest.raises(ValueError):
        decode("{oops")
    with pytest.raises(ValueError):
        decode(b"")
    assert loads("{oops") == "{oops"


@pytest.mark.parametrize("spaced", [False, True])
def test_long_text_keeps_ints_past_64_bits(path: str, spaced: bool) -> None:
    # Long text is not walked: orjson must write it back as it was, else
    # json.loads decodes it.
    value = {"pad": "x" * 5000, "n": [2**64, -(2**70)], "f": 0.1}
    text = json.dumps(value) if spaced else json.dumps(value, separators=(",", ":"))
    for given in (text, text.encode()):
        assert repr(decode(given)) == repr(value)


def test_long_text_dumps_wrote_is_decoded_by_orjson_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    value = {"pad": "x" * 5000, "n": [1, 2**63 - 1], "f": [0.1, 1e300], "s": "é"}
    text = dumps(value)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("json.loads called")

    monkeypatch.setattr(json, "loads", refuse)
    assert decode(text) == value and decode(text.encode()) == value


def test_big_floats_are_decoded_again_exactly(path: str) -> None:
    # Floats past 2**63 also send the text to json.loads: the same values.
    text = '{"f":1e+19,"g":[-9.3e18,{"h":1.5e300}],"i":9223372036854775807}'
    assert repr(decode(text)) == repr(json.loads(text))
    assert serialize._big_float(json.loads(text))
    assert not serialize._big_float(json.loads('{"f":9.2e18,"t":"12345678901234567890123"}'))


def test_long_spaced_text_goes_straight_to_json_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    # json.dumps' default separators (the official SDK's bodies): orjson
    # would decode it only to find it cannot vouch for it, at 1.6 times
    # the cost of json.loads alone.
    called: list[Any] = []
    real = serialize._orjson_loads
    assert real is not None

    def counting(text: Any) -> Any:
        called.append(text)
        return real(text)

    monkeypatch.setattr(serialize, "_orjson_loads", counting)
    value = {"rows": [{"id": "r", "input": "x" * 5000}]}
    assert decode(json.dumps(value)) == value and decode(json.dumps(value).encode()) == value
    assert called == []
    assert decode(dumps(value)) == value and len(called) == 1
