"""Fallback mapping for any span: leftover attributes, default type, errors, origin."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from .. import attributes as A
from ..serialize import RawJson, dumps
from .common import error_text


def facade_origin(version: str | None) -> dict[str, Any]:
    """``context.span_origin`` of the facade's rows, as the official SDK writes its own."""
    return {"name": A.SDK_ORIGIN_NAME, "version": version or "unknown",
            "instrumentation": {"name": A.FACADE_INSTRUMENTATION}}


# ``{"span_origin": facade_origin(version)}`` as JSON, per version: the context of
# nearly every facade row, encoded once instead of once per row.
_origin_context: dict[str | None, RawJson] = {}


def facade_context(version: str | None) -> RawJson:
    """The context of a facade row that carries no context of its own, as raw JSON.

    Args:
        version: The facade scope's version.

    Returns:
        The same :class:`~braintrust_otel.serialize.RawJson` for every row of
        that version (rows replace it, never change it).
    """
    found = _origin_context.get(version)
    if found is None:
        found = _origin_context[version] = RawJson(dumps({"span_origin": facade_origin(version)}))
    return found


def apply(
    row: dict[str, Any], span: ReadableSpan, attrs: Mapping[str, Any], consumed: set[str],
    raw: bool = False,
) -> None:
    """Fills what the convention mappers left empty.

    Attributes no mapper consumed go into ``metadata`` (values already there
    win); a span with no type becomes ``task`` at the root and, unless the
    facade made it (``attributes.FACADE_SCOPE``), ``function`` below it; a
    span whose status is ERROR gets an ``error``; the instrumentation scope
    becomes ``context.span_origin`` (the official SDK's origin for the facade's
    spans), merged under the origin fields the span carries.

    Args:
        row: The row being built; changed in place.
        span: The finished span.
        attrs: The span's attributes.
        consumed: Attribute names already used by other mappers.
        raw: The row may hold raw JSON (see :func:`~braintrust_otel.mapping.span_to_row`):
            a facade row with no context of its own gets :func:`facade_context`.
    """
    leftovers = {k: _plain(v) for k, v in attrs.items() if k not in consumed}
    if leftovers:
        metadata = row.get("metadata")
        if isinstance(metadata, dict):
            for key, value in leftovers.items():
                metadata.setdefault(key, value)
        else:
            row["metadata"] = leftovers
    span_attributes = row["span_attributes"]
    if "type" not in span_attributes:
        scope = span.instrumentation_scope
        if span.parent is None:
            span_attributes["type"] = "task"
        elif scope is None or scope.name != A.FACADE_SCOPE:
            span_attributes["type"] = "function"
    elif span_attributes["type"] is None:
        # Typed null on purpose: a row the official SDK leaves untyped (DSPy's dspy.lm).
        del span_attributes["type"]
    if "error" not in row:
        error = error_text(span)
        if error is not None:
            row["error"] = error
    scope = span.instrumentation_scope
    if scope is not None:
        if raw and scope.name == A.FACADE_SCOPE and "context" not in row:
            row["context"] = facade_context(scope.version)
            return
        context = row.setdefault("context", {})
        origin: dict[str, Any]
        if scope.name == A.FACADE_SCOPE:
            # As the official SDK writes its own spans' origin.
            origin = facade_origin(scope.version)
        else:
            instrumentation: dict[str, Any] = {"name": scope.name}
            if scope.version:
                instrumentation["version"] = scope.version
            origin = {"instrumentation": instrumentation}
        given = context.get("span_origin")
        # What the span carries (an environment, an integration's name) wins.
        context["span_origin"] = {**origin, **given} if isinstance(given, dict) else origin


def _plain(value: Any) -> Any:
    # OTel sequences arrive as tuples; rows hold JSON lists.
    return list(value) if isinstance(value, tuple) else value
