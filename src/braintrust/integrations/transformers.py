"""``braintrust.integrations.transformers``: Hugging Face Transformers (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["TransformersIntegration", "setup_transformers", "wrap_transformers"]


class TransformersIntegration(Integration):
    """Hugging Face Transformers's tracing: ``TransformersIntegration.setup()`` turns it on."""

    name = "transformers"


def setup_transformers() -> bool:
    """Traces Hugging Face Transformers process-wide.

    Returns:
        Whether it is traced (now, or when it is imported).
    """
    from .._auto import instrument_one

    return instrument_one("transformers")


def wrap_transformers(target: Any) -> Any:
    """Traces one pipeline class (or the class of the pipeline given) and returns ``target``.

    Other pipeline classes stay untraced; wrapping again changes nothing.
    """
    from braintrust_otel.instrumentation.transformers import wrap_transformers as wrap

    from .. import _state

    _state.tracer()
    return wrap(target)
