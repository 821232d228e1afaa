"""The LangChain callback handler that makes OTel spans (imports ``langchain-core``).

LangChain reports every run (chain, chat model, LLM, tool, retriever) to
callback handlers. :class:`LangChainCallbackHandler` turns each run into an
OTel span with the fields the official SDK's handler logs: chains ``task``,
model runs ``llm`` (LangChain's messages in, the ``LLMResult`` out, invocation
parameters, tokens, time to first token), tools ``tool``, retrievers
``function``; each with a metadata block of LangChain's metadata, tags and run
ids. Each span is made current while its run lasts, so a provider request or
a ``@traced`` function inside a run nests under it, and a model run marks the
context so the provider instrumentors add no second ``llm`` row for the same
request.

OpenInference's LangChain tracer was the first choice, but it deliberately
never makes its spans current, so nothing a run calls nests under it.

``langchain.py`` installs one handler globally through LangChain's configure
hooks; a handler passed in ``callbacks=`` replaces it for that run.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Optional
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._langchain_mapping import (
    _model_params,
    _name,
    _plain,
    _provider,
    _response_fields,
    _run_metadata,
    _tool_input,
    _usage,
)
from ._llm import capture_content, mark_model_call, unmark_model_call

__all__ = ["LangChainCallbackHandler"]

_SCOPE = "braintrust_otel.instrumentation.langchain"
class _Run:
    __slots__ = ("ctx_token", "llm_token", "span", "start", "ttft")

    def __init__(self, span: trace.Span, ctx_token: Any,
                 llm_token: Optional[contextvars.Token[bool]]) -> None:
        self.span = span
        self.ctx_token = ctx_token
        self.llm_token = llm_token
        self.start = time.perf_counter()
        self.ttft: Optional[float] = None


def _restore(token: Any) -> None:
    # Callbacks of async runs may end in a copy of the context they started in;
    # resetting there raises, and there is nothing to restore anyway.
    try:
        if isinstance(token, contextvars.Token):
            token.var.reset(token)
        else:
            otel_context.detach(token)
    except (ValueError, RuntimeError):
        pass


class LangChainCallbackHandler(BaseCallbackHandler):
    """A LangChain callback handler that traces every run as an OTel span.

    Args:
        tracer_provider: Where spans go (the global provider by default).
        parent: A span to put top-level runs under, instead of the current span.
        bt_parent: A ``braintrust.parent`` string for the spans (the object
            they log to), instead of the current one.
    """

    run_inline = True  # async runs call it in their own context, so spans nest
    raise_error = False

    def __init__(self, tracer_provider: Any = None, parent: Optional[trace.Span] = None,
                 bt_parent: Optional[str] = None) -> None:
        super().__init__()
        self.enabled = True
        self._tracer = trace.get_tracer(_SCOPE, VERSION, tracer_provider)
        self._parent = parent
        self._bt_parent = bt_parent
        self._runs: dict[UUID, _Run] = {}
        # Hidden runs (tag langsmith:hidden) get no span; their children go to
        # the hidden run's parent.
        self._hidden: dict[UUID, Optional[UUID]] = {}
        self._lock = threading.Lock()

    # span bookkeeping

    def _parent_span(self, parent_run_id: Optional[UUID]) -> Optional[trace.Span]:
        with self._lock:
            while parent_run_id is not None:
                run = self._runs.get(parent_run_id)
                if run is not None:
                    return run.span
                if parent_run_id not in self._hidden:
                    break
                parent_run_id = self._hidden[parent_run_id]
        return self._parent

    def _start(self, run_id: UUID, parent_run_id: Optional[UUID], name: str, span_type: str,
               input: Any, tags: Optional[Sequence[str]],
               metadata: Optional[Mapping[str, Any]], model_call: bool = False,
               **extra: Any) -> None:
        if not self.enabled:
            return
        if tags and "langsmith:hidden" in tags:
            with self._lock:
                self._hidden[run_id] = parent_run_id
            return
        try:
            parent = self._parent_span(parent_run_id)
            ctx = trace.set_span_in_context(parent) if parent is not None else None
            attrs: dict[str, Any] = {A.SPAN_ATTRIBUTES: dumps({"type": span_type})}
            if self._bt_parent:
                attrs[A.PARENT] = self._bt_parent
            if capture_content() and input is not None:
                attrs[A.INPUT] = dumps(mask("input", _plain(input)))
            block = _run_metadata(run_id, parent_run_id, tags, metadata, **extra)
            attrs[A.METADATA] = dumps(mask("metadata", _plain(block)))
            span = self._tracer.start_span(name, context=ctx, attributes=attrs)
            ctx_token = otel_context.attach(trace.set_span_in_context(span))
            llm_token = mark_model_call() if model_call else None
            with self._lock:
                self._runs[run_id] = _Run(span, ctx_token, llm_token)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a LangChain run", exc)

    def _end(self, run_id: UUID, output: Any = None, metadata: Optional[Mapping[str, Any]] = None,
             metrics: Optional[Mapping[str, Any]] = None,
             error: Optional[BaseException] = None) -> None:
        with self._lock:
            self._hidden.pop(run_id, None)
            run = self._runs.pop(run_id, None)
        if run is None:
            return
        try:
            if run.llm_token is not None:
                unmark_model_call(run.llm_token)
            _restore(run.ctx_token)
            attrs: dict[str, Any] = {}
            if capture_content() and output is not None:
                attrs[A.OUTPUT] = dumps(mask("output", _plain(output)))
            for key, value in (metadata or {}).items():
                attrs[f"{A.METADATA}.{key}"] = value
            all_metrics = dict(metrics or {})
            if run.ttft is not None:
                all_metrics["time_to_first_token"] = run.ttft
            if all_metrics:
                attrs[A.METRICS] = dumps(all_metrics)
            run.span.set_attributes({k: v for k, v in attrs.items() if v is not None})
            if error is not None:
                run.span.record_exception(error)
                run.span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
                # The row's error is the message alone, as the official handler logs it
                # (the traceback stays on the span's exception event).
                run.span.set_attribute(
                    A.ERROR, dumps(mask("error", str(error) or type(error).__name__)))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record a LangChain run", exc)
        run.span.end()

    # chains

    def on_chain_start(self, serialized: Optional[dict[str, Any]], inputs: Any, *, run_id: UUID,
                       parent_run_id: Optional[UUID] = None, tags: Optional[list[str]] = None,
                       metadata: Optional[dict[str, Any]] = None, name: Optional[str] = None,
                       **kwargs: Any) -> None:
        node = (metadata or {}).get("langgraph_node")
        self._start(run_id, parent_run_id, _name(name or node, serialized, "Chain"), "task",
                    inputs, tags, metadata)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        # LangGraph ends a run that hands control elsewhere with these; they are not failures.
        if type(error).__name__ in ("GraphInterrupt", "ParentCommand", "Command"):
            self._end(run_id)
        else:
            self._end(run_id, error=error)

    # models

    def on_chat_model_start(self, serialized: Optional[dict[str, Any]],
                            messages: list[list[Any]], *, run_id: UUID,
                            parent_run_id: Optional[UUID] = None,
                            tags: Optional[list[str]] = None,
                            metadata: Optional[dict[str, Any]] = None,
                            name: Optional[str] = None,
                            invocation_params: Optional[dict[str, Any]] = None,
                            **kwargs: Any) -> None:
        # One list of messages per prompt, batched or not, as LangChain passes them.
        self._start(run_id, parent_run_id, _name(name, serialized, "Chat Model"), "llm",
                    messages, tags, metadata, model_call=True,
                    **_model_params(invocation_params), provider=_provider(serialized))

    def on_llm_start(self, serialized: Optional[dict[str, Any]], prompts: list[str], *,
                     run_id: UUID, parent_run_id: Optional[UUID] = None,
                     tags: Optional[list[str]] = None, metadata: Optional[dict[str, Any]] = None,
                     name: Optional[str] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(name, serialized, "LLM"), "llm", list(prompts),
                    tags, metadata, model_call=True, provider=_provider(serialized))

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is not None and run.ttft is None:
            run.ttft = time.perf_counter() - run.start

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        try:
            metrics, fields = _usage(response), _response_fields(response)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not read a LangChain model result", exc)
            metrics, fields = {}, {}
        self._end(run_id, response, fields, metrics)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    # tools and retrievers

    def on_tool_start(self, serialized: Optional[dict[str, Any]], input_str: str, *,
                      run_id: UUID, parent_run_id: Optional[UUID] = None,
                      tags: Optional[list[str]] = None,
                      metadata: Optional[dict[str, Any]] = None,
                      inputs: Optional[dict[str, Any]] = None, name: Optional[str] = None,
                      **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(name, serialized, "Tool"), "tool",
                    _tool_input(inputs, input_str), tags, metadata)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)

    def on_retriever_start(self, serialized: Optional[dict[str, Any]], query: str, *,
                           run_id: UUID, parent_run_id: Optional[UUID] = None,
                           tags: Optional[list[str]] = None,
                           metadata: Optional[dict[str, Any]] = None,
                           name: Optional[str] = None, **kwargs: Any) -> None:
        self._start(run_id, parent_run_id, _name(name, serialized, "Retriever"), "function",
                    query, tags, metadata)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, documents)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, error=error)
