"""Tracing for Google Cloud Discovery Engine (Vertex AI Search) v1 clients.

As the official SDK does: ``answer_query``, ``stream_answer_query`` and
``converse_conversation`` are LLM spans named ``google_discoveryengine.<method>``
with the query (and preamble) as messages in and the answer as a choice out,
with its citations, references and state; ``rank`` and ``check_grounding``
are task spans with the records or facts in and the scores out. Sync and
async clients, any transport.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any, Callable

import wrapt
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap

from .. import diagnostics
from .._version import VERSION
from ._lazy import LazyInstrumentor
from ._llm import LLMCall, traced_async_iterable, traced_iterable
from ._wrap import is_traced, mark_traced, traced_async, traced_sync

__all__ = ["GoogleDiscoveryEngineInstrumentor", "wrap_google_discoveryengine"]

_instruments = ("google-cloud-discoveryengine >= 0.11",)
PROVIDER = "google"
_MODULE = "google.cloud.discoveryengine_v1"
_ANSWER_DETAILS = ("citations", "references", "grounding_supports", "related_questions",
                   "answer_skipped_reasons")
_AS_DICTS = ("citations", "references", "grounding_supports")
#: Client class -> its traced methods.
_CLIENTS = {
    "ConversationalSearchService": ("answer_query", "stream_answer_query",
                                    "converse_conversation"),
    "GroundedGenerationService": ("check_grounding",),
    "RankService": ("rank",),
}


def _get(value: Any, name: str, default: Any = None) -> Any:
    if value is None:
        return default
    if isinstance(value, Mapping):
        return value.get(name, default)
    return getattr(value, name, default)


def _plain(value: Any) -> Any:
    """A proto-plus message as a dict (other values unchanged)."""
    to_dict = getattr(type(value), "to_dict", None)
    if isinstance(value, Mapping) or not callable(to_dict):
        return value
    return to_dict(value, preserving_proto_field_name=True,
                   always_print_fields_with_no_presence=False)


def _some(value: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: field for name in names if (field := _get(value, name))}


def _request(method: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    request = args[0] if args else kwargs.get("request")
    return request if request is not None else kwargs


def _prepare(method: str, request: Any) -> tuple[Any, Any, dict[str, Any]]:
    """``(model, input, metadata)`` of a request."""
    metadata: dict[str, Any] = {}
    if method == "rank":
        metadata.update(_some(request, ("ranking_config", "top_n",
                                        "ignore_record_details_in_response")))
        value: Any = {"query": _get(request, "query", ""),
                      "records": [_some(r, ("id", "title", "content"))
                                  for r in _get(request, "records", ()) or ()]}
        return _get(request, "model"), value, metadata
    if method == "check_grounding":
        metadata.update(_some(request, ("grounding_config",)))
        spec = _get(request, "grounding_spec")
        if spec:
            metadata["grounding_spec"] = _plain(spec)
        value = {"answer_candidate": _get(request, "answer_candidate", ""),
                 "facts": [_plain(f) for f in _get(request, "facts", ()) or ()]}
        return None, value, metadata
    converse = method == "converse_conversation"
    spec = _get(request, "summary_spec" if converse else "answer_generation_spec")
    model = _get(_get(spec, "model_spec"), "version" if converse else "model_version")
    query = _get(request, "query")
    messages = [{"role": "user", "content": _get(query, "input" if converse else "text", "")}]
    preamble = _get(_get(spec, "model_prompt_spec" if converse else "prompt_spec"), "preamble")
    if preamble:
        messages.insert(0, {"role": "system", "content": preamble})
    metadata.update(_some(request, ("serving_config", "session", "name")))
    metadata.update(_some(spec, ("include_citations", "answer_language_code",
                                 "summary_result_count")))
    return model or None, messages, metadata


def _choice(text: Any, **details: Any) -> dict[str, Any]:
    return {"index": 0, "message": {"role": "assistant", "content": text}, **details}


def _answer_details(answer: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for name in _ANSWER_DETAILS:
        values = _get(answer, name)
        if values:
            details[name] = ([_plain(v) for v in values] if name in _AS_DICTS
                             else [getattr(v, "name", v) for v in values])
    state = _get(answer, "state")
    if state:
        details["state"] = getattr(state, "name", state)
    # A zero grounding score is an answer too: test presence, not truth.
    if answer is not None and not isinstance(answer, Mapping) and "grounding_score" in answer:
        details["grounding_score"] = _get(answer, "grounding_score")
    return details


def _output(method: str, response: Any) -> Any:
    if method == "rank":
        return [{**_some(r, ("id", "title", "content")), "score": _get(r, "score")}
                for r in islice(_get(response, "records") or (), 100)]
    if method == "check_grounding":
        out = {"support_score": _get(response, "support_score")}
        for name in ("cited_chunks", "cited_facts", "claims"):
            values = _get(response, name)
            if values:
                out[name] = [_plain(v) for v in values]
        return out
    if method == "converse_conversation":
        summary = _get(_get(response, "reply"), "summary")
        with_meta = _get(summary, "summary_with_metadata")
        details: dict[str, Any] = {}
        if _get(with_meta, "citation_metadata"):
            details["citation_metadata"] = _plain(with_meta.citation_metadata)
        if _get(with_meta, "references"):
            details["references"] = [_plain(r) for r in with_meta.references]
        if _get(summary, "summary_skipped_reasons"):
            details["summary_skipped_reasons"] = [getattr(r, "name", r) for r in
                                                  summary.summary_skipped_reasons]
        return [_choice(_get(summary, "summary_text"), **details)]
    answer = _get(response, "answer")
    return [_choice(_get(answer, "answer_text"), **_answer_details(answer))]


def _stream_done(call: LLMCall, responses: list[Any]) -> None:
    text: list[str] = []
    final: Any = None
    for response in responses:
        answer = _get(response, "answer")
        if getattr(_get(answer, "state"), "name", None) == "SUCCEEDED":
            # The last message is the whole answer, not one more piece of it.
            text, final = [], answer
        piece = _get(answer, "answer_text")
        if piece:
            text.append(piece)
    details = _answer_details(final) if final is not None else {}
    if final is None and responses:
        details = {k: v for k, v in _answer_details(_get(responses[-1], "answer")).items()
                   if k == "state"}
    call.finish(output=[_choice("".join(text), **details)])


def _is_token(response: Any) -> bool:
    return bool(_get(_get(response, "answer"), "answer_text"))


def _start(tracer: trace.Tracer, method: str, args: tuple[Any, ...],
           kwargs: Mapping[str, Any]) -> Any:
    request = _request(method, args, kwargs)
    if method == "answer_query" and _get(request, "asynchronous_mode", False):
        return None  # the answer arrives later, through another call
    try:
        model, value, metadata = _prepare(method, request)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not read a discoveryengine {method}", exc)
        model, value, metadata = None, None, {}
    kind = "task" if method in ("rank", "check_grounding") else "llm"
    operation = "rerank" if method == "rank" else "chat"
    return LLMCall(tracer, f"google_discoveryengine.{method}", PROVIDER, operation, model,
                   value, metadata, span_type=kind)


def _end(call: LLMCall, method: str, result: Any, is_async: bool) -> Any:
    if method == "stream_answer_query":
        # gRPC and REST streams differ in what else they offer (cancel, read...):
        # the proxies keep all of it and watch only the iteration.
        wrap = traced_async_iterable if is_async else traced_iterable
        return wrap(result, call, _stream_done, _is_token)
    try:
        output = _output(method, result)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not record a discoveryengine {method}",
                           exc)
        output = None
    call.finish(output=output)
    return result


def _sync(tracer: trace.Tracer, method: str) -> Callable[..., Any]:
    return traced_sync(lambda instance, args, kwargs: _start(tracer, method, args, kwargs),
                       lambda call, result: _end(call, method, result, is_async=False))


def _async(tracer: trace.Tracer, method: str) -> Callable[..., Any]:
    return traced_async(lambda instance, args, kwargs: _start(tracer, method, args, kwargs),
                        lambda call, result: _end(call, method, result, is_async=True))


def wrap_google_discoveryengine(client: Any) -> Any:
    """Traces one Discovery Engine client (a v1 ``...ServiceClient`` or
    ``...ServiceAsyncClient``) and returns it; other clients are untouched.

    Wrapping it again changes nothing; with the instrumentor on too a call is
    one span (the inner wrapper passes through while a traced call runs).
    """
    name = type(client).__name__
    for service, methods in _CLIENTS.items():
        for suffix, make in (("Client", _sync), ("AsyncClient", _async)):
            if name != f"{service}{suffix}" or is_traced(client):
                continue
            tracer = trace.get_tracer(__name__, VERSION)
            for method in methods:
                wrapt.wrap_function_wrapper(client, method, make(tracer, method))
            mark_traced(client)
    return client


class GoogleDiscoveryEngineInstrumentor(LazyInstrumentor):
    """Traces Discovery Engine v1 answer, conversation, grounding and ranking calls."""

    library = "google.cloud.discoveryengine_v1"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(__name__, VERSION, kwargs.get("tracer_provider"))
        for service, methods in _CLIENTS.items():
            for suffix, make in (("Client", _sync), ("AsyncClient", _async)):
                for method in methods:
                    wrapt.wrap_function_wrapper(_MODULE, f"{service}{suffix}.{method}",
                                                make(tracer, method))

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        module = importlib.import_module(_MODULE)
        for service, methods in _CLIENTS.items():
            for suffix in ("Client", "AsyncClient"):
                for method in methods:
                    unwrap(getattr(module, f"{service}{suffix}"), method)
