"""The global masking function, applied to every logged value before it is put on a span.

It lives in the OTel layer so that the facade and the provider instrumentors
mask the same way. Everything here returns at once when no masking function
is set, so masking costs nothing unless it is used.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from . import diagnostics
from .serialize import dumps

MaskingFunction = Callable[[Any], Any]

_masking: Optional[MaskingFunction] = None

#: Fields of a row (not a span) that carry user data, masked by :func:`mask_row`.
_ROW_FIELDS = ("input", "output", "expected", "error")


def set_masking_function(masking_function: MaskingFunction | None) -> None:
    """Sets a function applied to every logged value before it is recorded.

    The function receives one field's value at a time (``input``, ``output``,
    ``expected``, ``error``, ``metadata``, ``tags``, ``scores``, ``metrics``,
    and the message and traceback of a recorded exception, each as a string)
    and returns the value to record instead. It runs before the value is put
    on the OTel span or into a dataset or feedback row, so every exporter,
    including foreign ones on the same tracer provider, only sees masked data.
    If it raises, the value is replaced by an error marker (``scores`` and
    ``metrics`` are left out); the unmasked value is never recorded, the
    failure is reported through ``braintrust_otel.diagnostics``, and the
    exception never reaches your code.

    Args:
        masking_function: A callable taking one value and returning one, or
            None to turn masking off.

    Raises:
        TypeError: When ``masking_function`` is neither callable nor None.
    """
    global _masking
    if masking_function is not None and not callable(masking_function):
        raise TypeError(
            "set_masking_function(): masking_function must be callable or None, "
            f"got {type(masking_function).__name__}"
        )
    _masking = masking_function


def masking_enabled() -> bool:
    """Whether a masking function is set."""
    return _masking is not None


def _failed(field: str) -> str:
    return f"ERROR: Failed to mask field '{field}' - "


def mask(field: str, value: Any) -> Any:
    """Applies the masking function to one field's value; never raises."""
    fn = _masking
    if fn is None:
        return value
    try:
        return fn(value)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # GeneratorExit, CancelledError...: still the user's bug
        diagnostics.report("masking", f"masking function failed on field {field!r}", exc)
        return _failed(field) + type(exc).__name__


def mask_text(field: str, text: str) -> str:
    """Masks a string; a result that is not a string is recorded as its JSON."""
    masked = mask(field, text)
    return masked if isinstance(masked, str) else dumps(masked)


def mask_metadata(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    """Masks metadata; a result that is not a mapping is kept under ``masked``."""
    if _masking is None:
        return metadata
    masked = mask("metadata", metadata)
    return masked if isinstance(masked, Mapping) else {"masked": masked}


def mask_tags(tags: Sequence[str]) -> Sequence[str]:
    """Masks a list of tags; every item of the result is recorded as a string."""
    if _masking is None:
        return tags
    masked = mask("tags", list(tags))
    if isinstance(masked, str) or not isinstance(masked, (list, tuple)):
        return [masked if isinstance(masked, str) else dumps(masked)]
    return [t if isinstance(t, str) else dumps(t) for t in masked]


def mask_numbers(field: str, values: Mapping[str, Any]) -> Optional[Mapping[str, Any]]:
    """Masks ``scores`` or ``metrics``; None when the result is not names to numbers.

    Numbers have no placeholder, so a failed or malformed result leaves the
    field out, and the failure is reported.
    """
    if _masking is None:
        return values
    masked = mask(field, dict(values))
    if isinstance(masked, Mapping) and all(
        isinstance(k, str) and (v is None or isinstance(v, (int, float)))
        for k, v in masked.items()
    ):
        return masked
    if not (isinstance(masked, str) and masked.startswith(_failed(field))):
        diagnostics.report("masking", f"masking function returned no numbers for {field!r}; "
                           "the field is left out")
    return None


def mask_row(row: dict[str, Any]) -> dict[str, Any]:
    """Masks, in place, the user fields of a row that does not come from a span.

    Dataset records and feedback take this path; span fields are masked by
    whoever logs them.
    """
    if _masking is None:
        return row
    for field in _ROW_FIELDS:
        if field in row:
            row[field] = mask(field, row[field])
    if isinstance(row.get("metadata"), Mapping):
        row["metadata"] = dict(mask_metadata(row["metadata"]))
    if isinstance(row.get("tags"), (list, tuple)):
        row["tags"] = list(mask_tags(row["tags"]))
    for field in ("scores", "metrics"):
        if isinstance(row.get(field), Mapping):
            masked = mask_numbers(field, row[field])
            if masked is None:
                del row[field]
            else:
                row[field] = dict(masked)
    return row


def record_exception(span: trace.Span, exc: BaseException) -> None:
    """Records ``exc`` on ``span``: the OTel exception event and an ERROR status.

    With a masking function set, the exception's message and traceback are
    masked (as ``error``) before either is put on the span, since every
    span processor on the provider, not only ours, reads them. The exception
    type is a class name and is kept.
    """
    kind = type(exc)
    if _masking is None:
        try:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {_safe_str(exc)}"))
            return
        except Exception:
            pass  # the SDK's str(exc) raised: the event is built below from safe text
        message = _safe_str(exc)
        stack = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
    else:
        message = mask_text("error", _safe_str(exc))
        stack = mask_text("error", "".join(traceback.format_exception(kind, exc,
                                                                      exc.__traceback__)))
    module, qualname = kind.__module__, kind.__qualname__
    span.add_event("exception", {
        "exception.type": f"{module}.{qualname}" if module and module != "builtins" else qualname,
        "exception.message": message,
        "exception.stacktrace": stack,
        "exception.escaped": "False",
    })
    span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {message}"))


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<{type(exc).__name__} with an unprintable message>"
