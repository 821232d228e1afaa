"""JSON encoding that never raises.

Values logged by users can hold anything: sets, bytes, datetimes, custom
objects, cycles, NaN. The common case goes through orjson in one pass (about
a quarter of the standard library's time, checks included); anything orjson
refuses, or may have written differently from the rules here, takes the
standard library's C encoder, and what that rejects a slower path that
converts what it can and leaves a readable marker where it cannot. Every
path gives the same JSON values (only number spelling and key order may
differ: ``1e-07``/``1e-7``).

orjson differs from these rules in a few places, each handled here:

- It writes NaN and infinities as ``null`` without a word (they must be the
  strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``): its output is taken
  only once a walk of the value finds no such float, else the value is
  encoded again by the standard path.
- It refuses ints past 64 bits, non-``str`` keys, lone surrogates, nesting
  past 254 levels and cycles: those values take the standard path.
- It encodes dataclasses, datetimes, named tuples and float subclasses its
  own way or not at all: they go through the same conversions as before
  (``_to_jsonable``), via ``default``.
- Decoding, it makes an integer past 64 bits a float: :func:`decode` leaves
  text that held one to ``json.loads``.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import re
import sys
import uuid
from collections.abc import Mapping
from itertools import compress, repeat
from operator import is_
from pathlib import PurePath
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - no orjson wheel for this Python (PyPy): stdlib only
    _orjson = None  # type: ignore[assignment]

__all__ = ["JsonText", "RawJson", "decode", "dumps", "dumps_fast", "json_text", "loads",
           "plain_row", "raw_json", "repair", "repair_row", "sanitize"]

_MAX_DEPTH = 64
_MAX_REPR = 1000
# Python refuses to print ints of more than 4,300 digits (about 14,280 bits);
# past this many bits an int is logged as a marker instead.
_MAX_INT_BITS = 14_000
# Characters a ``str`` may hold but UTF-8 cannot: the surrogate code points.
_SURROGATES = re.compile("[\ud800-\udfff]")


class JsonText(str):
    """A string :func:`dumps` wrote, so known to be one valid JSON document.

    The facade stores logged values as span attributes of this type (OTel
    keeps ``str`` subclasses as they are); the mapping can then carry the
    text into the row as :class:`RawJson` instead of decoding it, and the
    sink splices it into the request unread. Any other string (from user
    code or a truncating attribute limit, which makes a plain ``str``) is
    decoded and checked as before.
    """

    __slots__ = ()


class RawJson:
    """A row value that is already encoded: :func:`dumps` splices ``text`` in unread.

    Only rows handed to sinks that declare ``accepts_raw_json`` hold these;
    everything else sees plain values (:func:`plain_row`).

    Args:
        text: One valid JSON document.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def value(self) -> Any:
        """The decoded value."""
        return decode(self.text)

    def __braintrust_json__(self) -> Any:
        # Nested below the top level of a row: decoded like any other value.
        return self.value()

    def __repr__(self) -> str:
        return f"RawJson({self.text[:60]!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawJson):
            return self.text == other.text
        return bool(self.value() == other)

    __hash__ = None  # type: ignore[assignment]


def json_text(value: Any) -> str:
    """:func:`dumps`, marked as :class:`JsonText` (for span attributes the mapping passes on).

    Args:
        value: Any Python value.

    Returns:
        The JSON document: a :class:`JsonText`, or a plain ``str`` when it
        holds a lone surrogate (valid in a ``str``, not in UTF-8), so that
        every ``JsonText`` is valid UTF-8 and the mapping decodes the rare
        other text like any string.
    """
    out = _fast(value)
    if out is not None:
        # str(bytes, encoding) decodes straight into the subclass: one copy.
        # (orjson refuses lone surrogates: its output never holds one.)
        return JsonText(out, "utf-8")
    text = _standard(value)
    return text if not text.isascii() and _SURROGATES.search(text) else JsonText(text)


def raw_json(value: Any) -> Any:
    """``value`` as a row value: :class:`RawJson` for :class:`JsonText`, else decoded.

    Args:
        value: An attribute value holding JSON text (or anything else).

    Returns:
        A RawJson, the decoded value, the text itself when it is not valid
        JSON, or ``value`` unchanged when it is not a string.
    """
    if type(value) is JsonText:
        return RawJson(value)
    return loads(value) if isinstance(value, str) else value


