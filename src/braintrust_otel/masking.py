"""The global masking function, applied to every logged value before it is put on a span.

It lives in the OTel layer so that the facade and the provider instrumentors
mask the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from . import diagnostics

MaskingFunction = Callable[[Any], Any]

_masking: Optional[MaskingFunction] = None


def set_masking_function(masking_function: MaskingFunction | None) -> None:
    """Sets a function applied to every logged field value before it is recorded.

    The function receives a field's value (input, output, expected, metadata or
    error) and returns the value to record instead. It runs before the value
    is put on the OTel span, so every exporter, including foreign ones, only
    sees masked data. If it raises, the value is replaced by an error marker;
    the unmasked value is never recorded and the exception never reaches
    your code.

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


def mask(field: str, value: Any) -> Any:
    """Applies the masking function to one field's value; never raises."""
    fn = _masking
    if fn is None:
        return value
    try:
        return fn(value)
    except Exception as exc:
        diagnostics.report("masking", f"masking function failed on field {field!r}", exc)
        return f"ERROR: Failed to mask field '{field}' - {type(exc).__name__}"
