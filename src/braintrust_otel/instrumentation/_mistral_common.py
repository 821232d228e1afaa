"""Request parameters and token counts as every ``mistralai`` endpoint traced here reports them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ._llm import dump
from ._wrap import plain_params

_CONTENT = ("messages", "prompt", "suffix", "inputs", "stream")
_TRANSPORT = ("retries", "server_url", "timeout_ms", "http_headers")


def _params(kwargs: Mapping[str, Any], stream: Optional[bool]) -> dict[str, Any]:
    """Request parameters; ``stream``: whether the method streams (None: no such notion)."""
    params = plain_params(kwargs, _CONTENT + _TRANSPORT)
    if "metadata" in params:  # Mistral's own request metadata, kept apart from ours
        params["request_metadata"] = params.pop("metadata")
    if stream is not None:
        params["stream"] = stream
    return params


def _usage(usage: Any) -> dict[str, Any]:
    data = dump(usage)
    if not isinstance(data, Mapping):
        return {}
    metrics: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            metrics["tokens" if key == "total_tokens" else key] = value
        elif key in ("prompt_tokens_details", "completion_tokens_details") and isinstance(
                value, Mapping):
            prefix = key.split("_")[0]
            metrics.update({f"{prefix}_{k}": v for k, v in value.items()
                            if isinstance(v, (int, float)) and not isinstance(v, bool)})
    if "tokens" not in metrics and {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _set(value: Any) -> bool:
    """Whether a field has a value (the SDK's "unset" sentinel is no value)."""
    return value is not None and type(value).__name__ != "Unset"
