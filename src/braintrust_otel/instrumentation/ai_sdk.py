"""The Vercel AI SDK for Python (``ai``): its own OTel adapter, turned on.

The ``ai`` package reports its runs, loop turns, model calls and tool
executions to telemetry adapters, and ships one that writes OTel spans in the
GenAI conventions (``ai.experimental_telemetry.otel.OtelAdapter``): an agent
run is an ``invoke_agent`` span, each model call a ``chat`` span with the
messages, the reply, tokens and time to first chunk, each tool an
``execute_tool`` span with arguments and result. The instrumentor registers
that adapter (once) and, unless the application chose otherwise, asks it to
record message content (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only``,
which it reads on every span); the GenAI mapper reads the spans as they are.

The model-call span is never current (the SDK keeps the caller's work while
a stream is open out of it), so the provider client's instrumentor would log
the same request again: the instrumentor marks the SDK's provider dispatch
(``_Executor._do_stream`` / ``_do_generate``, private) as a framework model
call, and the provider instrumentors pass through inside it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator
from typing import Any

import wrapt

from .. import diagnostics
from ._lazy import LazyInstrumentor
from ._llm import capture_content, mark_model_call, unmark_model_call

__all__ = ["AISDKInstrumentor"]

_instruments = ("ai >= 0.4.0",)
_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


async def _marked_stream(stream: Any) -> AsyncIterator[Any]:
    # The provider request and its chunks are read inside __anext__, in the
    # consumer's context; the mark is undone before each event reaches it.
    iterator = stream.__aiter__()
    while True:
        token = mark_model_call()
        try:
            event = await iterator.__anext__()
        except StopAsyncIteration:
            return
        finally:
            unmark_model_call(token)
        yield event


def _do_stream(wrapped: Any, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
    return _marked_stream(wrapped(*args, **kwargs))


def _do_generate(wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    @functools.wraps(wrapped)
    async def run() -> Any:
        token = mark_model_call()
        try:
            return await wrapped(*args, **kwargs)
        finally:
            unmark_model_call(token)

    return run()


class AISDKInstrumentor(LazyInstrumentor):
    """Registers the ``ai`` package's OTel telemetry adapter."""

    library = "ai"
    instruments = _instruments
    _adapter: Any = None

    def _patch(self, **kwargs: Any) -> None:
        from ai import experimental_telemetry
        from ai.experimental_telemetry import otel

        if capture_content():  # BRAINTRUST_CAPTURE_CONTENT=false keeps it off
            os.environ.setdefault(_CONTENT, "span_only")
        adapter = otel.OtelAdapter()
        experimental_telemetry.register(adapter)
        type(self)._adapter = adapter
        try:
            from ai.models.core import api

            wrapt.wrap_function_wrapper(api._Executor, "_do_stream", _do_stream)
            wrapt.wrap_function_wrapper(api._Executor, "_do_generate", _do_generate)
        except (ImportError, AttributeError) as exc:
            # Another layout: the spans still come, a provider row may double them.
            diagnostics.report("instrumentation", "could not mark the AI SDK's model calls", exc)

    def _unpatch(self, **kwargs: Any) -> None:
        from ai import experimental_telemetry

        adapter, type(self)._adapter = type(self)._adapter, None
        if adapter is not None:
            try:
                experimental_telemetry.unregister(adapter)
            except ValueError:
                pass
        try:
            from ai.models.core import api
        except ImportError:
            return
        for name in ("_do_stream", "_do_generate"):
            attr = api._Executor.__dict__.get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(api._Executor, name, attr.__wrapped__)