def plain_row(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with every :class:`RawJson` value decoded (the row itself when it has none).

    Args:
        row: A row from the mapping.

    Returns:
        A row of plain JSON data.
    """
    for value in row.values():
        if type(value) is RawJson:
            return {k: (v.value() if type(v) is RawJson else v) for k, v in row.items()}
    return row


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
    # A Decimal exists only once its module is loaded: no import for the check.
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(value, decimal.Decimal):
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
        A JSON document. Values that plain JSON cannot
        hold are converted (see :func:`sanitize`); a dict's top-level
        :class:`RawJson` values are spliced in as they are.
    """
    out = _fast(value)
    return out.decode() if out is not None else _standard(value)


def dumps_fast(value: Any) -> bytes | None:
    """:func:`dumps` as UTF-8 bytes, when orjson alone can write it; else None.

    For callers that can take another route when this gives None (the HTTP
    sink encodes a whole request body in one call, and row by row through
    :func:`dumps` only when this refuses it).

    Args:
        value: Any Python value.

    Returns:
        Exactly ``dumps(value).encode()``, or None when ``dumps`` would take
        the standard path (a NaN or an infinity, a user's ``orjson.Fragment``,
        an int past 64 bits, a non-``str`` key, a lone surrogate, deep
        nesting, a cycle, a conversion that raised, or no orjson at all).
    """
    return _fast(value)


def _standard(value: Any) -> str:
    # The standard library's encoder, for what orjson refused or may have
    # written as null. (map/in run in C: no Python-level loop over the row.)
    if type(value) is dict and RawJson in map(type, value.values()):
        return _splice(value)
    return _dumps(value)


# Dataclasses and datetimes go to ``default`` (``_to_jsonable``), as with the
# standard encoder: orjson's own forms differ (it skips ``_private`` fields,
# adds attributes that are not fields, refuses a time with a time zone).
_ORJSON_OPTIONS = (_orjson.OPT_PASSTHROUGH_DATACLASS | _orjson.OPT_PASSTHROUGH_DATETIME
                   if _orjson is not None else 0)
_orjson_dumps = _orjson.dumps if _orjson is not None else None
# orjson inserts a Fragment's text unchecked: one in a user's value (not one
# made here from RawJson, which dumps wrote) could corrupt the row around it.
_FRAGMENT = _orjson.Fragment if _orjson is not None else None
_isfinite = math.isfinite
# orjson refuses nesting deeper than this; the walk below stops there too.
_ORJSON_DEPTH = 254


def _fast(value: Any) -> bytes | None:
    """orjson's encoding of ``value``, or None when the standard path must encode it."""
    if _orjson_dumps is None:
        return None
    try:
        out = _orjson_dumps(value, _orjson_default, _ORJSON_OPTIONS)
    except Exception as exc:
        if isinstance(exc.__cause__, (KeyboardInterrupt, SystemExit)):
            # orjson wraps what a conversion raised: an interrupt is the
            # user's, as it was with the standard encoder, not a bad value.
            raise exc.__cause__ from None
        return None  # a big int, a non-str key, a surrogate, a cycle, a raising default
    # orjson writes a NaN or an infinity as null, silently, and a user's own
    # Fragment unchecked: the value is walked for either (a walk costs per
    # value, where searching the output for "null" would cost per byte: more
    # for LLM-sized strings).
    return None if _orjson_would_alter(value, 0) else out


def _orjson_default(value: Any) -> Any:
    # What orjson does not encode itself: the conversions the standard path
    # makes, so both give the same JSON.
    if type(value) is RawJson:
        text = value.text  # already encoded: in as it is
        # (orjson takes an exact str only: a JsonText is copied, once.)
        return _orjson.Fragment(text if type(text) is str else str(text))
    if isinstance(value, float):
        converted: Any = float(value)  # a subclass (numpy.float64), as the C encoder writes it
    elif isinstance(value, (list, tuple)):
        converted = list(value)  # a tuple subclass (a named tuple): an array
    else:
        converted = _to_jsonable(value)
    if _orjson_would_alter(converted, 0):
        # orjson would write this NaN as null (or a Fragment unchecked): the
        # whole value takes the standard path, which spells it "NaN".
        raise ValueError("a NaN, an infinity or a Fragment")
    return converted


# Values the walk below passes over: they hold no float orjson would encode
# (RawJson text was written by dumps, so holds "NaN" spelled as a string).
_NO_FLOAT = frozenset({str, int, bool, type(None), JsonText, RawJson})


def _orjson_would_alter(value: Any, depth: int) -> bool:
    """Whether ``value`` holds a NaN or an infinity where orjson would encode it,
    or an ``orjson.Fragment`` (whose text orjson would insert unchecked).

    Walks what orjson encodes itself (dicts, lists, tuples, enums); anything
    else goes through ``_orjson_default``, which checks what it returns.
    """
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    elif kind in _NO_FLOAT:
        return False
    elif isinstance(value, float):
        return not _isfinite(value)
    elif isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list):
        items = value
    elif isinstance(value, enum.Enum):
        return _orjson_would_alter(value.value, depth + 1)
    else:
        return kind is _FRAGMENT
    if depth > _ORJSON_DEPTH:
        return True  # deeper than orjson goes (a cycle): the standard path
    for item in items:
        kind = type(item)
        if kind in _NO_FLOAT:
            continue
        if kind is float:
            if not _isfinite(item):
                return True
        elif kind is dict:
            # A dict's values inline (a message in a list, a row's metrics):
            # a third less time than a call per dict.
            for sub in item.values():
                kind = type(sub)
                if kind in _NO_FLOAT:
                    continue
                if kind is float:
                    if not _isfinite(sub):
                        return True
                elif _orjson_would_alter(sub, depth + 2):
                    return True
        elif _orjson_would_alter(item, depth + 1):
            return True
    return False


