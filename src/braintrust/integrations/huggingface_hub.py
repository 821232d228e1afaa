"""``braintrust.integrations.huggingface_hub``: Hugging Face Hub (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration, traced

__all__ = ["HuggingFaceHubIntegration", "wrap_huggingface_hub"]


class HuggingFaceHubIntegration(Integration):
    """Hugging Face Hub's tracing: ``HuggingFaceHubIntegration.setup()`` turns it on."""

    name = "huggingface_hub"


def wrap_huggingface_hub(client: Any) -> Any:
    """Traces Hugging Face Hub calls and returns ``client`` (an ``InferenceClient``).

    Unlike the official helper, which wraps the one client, this turns the
    Hugging Face Hub instrumentation on, so every client in the process is traced.
    """
    return traced("huggingface_hub", client)
