"""Tracing for ``litellm``: completion, embedding and responses calls, sync and async.

LiteLLM answers in OpenAI's shapes whatever the provider, so the OpenAI
instrumentor's readers record the responses; the span is named and filled as
the official SDK names LiteLLM calls (``Completion``, ``Embedding``,
``Response``). Provider clients LiteLLM uses underneath (the ``openai``
client, say) see an instrumented call in progress and add no second span.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, dump, get
from ._wrap import Call, async_wrapper, sync_wrapper
from .openai import _chat_stream_done, _chat_token, _responses_stream_done
from .openai import _usage as _openai_usage

__all__ = ["LiteLLMInstrumentor", "wrap_litellm"]

_instruments = ("litellm >= 1.0",)

#: Request parameters recorded as metadata. An allow-list, because LiteLLM
#: calls also carry credentials and endpoints (api_key, api_base, headers...).
_PARAMS = frozenset((
    "temperature", "top_p", "n", "stream", "stream_options", "stop", "max_tokens",
    "max_completion_tokens", "max_output_tokens", "presence_penalty", "frequency_penalty",
    "logit_bias", "logprobs", "top_logprobs", "user", "response_format", "seed", "tools",
    "tool_choice", "parallel_tool_calls", "functions", "function_call", "reasoning_effort",
    "reasoning", "thinking", "modalities", "audio", "prediction", "service_tier", "metadata",
    "timeout", "num_retries", "max_retries", "custom_llm_provider", "instructions",
    "previous_response_id", "include", "store", "truncation", "text", "dimensions",
    "encoding_format", "web_search_options", "verbosity",
))


def _provider(model: Any, kwargs: Mapping[str, Any]) -> str:
    explicit = kwargs.get("custom_llm_provider")
    if isinstance(explicit, str) and explicit:
        return explicit
    if not isinstance(model, str) or not model:
        return "litellm"
    try:
        import litellm

        return str(litellm.get_llm_provider(model)[1]) or "litellm"
    except Exception:
        return model.split("/", 1)[0] if "/" in model else "litellm"


def _params(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in kwargs.items() if k in _PARAMS and v is not None}
    params["provider"] = _provider(kwargs.get("model"), kwargs)
    if "span_info" in kwargs:
        params["span_info"] = kwargs["span_info"]
    return params


def _chat_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return kwargs.get("model"), kwargs.get("messages"), _params(kwargs)


def _input_request(kwargs: Mapping[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    return kwargs.get("model"), kwargs.get("input"), _params(kwargs)


def _chat_finish(call: LLMCall, response: Any) -> None:
    call.first_token()  # a whole response: its first token came with it
    choices = [dump(c) for c in get(response, "choices") or []]
    call.finish(output=choices, usage=_openai_usage(get(response, "usage")),
                response_model=get(response, "model"), response_id=get(response, "id"),
                finish_reasons=[c.get("finish_reason") for c in choices])


def _embedding_finish(call: LLMCall, response: Any) -> None:
    data = get(response, "data") or []
    first = get(data[0], "embedding") if data else None
    usage = get(response, "usage")
    metrics = {"prompt_tokens": get(usage, "prompt_tokens"),
               "completion_tokens": get(usage, "completion_tokens"),
               "tokens": get(usage, "total_tokens")}
    call.finish(output={"embedding_length": len(first) if isinstance(first, list) else None},
                usage=metrics, response_model=get(response, "model"))


def _responses_result(call: LLMCall, response: Any) -> None:
    # Unlike a direct OpenAI call, the official SDK keeps LiteLLM's request
    # metadata as it was: the model asked for, no response id or status.
    call.first_token()  # a whole response: its first token came with it
    call.finish(output=[dump(o) for o in get(response, "output") or []],
                usage=_openai_usage(get(response, "usage")), response_id=get(response, "id"))


def _is_stream(value: Any) -> bool:
    return type(value).__name__ in ("CustomStreamWrapper", "ResponsesAPIStreamingIterator",
                                    "SyncResponsesAPIStreamingIterator")


COMPLETION = Call("Completion", "litellm", "chat", _chat_request, _chat_finish,
                  _chat_stream_done, _chat_token, _is_stream)
EMBEDDING = Call("Embedding", "litellm", "embeddings", _input_request, _embedding_finish)
RESPONSE = Call("Response", "litellm", "chat", _input_request, _responses_result,
                _responses_stream_done,
                lambda e: get(e, "type") == "response.output_text.delta", _is_stream)

#: (function name, is async, spec)
TARGETS = (
    ("completion", False, COMPLETION), ("acompletion", True, COMPLETION),
    ("embedding", False, EMBEDDING), ("aembedding", True, EMBEDDING),
    ("responses", False, RESPONSE), ("aresponses", True, RESPONSE),
)


def _wrap_module(module: Any, tracer: trace.Tracer) -> None:
    for name, is_async, spec in TARGETS:
        if callable(getattr(module, name, None)):
            wrapper = async_wrapper if is_async else sync_wrapper
            wrapt.wrap_function_wrapper(module, name, wrapper(tracer, spec))


class LiteLLMInstrumentor(LazyInstrumentor):
    """Traces ``litellm.completion`` and friends as Braintrust LLM spans.

    It patches the ``litellm`` module's functions, so code that did
    ``from litellm import completion`` before it was on keeps the plain one.
    """

    library = "litellm"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import litellm

        _wrap_module(litellm, trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider")))

    def _unpatch(self, **kwargs: Any) -> None:
        import litellm

        for name, _, _ in TARGETS:
            if isinstance(getattr(litellm, name, None), wrapt.FunctionWrapper):
                unwrap(litellm, name)


def wrap_litellm(litellm: Any) -> Any:
    """Traces the functions of the ``litellm`` module given (and returns it).

    Args:
        litellm: The imported ``litellm`` module.

    Returns:
        The same module, its completion, embedding and responses functions traced.
    """
    if isinstance(getattr(litellm, "completion", None), wrapt.FunctionWrapper):
        return litellm  # already traced (by this or by the instrumentor)
    _wrap_module(litellm, trace.get_tracer(__name__, VERSION))
    return litellm
