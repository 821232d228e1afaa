"""JSON encoding that never raises.

Values logged by users can hold anything: sets, bytes, datetimes, custom
objects, cycles, NaN. The common case (plain JSON data) goes through the C
encoder in one pass; anything it rejects takes a slower path that converts
what it can and leaves a readable marker where it cannot.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
import re
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

__all__ = ["dumps", "loads", "repair", "repair_row", "sanitize"]

_MAX_DEPTH = 64
_MAX_REPR = 1000
# Python refuses to print ints of more than 4,300 digits (about 14,280 bits);
# past this many bits an int is logged as a marker instead.
_MAX_INT_BITS = 14_000
# Characters a ``str`` may hold but UTF-8 cannot: the surrogate code points.
_SURROGATES = re.compile("[\ud800-\udfff]")


def _to_jsonable(value: Any) -> Any:
    """Converts one value the encoder does not know, or raises TypeError."""
    hook = getattr(type(value), "__braintrust_json__", None)
    if hook is not None:
        return hook(value)  # attachments: their reference, and a queued upload
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        items = list(value)
        try:
            items.sort()
        except TypeError:
            pass
        return items
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (uuid.UUID, PurePath)):
        return str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    # Pydantic v2, then v1, then numpy-style scalars and arrays.
    for method in ("model_dump", "dict", "tolist", "item"):
        fn = getattr(value, method, None)
        if callable(fn) and not isinstance(value, type):
            try:
                return fn()
            except Exception:
                break
    return _marker(value)


def _marker(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<unrepresentable {type(value).__qualname__}>"
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + "...<truncated>"
    return text


def _big_int(value: int) -> str:
    # An order of magnitude is the best that can be said without printing it.
    exponent = math.log10(abs(value))
    whole = math.floor(exponent)
    sign = "-" if value < 0 else ""
    return f"<int of {whole + 1} digits: {sign}{10 ** (exponent - whole):.6f}e+{whole}>"


def _float(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def sanitize(value: Any, _depth: int = 0, _path: frozenset[int] = frozenset()) -> Any:
    """Returns a copy of ``value`` made only of JSON types.

    Args:
        value: Any Python value.

    Returns:
        Plain dicts, lists, strings, numbers, booleans and None. Cycles become
        ``"<circular reference>"``, NaN and infinities become strings, and
        objects that cannot be converted become their (truncated) repr.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= _MAX_INT_BITS else _big_int(value)
    if isinstance(value, float):
        return _float(value)
    if _depth >= _MAX_DEPTH:
        return "<max depth exceeded>"
    ident = id(value)
    if ident in _path:
        return "<circular reference>"
    path = _path | {ident}
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        try:
            items = list(value.items())
        except Exception:
            return _marker(value)
        for key, item in items:
            if not isinstance(key, str):
                plain = key is None or isinstance(key, (int, float, bool))
                key = str(key) if plain else _marker(key)
            out[key] = sanitize(item, _depth + 1, path)
        return out
    if isinstance(value, (list, tuple)):
        return [sanitize(item, _depth + 1, path) for item in value]
    try:
        converted = _to_jsonable(value)
    except Exception:
        return _marker(value)
    if isinstance(converted, str):
        return converted
    return sanitize(converted, _depth + 1, path)


def _default(value: Any) -> Any:
    return _to_jsonable(value)


# The C encoder, built once: JSONEncoder.encode() rebuilds it on every call,
# which costs more than encoding a small value. No cycle markers: a cycle
# ends in RecursionError and takes the careful path like any other failure.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_FAST_C = (
    _c_make_encoder(None, _default, json.encoder.encode_basestring, None, ":", ",",
                    False, False, False)
    if _c_make_encoder is not None
    else None
)
_FAST = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
)
_SAFE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """Encodes ``value`` as compact JSON and never raises.

    Args:
        value: Any Python value.

    Returns:
        A JSON document. Values that plain JSON cannot hold are converted
        (see :func:`sanitize`).
    """
    try:
        if _FAST_C is not None:
            return "".join(_FAST_C(value, 0))
        return _FAST.encode(value)
    except Exception:
        # Cycles, NaN, odd keys, a raising default: take the careful path.
        pass
    try:
        return _SAFE.encode(sanitize(value))
    except Exception as exc:  # pragma: no cover - sanitize output is plain JSON
        return _SAFE.encode(f"<unserializable value: {type(exc).__name__}>")


def repair(text: str) -> tuple[str, int]:
    """Makes text that UTF-8 can encode, replacing what it cannot hold.

    A Python string may hold surrogate code points (``"\\ud800"``, from
    ``surrogateescape`` decoding or bad JSON escapes), which no UTF-8 writer
    accepts. Paired surrogates become the character they stand for; a lone
    one becomes U+FFFD. Costly: call it only after encoding failed.

    Args:
        text: Any string (usually the JSON of a row).

    Returns:
        The repaired text and how many surrogate code points it held.
    """
    found = len(_SURROGATES.findall(text))
    if not found:
        return text, 0
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"), found


def repair_row(row: Any) -> tuple[Any, int]:
    """A copy of a JSON-able value in which every string (keys too) UTF-8 can encode.

    Args:
        row: A row (or any value).

    Returns:
        The repaired copy, as plain JSON data, and how many characters were replaced.
    """
    fixed, replaced = repair(dumps(row))
    return json.loads(fixed), replaced


def loads(text: str) -> Any:
    """Decodes a JSON document written by :func:`dumps`.

    Args:
        text: JSON text.

    Returns:
        The decoded value, or the text itself when it is not valid JSON.
    """
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text
