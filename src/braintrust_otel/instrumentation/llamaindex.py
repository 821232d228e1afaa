"""Tracing for LlamaIndex through OpenInference's LlamaIndex instrumentor.

OpenInference's instrumentor (``openinference-instrumentation-llama-index``)
registers a span handler on LlamaIndex's instrumentation dispatcher, so every
query engine, retriever, agent step, tool and LLM call becomes an OTel span
that is current while it runs; the OpenInference mapper turns them into rows
(agents and steps ``task``, LLM calls ``llm`` with messages and tokens, tools
``tool``). Its LLM span is current during the provider request, so the
provider instrumentors add no second ``llm`` row. A streamed call is the
exception: LlamaIndex sends its request only when the caller iterates the
stream, after the LLM method returned and its span stopped being current, so
the provider's row is the call's ``llm`` row and LlamaIndex's span for the
stream method is typed ``task`` (the official SDK types all LlamaIndex LLM
spans ``task`` and leaves the ``llm`` leaf to the provider).
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace

from .. import attributes as A
from ._lazy import LazyInstrumentor
from ._llm import mark_model_call, unmark_model_call
from ._openinference import trace_config

__all__ = ["LlamaIndexInstrumentor", "span_handler_class"]

_instruments = ("llama-index-core >= 0.10.43",)
# stream_chat, astream_chat, stream_complete, astream_chat_with_tools...
_STREAM_METHODS = ("stream", "astream")
_TASK = json.dumps({"type": "task"})


class LlamaIndexInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's LlamaIndex instrumentation with our tracer provider.

    Needs ``openinference-instrumentation-llama-index`` (the ``llamaindex`` extra);
    without it, :meth:`instrument` raises ``ImportError`` naming the package.
    """

    library = "llama_index.core"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        config = _config()  # first: names the missing package
        from openinference.instrumentation.llama_index import (
            LlamaIndexInstrumentor as OpenInferenceLlamaIndex,
        )

        OpenInferenceLlamaIndex().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                             config=config)
        from llama_index.core.instrumentation import get_dispatcher

        dispatcher = get_dispatcher()
        if not any(type(h).__name__ == "_ModelCallMarker" for h in dispatcher.span_handlers):
            dispatcher.add_span_handler(_marker())

    def _unpatch(self, **kwargs: Any) -> None:
        from openinference.instrumentation.llama_index import (
            LlamaIndexInstrumentor as OpenInferenceLlamaIndex,
        )

        OpenInferenceLlamaIndex().uninstrument()
        from llama_index.core.instrumentation import get_dispatcher

        dispatcher = get_dispatcher()
        dispatcher.span_handlers = [h for h in dispatcher.span_handlers
                                    if type(h).__name__ != "_ModelCallMarker"]


def _config() -> Any:
    return trace_config("openinference.instrumentation.llama_index", "LlamaIndex", "llamaindex")


class _ModelCallMarks:
    """Marks the context of each LLM call while LlamaIndex's span for it runs.

    OpenInference writes its span's attributes only when the span ends, so
    during the provider request nothing on the current span says it stands
    for a model call; the context is marked instead, so the provider
    instrumentors add no second llm row. A stream method's request is sent
    later, outside the mark, so its span (OpenInference's, current here) is
    typed ``task`` instead and the provider's row stands for the call.
    """

    def __init__(self) -> None:
        from llama_index.core.base.llms.base import BaseLLM

        self._llm = BaseLLM
        self._tokens: dict[str, Any] = {}

    def enter(self, id_: str, instance: Any) -> None:
        method = id_.split("-", 1)[0].rsplit(".", 1)[-1]
        if isinstance(instance, self._llm) and not method.startswith("_"):
            if method.startswith(_STREAM_METHODS):
                trace.get_current_span().set_attribute(A.SPAN_ATTRIBUTES, _TASK)
            else:
                self._tokens[id_] = mark_model_call()

    def leave(self, id_: str) -> None:
        token = self._tokens.pop(id_, None)
        if token is not None:
            unmark_model_call(token)


