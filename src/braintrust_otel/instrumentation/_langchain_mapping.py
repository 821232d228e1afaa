"""LangChain's run objects as Braintrust fields, as the official SDK's LangChain handler
logs them: run inputs and outputs as LangChain's own objects in plain data (messages,
``LLMResult``), a metadata block per run (LangChain's metadata, invocation parameters,
run ids, tags), token metrics. Pure mapping for the callback handler in
:mod:`._langchain_handler`; it touches LangChain objects only through their attributes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Optional
from uuid import UUID

from .._version import VERSION

_TOOL_PARAMS = ("tools", "functions")
_TOOL_CHOICE_PARAMS = ("tool_choice", "function_call")
# Integration packages whose name is not ``langchain_<provider>``.
_PROVIDERS = {"langchain_google_vertexai": "google", "langchain_google_genai": "google",
              "langchain_google": "google", "langchain_aws": "aws", "langchain_bedrock": "aws",
              "langchain_azure_ai": "azure", "langchain_azure": "azure",
              "langchain_mistralai": "mistral"}
#: Who logged a span, in every LangChain span's metadata (the official SDK's names).
INTEGRATION = {"integration_name": "langchain-py", "sdk_version": VERSION, "language": "python"}


def _plain(value: Any, depth: int = 0) -> Any:
    """Run inputs and outputs as plain data: pydantic objects (LangChain's messages,
    documents, ``LLMResult``) as their ``model_dump`` without unset (``None``) fields,
    which is how the official SDK logs them."""
    if depth > 64:
        return value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, UUID):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return _plain(dump(exclude_none=True), depth + 1)
        except Exception:
            pass
    return value


def _tool_input(inputs: Optional[Mapping[str, Any]], input_str: Any) -> Any:
    """A tool run's input: its arguments, else its input string (decoded when JSON)."""
    if inputs is not None:
        return inputs
    try:
        return json.loads(input_str)
    except (TypeError, ValueError):
        return input_str


def _provider(serialized: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The provider a model class's integration package names (``langchain_openai``: openai)."""
    for part in (serialized or {}).get("id") or []:
        if not isinstance(part, str):
            continue
        package = part.lower().split(".", 1)[0]
        if package in _PROVIDERS:
            return _PROVIDERS[package]
        if package.startswith("langchain_"):
            return package[len("langchain_"):]
    return None


def _model_params(invocation_params: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """A chat model run's metadata from its invocation parameters: the tools offered and
    the tool choice on their own, the other parameters as ``invocation_params``."""
    params: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for key, value in (invocation_params or {}).items():
        if key in _TOOL_PARAMS and "tools" not in out and value:
            out["tools"] = value
        elif key in _TOOL_CHOICE_PARAMS and "tool_choice" not in out and value is not None:
            out["tool_choice"] = value
        else:
            params[key] = value
    return {"invocation_params": params, **out}


def _run_metadata(run_id: UUID, parent_run_id: Optional[UUID], tags: Optional[Sequence[str]],
                  metadata: Optional[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    """The metadata every run's span starts with: its tags, LangChain's metadata for the
    run (``ls_*`` fields included) under ``metadata``, ``extra``, the run ids and who logged it."""
    return {"tags": list(tags or []), "metadata": dict(metadata or {}),
            **{k: v for k, v in extra.items() if v is not None},
            "run_id": str(run_id),
            "parent_run_id": str(parent_run_id) if parent_run_id is not None else None,
            "braintrust": dict(INTEGRATION)}


def _generations(response: Any) -> list[Any]:
    return [gen for batch in getattr(response, "generations", None) or [] for gen in batch or []]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> float:
    return float(value) if _number(value) else 0


def _add(metrics: dict[str, Any], key: str, value: Any) -> None:
    if _number(value):
        metrics[key] = metrics.get(key, 0) + value


def _usage(response: Any) -> dict[str, Any]:
    """Token metrics of an ``LLMResult``: ``prompt_tokens``, ``completion_tokens``,
    ``total_tokens`` and ``tokens`` (prompt plus completion), cache and reasoning tokens."""
    metrics: dict[str, Any] = {}
    for gen in _generations(response):
        usage = getattr(getattr(gen, "message", None), "usage_metadata", None)
        if not isinstance(usage, Mapping):
            continue
        prompt, completion = usage.get("input_tokens"), usage.get("output_tokens")
        _add(metrics, "prompt_tokens", prompt)
        _add(metrics, "completion_tokens", completion)
        _add(metrics, "total_tokens", usage.get("total_tokens"))
        details = usage.get("input_token_details")
        details = details if isinstance(details, Mapping) else {}
        read = details.get("cache_read")
        _add(metrics, "prompt_cached_tokens", read)
        cached = _count(read)
        split = {life: details.get(f"ephemeral_{life}_input_tokens") for life in ("5m", "1h")}
        if any(_number(v) for v in split.values()):
            # Anthropic's cache writes split by lifetime; their sum is all cache writes.
            for life, count in split.items():
                _add(metrics, f"prompt_cache_creation_{life}_tokens", count)
                cached += _count(count)
        elif _number(details.get("cache_creation")):
            _add(metrics, "prompt_cache_creation_tokens", details["cache_creation"])
            cached += _count(details["cache_creation"])
        out_details = usage.get("output_token_details")
        if isinstance(out_details, Mapping):
            _add(metrics, "completion_reasoning_tokens", out_details.get("reasoning"))
        if (isinstance(prompt, (int, float)) and isinstance(completion, (int, float))
                and cached > prompt and usage.get("total_tokens") == prompt + completion):
            # An integration that counts only uncached input: the cache is on top of it.
            metrics["prompt_tokens"] += int(cached)
            metrics["total_tokens"] += int(cached)
    if not any(metrics.values()):  # older integrations report usage only in llm_output
        output = getattr(response, "llm_output", None)
        usage = (output.get("token_usage") or output.get("estimatedTokens")
                 if isinstance(output, Mapping) else None)
        metrics = ({k: v for k, v in usage.items() if _number(v)}
                   if isinstance(usage, Mapping) else {})
    if ("tokens" not in metrics and _number(metrics.get("prompt_tokens"))
            and _number(metrics.get("completion_tokens"))):
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


def _response_fields(response: Any) -> dict[str, Any]:
    """The model that answered and its provider, as a model run's response names them."""
    model: Any = None
    provider: Any = None
    for gen in _generations(response):
        meta = getattr(getattr(gen, "message", None), "response_metadata", None)
        if not isinstance(meta, Mapping):
            continue
        model = model or meta.get("model_name") or None
        named = meta.get("model_provider")
        if not provider and isinstance(named, str) and named:
            provider = named.lower()
    if not model:
        output = getattr(response, "llm_output", None)
        if isinstance(output, Mapping):
            model = output.get("model_name") or output.get("model") or None
    return {k: v for k, v in (("model", model), ("provider", provider)) if v}


def _name(name: Optional[str], serialized: Optional[Mapping[str, Any]], default: str) -> str:
    if name:
        return name
    serialized = serialized or {}
    ids = serialized.get("id") or []
    return str(serialized.get("name") or (ids[-1] if ids else None) or default)
