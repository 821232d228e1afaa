"""Setting text attributes on an SDK span without the SDK's per-value checks,
and reading a span's attributes without the SDK's read-only proxy.

The facade sets its logged fields on the OTel span when the span ends: values
it encoded itself (``str`` and :class:`~braintrust_otel.serialize.JsonText`),
under constant ``braintrust.*`` keys. The SDK's ``set_attributes`` checks and
copies each value through generic ``Sequence``/``Mapping`` tests, which cost
more than the rest of ending the span (about 25,000 machine instructions for
two attributes, against under 4,000 here). The result is the same attribute
dict every processor and exporter reads, so foreign exporters (OTLP) still
see every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Span as SdkSpan

from .serialize import JsonText

__all__ = ["attributes_of", "set_text_attributes"]

_SDK_SET = SdkSpan.set_attributes


def attributes_of(span: Any) -> Mapping[str, Any]:
    """The span's attributes, for reading only (empty when it has none).

    For an SDK span this is the dict inside its ``BoundedAttributes``, never
    changed once the span has ended: the ``attributes`` property wraps it in a
    proxy whose ``get`` of a missing key raises and catches a ``KeyError`` (a
    cost paid for every span the facade starts), and whose generic
    ``Mapping`` iteration costs more than the rest of a row's mapping. Any
    other span's ``attributes`` are copied into a plain dict once.

    Args:
        span: An OTel span (or anything with ``attributes``).

    Returns:
        A mapping the caller must not change.
    """
    inner = getattr(getattr(span, "_attributes", None), "_dict", None)
    if isinstance(inner, dict):
        return inner
    return dict(getattr(span, "attributes", None) or {})


def set_text_attributes(span: Any, attrs: Mapping[str, Any]) -> None:
    """``span.set_attributes(attrs)``, done directly when nothing in it could differ.

    The direct path is taken only for an SDK span whose ``set_attributes`` is
    the SDK's own, that has not ended, with no attribute length limit and room
    for every key under the count limit, and when every value is text: then
    the SDK's checks would keep each value as it is, and the dict it leaves
    (keys set again move to the end) is made here the same way, under the
    same locks. Anything else (tuples, limits, a subclass, an ended span, a
    span of another SDK) goes through ``set_attributes`` unchanged.

    Args:
        span: An OTel span.
        attrs: Attribute names (non-empty ``str``) to values.
    """
    try:
        if _set_directly(span, attrs):
            return
    except Exception:  # an SDK whose private layout moved: the public call still works
        pass
    span.set_attributes(attrs)


def _set_directly(span: Any, attrs: Mapping[str, Any]) -> bool:
    """Sets ``attrs`` in the span's attribute dict when that is safe; False when not done."""
    store = getattr(span, "_attributes", None)
    if (type(store) is BoundedAttributes and store.max_value_len is None
            and getattr(type(span), "set_attributes", None) is _SDK_SET
            and (store.maxlen is None or len(store._dict) + len(attrs) <= store.maxlen)):
        for value in attrs.values():
            if type(value) is not JsonText and type(value) is not str:
                break
        else:
            with span._lock:
                if span._end_time is None and not store._immutable:
                    inner = store._dict
                    with store._lock:
                        for key, value in attrs.items():
                            # As the SDK's _setitem_locked: a key set again moves to the end.
                            inner.pop(key, None)
                            inner[key] = value
                    return True
    return False
