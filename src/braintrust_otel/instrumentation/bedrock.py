"""Tracing for Amazon Bedrock Runtime through ``boto3`` / ``botocore``.

Every ``bedrock-runtime`` client (made before or after instrumenting) is traced
at botocore's single API-call method: ``converse`` and ``converse_stream`` as
``bedrock.converse`` / ``bedrock.converse-stream`` LLM spans with the messages
in OpenAI-like content parts, ``invoke_model`` and its streaming variant as
``bedrock.invoke_model`` / ``bedrock.invoke_model_stream`` with the parsed JSON
bodies; token counts, stop reason, Bedrock's latency and time to first token.
Rows match the official SDK's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any, Callable

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from .._version import VERSION
from ._bedrock_converse import (
    _converse_finish,
    _converse_input,
    _converse_params,
    _converse_stream_done,
    _converse_usage,
    _count,
    _num,
)
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, active, traced_iterable
from ._wrap import is_traced, mark_traced

__all__ = ["BedrockInstrumentor", "wrap_bedrock"]

_instruments = ("botocore >= 1.34",)
PROVIDER = "bedrock"
_SERVICE = "bedrock-runtime"


# -- usage of InvokeModel bodies ------------------------------------------------------

def _anthropic_usage(usage: Any) -> dict[str, Any]:
    """Token counts from an Anthropic-on-Bedrock body's ``usage``."""
    if not isinstance(usage, Mapping):
        return {}
    metrics: dict[str, Any] = {}
    fresh, read, created = (_count(usage, k) for k in (
        "input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"))
    if "input_tokens" in usage or read or created:
        metrics["prompt_tokens"] = fresh + read + created
    for theirs, ours in (("output_tokens", "completion_tokens"),
                         ("cache_read_input_tokens", "prompt_cached_tokens"),
                         ("cache_creation_input_tokens", "prompt_cache_creation_tokens")):
        if _num(usage.get(theirs)):
            metrics[ours] = usage[theirs]
    return metrics


def _total(metrics: dict[str, Any]) -> dict[str, Any]:
    if {"prompt_tokens", "completion_tokens"} <= metrics.keys():
        metrics["tokens"] = metrics["prompt_tokens"] + metrics["completion_tokens"]
    return metrics


# -- invoke_model ------------------------------------------------------------------------

def _parse_json(data: Any) -> Any:
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return data
    return None