def _splice(row: dict[str, Any]) -> str:
    # The row's already-encoded values go in as they are: no decode and
    # re-encode of the (often large) input and output on the worker thread.
    # The keys holding them are picked in C (compress/map), the rest of the
    # row is a C copy less those keys, and one join copies each text once.
    rest: dict[Any, Any] = dict(row)
    pieces = [""]  # the head of the row goes first, once it is known
    for key in compress(row, map(is_, map(type, row.values()), repeat(RawJson))):
        if type(key) is str:
            pieces += (",", _encode_key(key), ":", rest.pop(key).text)
    head = _dumps(rest)
    if len(head) == 2:  # "{}": no comma before the first spliced value
        pieces[0], pieces[1] = "{", ""
    else:
        pieces[0] = head[:-1]
    pieces.append("}")
    return "".join(pieces)


_encode_key = json.encoder.encode_basestring


def _dumps(value: Any) -> str:
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
    return decode(fixed), replaced


def loads(text: str) -> Any:
    """Decodes a JSON document written by :func:`dumps`.

    Args:
        text: JSON text.

    Returns:
        The decoded value, or the text itself when it is not valid JSON.
    """
    try:
        return decode(text)
    except (ValueError, TypeError):
        return text


_orjson_loads = _orjson.loads if _orjson is not None else None
# orjson decodes an integer past 64 bits as a float, which is then at least
# this large: decoded floats this large send the text to json.loads.
_BIG = float(2**63)
# Up to this many characters, text orjson would not write back as it is is
# walked for such a float; longer text goes to json.loads (a walk of a large
# decoded value costs about as much as json.loads).
_WALK_LIMIT = 4096


def decode(text: str | bytes) -> Any:
    """``json.loads``, faster: through orjson where it gives the same value.

    Args:
        text: JSON text (str, or UTF-8 bytes).

    Returns:
        The decoded value.

    Raises:
        ValueError: ``text`` is not valid JSON (``json.JSONDecodeError``).
    """
    if _orjson_loads is not None and _orjson_dumps is not None \
            and (len(text) <= _WALK_LIMIT or not _spaced(text)):
        try:
            value = _orjson_loads(text)
            # orjson decodes an integer past 64 bits as a float, digits lost.
            # Text orjson writes back as it was (what dumps wrote: attributes,
            # rows, the sinks' bodies) held none: orjson writes a float with a
            # point or an exponent. Other short text is walked for a float
            # that large (a float really that large, "1e+19", is decoded
            # again: the same value).
            if _orjson_dumps(value) == (text.encode() if type(text) is str else text) \
                    or (len(text) <= _WALK_LIMIT and not _big_float(value)):
                return value
        except Exception:
            # NaN/Infinity literals, lone surrogates, deep nesting, invalid
            # JSON: the standard decoder accepts what it accepted, raises as it did.
            pass
    return json.loads(text)


def _spaced(text: str | bytes) -> bool:
    # json.dumps' default separators (", " and ": "; the official SDK sends
    # its bodies so): orjson would not write the text back as it is, so long
    # text like this goes straight to json.loads. Judged by the first key.
    head = text[:256]
    at = head.find('":') if isinstance(head, str) else head.find(b'":')
    return at >= 0 and head[at + 2:at + 3] in (" ", b" ")


def _big_float(value: Any) -> bool:
    # Walks what orjson.loads makes (dicts, lists, str, int, float, bool,
    # None). Encoding it again (above) costs a tenth of the decode, the walk
    # about as much as the decode, and a regular-expression search of the
    # text for long digit runs ten times the decode.
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    else:
        return kind is float and not -_BIG < value < _BIG
    for item in items:
        kind = type(item)
        if kind is float:
            if not -_BIG < item < _BIG:
                return True
        elif kind is dict:
            for sub in item.values():  # inline: a call per dict costs a third more
                kind = type(sub)
                if kind is float:
                    if not -_BIG < sub < _BIG:
                        return True
                elif (kind is dict or kind is list) and _big_float(sub):
                    return True
        elif kind is list and _big_float(item):
            return True
    return False
