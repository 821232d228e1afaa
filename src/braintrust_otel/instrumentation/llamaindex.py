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
from ._llm import capture_content, mark_model_call, unmark_model_call

__all__ = ["LlamaIndexInstrumentor"]

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
        try:
            from openinference.instrumentation import TraceConfig
            from openinference.instrumentation.llama_index import (
                LlamaIndexInstrumentor as OpenInferenceLlamaIndex,
            )
        except ImportError as exc:
            raise ImportError("tracing LlamaIndex needs openinference-instrumentation-llama-index "
                              "(pip install 'braintrust-otel[llamaindex]')") from exc
        # Content off hides it; otherwise OpenInference's own OPENINFERENCE_HIDE_* apply.
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
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


def _marker() -> Any:
    """A LlamaIndex span handler that marks the context of each LLM call.

    OpenInference writes its span's attributes only when the span ends, so
    during the provider request nothing on the current span says it stands
    for a model call; this handler marks the context instead, so the provider
    instrumentors add no second llm row. A stream method's request is sent
    later, outside the mark, so its span (OpenInference's, current here) is
    typed ``task`` instead and the provider's row stands for the call.
    """
    from llama_index.core.base.llms.base import BaseLLM
    from llama_index.core.instrumentation.span_handlers import BaseSpanHandler

    class _ModelCallMarker(BaseSpanHandler[Any]):  # type: ignore[misc]
        def model_post_init(self, __context: Any) -> None:
            super().model_post_init(__context)
            self._tokens: dict[str, Any] = {}

        @classmethod
        def class_name(cls) -> str:
            return "_ModelCallMarker"

        def new_span(self, id_: str, bound_args: Any, instance: Any = None,
                     parent_span_id: Any = None, tags: Any = None, **kwargs: Any) -> None:
            method = id_.split("-", 1)[0].rsplit(".", 1)[-1]
            if isinstance(instance, BaseLLM) and not method.startswith("_"):
                if method.startswith(_STREAM_METHODS):
                    trace.get_current_span().set_attribute(A.SPAN_ATTRIBUTES, _TASK)
                else:
                    self._tokens[id_] = mark_model_call()
            return None

        def _unmark(self, id_: str) -> None:
            token = self._tokens.pop(id_, None)
            if token is not None:
                unmark_model_call(token)

        def prepare_to_exit_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 result: Any = None, **kwargs: Any) -> None:
            self._unmark(id_)

        def prepare_to_drop_span(self, id_: str, bound_args: Any, instance: Any = None,
                                 err: Any = None, **kwargs: Any) -> None:
            self._unmark(id_)

    return _ModelCallMarker()