def _invoke_input(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("modelId") is not None:
        out["modelId"] = params["modelId"]
    body = _parse_json(params.get("body"))
    if body is not None:
        out["body"] = body
    for key in ("contentType", "accept", "trace", "guardrailIdentifier", "guardrailVersion",
                "performanceConfigLatency"):
        if params.get(key) is not None:
            out[key] = params[key]
    return out


def _is_anthropic(model: Any) -> bool:
    return isinstance(model, str) and "anthropic.claude" in model.lower()


def _invoke_usage(model: Any, body: Any) -> dict[str, Any]:
    usage = body.get("usage") if isinstance(body, Mapping) else None
    metrics = _converse_usage(usage)
    if _is_anthropic(model):
        metrics.update(_anthropic_usage(usage))
    return _total(metrics) if "tokens" not in metrics else metrics


def _invoke_stream_done(model: Any) -> Callable[[LLMCall, list[Any]], None]:
    def done(call: LLMCall, events: list[Any]) -> None:
        chunks: list[Any] = []
        for event in events:
            chunk = event.get("chunk") if isinstance(event, Mapping) else None
            if isinstance(chunk, Mapping) and isinstance(chunk.get("bytes"), (bytes, bytearray)):
                chunks.append(_parse_json(chunk["bytes"]))
            elif event:
                chunks.append(event)
        metrics: dict[str, Any] = {}
        if _is_anthropic(model):
            for chunk in chunks:
                if not isinstance(chunk, Mapping):
                    continue
                # message_start carries the input count, message_delta the output count.
                metrics.update(_anthropic_usage((chunk.get("message") or {}).get("usage")
                                                if isinstance(chunk.get("message"), Mapping)
                                                else None))
                metrics.update(_anthropic_usage(chunk.get("usage")))
        call.finish(output=chunks or None, usage=_total(metrics))
    return done


# -- the wrapper -------------------------------------------------------------------------

def _start(tracer: trace.Tracer, operation: str, params: Mapping[str, Any]) -> LLMCall:
    model = params.get("modelId")
    if operation in ("Converse", "ConverseStream"):
        stream = operation == "ConverseStream"
        endpoint = "converse-stream" if stream else "converse"
        return LLMCall(tracer, f"bedrock.{endpoint}", PROVIDER, "chat", model,
                       _converse_input(params), _converse_params(params, endpoint, stream))
    stream = operation == "InvokeModelWithResponseStream"
    endpoint = "invoke_model_stream" if stream else "invoke_model"
    extra: dict[str, Any] = {"endpoint": endpoint, **({"stream": True} if stream else {})}
    return LLMCall(tracer, f"bedrock.{endpoint}", PROVIDER, "chat", model,
                   _invoke_input(params), extra)


def _finish(call: LLMCall, operation: str, params: Mapping[str, Any], result: Any) -> Any:
    if not isinstance(result, dict):
        call.finish()
        return result
    model = params.get("modelId")
    if operation == "Converse":
        _converse_finish(call, result)
    elif operation == "ConverseStream" and "stream" in result:
        result = dict(result)
        result["stream"] = traced_iterable(
            result["stream"], call, _converse_stream_done,
            lambda e: isinstance(e, Mapping) and "contentBlockDelta" in e)
    elif operation == "InvokeModel" and "body" in result:
        from botocore.response import StreamingBody

        try:
            data = result["body"].read()
        except Exception as exc:
            # The caller would have met this reading the body: it gets it now.
            call.fail(exc)
            raise _ReadError(exc) from exc
        # The caller reads the body too: hand back a fresh one with the same bytes.
        result = dict(result)
        result["body"] = StreamingBody(io.BytesIO(data), len(data))
        body = _parse_json(data)
        call.finish(output=body, usage=_invoke_usage(model, body))
    elif operation == "InvokeModelWithResponseStream" and "body" in result:
        result = dict(result)
        result["body"] = traced_iterable(result["body"], call, _invoke_stream_done(model),
                                         lambda e: True)
    else:
        call.finish()
    return result


class _ReadError(Exception):
    """Carries an error reading a response body past the instrumentation's own guard."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


_OPERATIONS = ("Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream")


def _wrapper(tracer: trace.Tracer) -> Callable[..., Any]:
    def wrapper(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        operation: Any = args[0] if args else kwargs.get("operation_name")
        params: Any = args[1] if len(args) > 1 else kwargs.get("api_params")
        try:
            ours = (operation in _OPERATIONS and isinstance(params, Mapping) and not active()
                    and instance.meta.service_model.service_name == _SERVICE)
        except Exception:
            ours = False
        if not ours:
            return wrapped(*args, **kwargs)
        try:
            call = _start(tracer, operation, params)
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not trace bedrock {operation}", exc)
            return wrapped(*args, **kwargs)
        tokens = call.activate()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            call.fail(exc)
            raise
        finally:
            call.deactivate(tokens)
        try:
            return _finish(call, operation, params, result)
        except _ReadError as read:
            raise read.error from None
        except Exception as exc:
            diagnostics.report("instrumentation", f"could not record bedrock {operation}", exc)
            call.finish()
            return result

    return wrapper


def wrap_bedrock(client: Any) -> Any:
    """Traces one boto3 ``bedrock-runtime`` client's Converse and InvokeModel calls.

    The instrumentor's wrapper on this client's ``_make_api_call`` only (other
    clients are untouched); wrapping again changes nothing, and with the
    instrumentor on too a call is one span.

    Returns:
        ``client``.
    """
    if is_traced(client) or not hasattr(client, "_make_api_call"):
        return client
    wrapt.wrap_function_wrapper(client, "_make_api_call",
                                _wrapper(trace.get_tracer(__name__, VERSION)))
    mark_traced(client)
    return client


class BedrockInstrumentor(LazyInstrumentor):
    """Traces every boto3 ``bedrock-runtime`` client in the process as Braintrust LLM spans."""

    library = "botocore"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        wrapt.wrap_function_wrapper("botocore.client", "BaseClient._make_api_call",
                                    _wrapper(tracer))

    def _unpatch(self, **kwargs: Any) -> None:
        import botocore.client

        unwrap(botocore.client.BaseClient, "_make_api_call")
