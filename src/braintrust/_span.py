"""The span API in one import path: ``Span``, ``NoopSpan``, ``start_span``, ``current_span``.

The code lives in one module per job: ``_checks`` (argument checks),
``_span_object`` (``Span``), ``_noop`` (``NoopSpan``), ``_start`` (making spans,
the current span). Other modules and tests import from here.
"""

from __future__ import annotations

from ._checks import (
    _EVENT_FIELDS,
    _MISSING,
    SPAN_TYPES,
    _check_mapping,
    _check_numbers,
    _check_tags,
    _event,
    _merge_json,
    _seconds_to_ns,
    check_name,
    check_text,
    check_type,
    safe_repr,
    safe_str,
    type_name,
)
from ._noop import NOOP_SPAN, NoopSpan
from ._span_object import _SPAN_KEY, Attrs, Span
from ._start import _start, current_span, link, start_span

__all__ = [
    "NOOP_SPAN", "SPAN_TYPES", "_EVENT_FIELDS", "_MISSING", "_SPAN_KEY", "Attrs", "NoopSpan",
    "Span", "_check_mapping", "_check_numbers", "_check_tags", "_event", "_merge_json",
    "_seconds_to_ns", "_start", "check_name", "check_text", "check_type", "current_span", "link",
    "safe_repr", "safe_str", "start_span", "type_name",
]
