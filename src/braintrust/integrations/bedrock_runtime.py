"""``braintrust.integrations.bedrock_runtime``: Amazon Bedrock Runtime (as in the official SDK)."""

from __future__ import annotations

from typing import Any

from ._base import Integration

__all__ = ["BedrockRuntimeIntegration", "setup_bedrock", "wrap_bedrock"]


class BedrockRuntimeIntegration(Integration):
    """Bedrock Runtime's tracing: ``BedrockRuntimeIntegration.setup()`` turns it on."""

    name = "bedrock"


def setup_bedrock() -> bool:
    """Traces every boto3 ``bedrock-runtime`` client's Converse and InvokeModel calls.

    Returns:
        Whether it is traced (now, or when botocore is imported).
    """
    from .._auto import instrument_one

    return instrument_one("bedrock")


def wrap_bedrock(client: Any) -> Any:
    """Traces one boto3 ``bedrock-runtime`` client and returns it; other clients stay untraced.

    Wrapping it again changes nothing.
    """
    from braintrust_otel.instrumentation.bedrock import wrap_bedrock as wrap

    from .. import _state

    _state.tracer()
    return wrap(client)
