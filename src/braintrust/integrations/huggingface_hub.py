"""``braintrust.integrations.huggingface_hub``: Hugging Face Hub (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["HuggingFaceHubIntegration", "wrap_huggingface_hub"]


class HuggingFaceHubIntegration(Integration):
    """Hugging Face Hub's tracing: ``HuggingFaceHubIntegration.setup()`` turns it on."""

    name = "huggingface_hub"


def wrap_huggingface_hub(client: Any) -> Any:
    """Traces one Hugging Face ``InferenceClient`` (sync or async) and returns it.

    Other clients stay untraced; wrapping it again changes nothing.
    """
    from braintrust_otel.instrumentation.huggingface_hub import wrap_huggingface_hub as wrap

    from .. import _state

    _state.tracer()
    return wrap(client)