def _marker() -> Any:
    """A LlamaIndex span handler that only marks model calls (see :class:`_ModelCallMarks`),
    next to OpenInference's handler on the root dispatcher."""
    from llama_index.core.instrumentation.span_handlers import BaseSpanHandler

    class _ModelCallMarker(BaseSpanHandler[Any]):  # type: ignore[misc]
        def model_post_init(self, __context: Any) -> None:
            super().model_post_init(__context)
            self._marks = _ModelCallMarks()

        @classmethod
        def class_name(cls) -> str:
            return "_ModelCallMarker"

        def new_span(self, id_: str, bound_args: Any, instance: Any = None,
                     parent_span_id: Any = None, tags: Any = None, **kwargs: Any) -> None:
            self._marks.enter(id_, instance)
            return None

        def prepare_to_exit_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 result: Any = None, **kwargs: Any) -> None:
            self._marks.leave(id_)

        def prepare_to_drop_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 err: Any = None, **kwargs: Any) -> None:
            self._marks.leave(id_)

    return _ModelCallMarker()


def span_handler_class() -> type:
    """A LlamaIndex span handler class that traces the dispatcher it is added to.

    What the instrumentor turns on for the root dispatcher (OpenInference's
    span and event handlers, and the model-call marks), in one handler the
    user attaches where they want: a handler made but never added records
    nothing, and one added to a child dispatcher records that dispatcher's
    spans only. Its event handler joins each dispatcher holding it when its
    first span starts there. While the instrumentor is on, it records nothing
    (the instrumentor's handler already does).

    Raises:
        ImportError: When ``openinference-instrumentation-llama-index`` is missing.
    """
    _config()
    from llama_index.core.instrumentation import root_manager
    from openinference.instrumentation import OITracer
    from openinference.instrumentation.llama_index._handler import EventHandler, _SpanHandler

    from .._version import VERSION

    class _OwnEvents(EventHandler):  # type: ignore[misc]
        """OpenInference's event handler, for the events of its own handler's spans only."""

        @classmethod
        def class_name(cls) -> str:
            return "BraintrustEventHandler"

        def handle(self, event: Any, **kwargs: Any) -> Any:
            spans = self._span_handler
            if event.span_id and event.span_id not in spans.open_spans \
                    and spans._export_queue.find(event.span_id) is None:
                return event  # another handler's span: not ours to record
            return super().handle(event, **kwargs)

    class SpanHandler(_SpanHandler):  # type: ignore[misc]
        def __init__(self) -> None:
            tracer = OITracer(trace.get_tracer("openinference.instrumentation.llama_index",
                                               VERSION), config=_config())
            super().__init__(tracer=tracer)
            self._marks = _ModelCallMarks()
            self._events = _OwnEvents(span_handler=self)

        @classmethod
        def class_name(cls) -> str:
            return "BraintrustSpanHandler"

        def _join_events(self) -> None:
            for dispatcher in list(root_manager.dispatchers.values()):
                if any(h is self for h in dispatcher.span_handlers) and not any(
                        h is self._events for h in dispatcher.event_handlers):
                    dispatcher.add_event_handler(self._events)

        def new_span(self, id_: str, bound_args: Any, instance: Any = None,
                     parent_span_id: Any = None, tags: Any = None, **kwargs: Any) -> Any:
            if LlamaIndexInstrumentor().patched:
                return None
            self._join_events()
            span = super().new_span(id_, bound_args, instance=instance,
                                    parent_span_id=parent_span_id, tags=tags, **kwargs)
            if span is not None:
                self._marks.enter(id_, instance)
            return span

        def prepare_to_exit_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 result: Any = None, **kwargs: Any) -> Any:
            if id_ not in self.open_spans:
                return None
            try:
                return super().prepare_to_exit_span(id_, bound_args, instance=instance,
                                                    result=result, **kwargs)
            finally:
                self._marks.leave(id_)

        def prepare_to_drop_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 err: Any = None, **kwargs: Any) -> Any:
            if id_ not in self.open_spans:
                return None
            try:
                return super().prepare_to_drop_span(id_, bound_args, instance=instance,
                                                    err=err, **kwargs)
            finally:
                self._marks.leave(id_)

    return SpanHandler
