"""``braintrust.integrations.transformers``: Hugging Face Transformers (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

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
    """Traces Hugging Face Transformers and returns ``target`` (a pipeline or model).

    Unlike the official helper, which patches what it is given, this turns
    the Hugging Face Transformers instrumentation on for the whole process.
    """
    return traced("transformers", target)
