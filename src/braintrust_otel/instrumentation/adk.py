"""Tracing for Google ADK (Agent Development Kit), which makes OTel GenAI spans itself.

ADK sends ``invoke_workflow``, ``invoke_agent <name>``, ``generate_content
<model>`` and ``execute_tool <tool>`` spans to the global tracer provider;
the GenAI mapper makes the rows (workflow and agent ``task``, model call
``llm`` with messages and tokens, tool ``tool``). Its model-call span is
current during the provider request, so the Google GenAI instrumentor adds no
second ``llm`` row.

What this instrumentor adds: it opts ADK into the current GenAI conventions
with message content on the spans (``OTEL_SEMCONV_STABILITY_OPT_IN`` +=
``gen_ai_latest_experimental``, and
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only`` unless set or
``BRAINTRUST_CAPTURE_CONTENT`` is off); without them ADK's spans carry no
messages. ADK reads them per span, so they apply from the next call.

It also puts on ADK's workflow and agent spans what the official rows show
and ADK's spans leave out: the runner's ``new_message`` as the workflow's
input, and the last final-response event as the output of both. ADK (2.x)
drives each of those spans' events through ``stream_in_scope``, which is
wrapped to watch them; an ADK without it gets no input or output there.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Collection
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from .. import attributes as A
from .. import diagnostics, muting
from ..masking import mask
from ..serialize import dumps
from ._genai_env import opt_in_latest_genai
from ._llm import capture_content

__all__ = ["ADKInstrumentor"]

_RUNNERS = "google.adk.runners"
_SCOPES = "google.adk.telemetry._instrumentation"

#: The ``new_message`` of the runner call whose events are being produced.
_NEW_MESSAGE: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "braintrust_adk_new_message", default=None)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json", exclude_none=True) if callable(dump) else value


def _record(span: Any, attr: str, field: str, value: Any) -> None:
    if not capture_content() or value is None:
        return
    try:
        span.set_attribute(attr, dumps(mask(field, _plain(value))))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record an ADK run", exc)


async def _run_async(wrapped: Any, instance: Any, args: Any,
                     kwargs: Any) -> AsyncIterator[Any]:
    # Runner.run_async is an async generator: the message is visible only while
    # ADK works on the next event (not while the caller handles one).
    message = kwargs.get("new_message")
    stream = wrapped(*args, **kwargs)
    try:
        while True:
            token = _NEW_MESSAGE.set(message)
            try:
                event = await stream.__anext__()
            except StopAsyncIteration:
                return
            finally:
                _NEW_MESSAGE.reset(token)
            yield event
    finally:
        await stream.aclose()


async def _stream_in_scope(wrapped: Any, instance: Any, args: Any,
                           kwargs: Any) -> AsyncIterator[Any]:
    otel_context = args[0] if args else kwargs.get("otel_context")
    span = trace.get_current_span(otel_context)
    name = str(getattr(span, "name", ""))
    workflow = name.startswith(("invoke_workflow", "invocation"))
    if workflow:
        _record(span, A.INPUT, "input", {"new_message": _plain(_NEW_MESSAGE.get())})
    watched = workflow or name.startswith("invoke_agent")
    last = None
    stream = wrapped(*args, **kwargs)
    try:
        async for event in stream:
            if watched:
                try:
                    if event.is_final_response():
                        last = event
                except Exception:  # an event of another shape: nothing to record
                    pass
            yield event
    finally:
        await stream.aclose()
    if last is not None:
        _record(span, A.OUTPUT, "output", last)

_instruments = ("google-adk >= 1.14",)


class ADKInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Opts ADK into the current GenAI conventions with content (its spans are its own).

    ADK always sends its spans to the global tracer provider; uninstrumenting
    mutes their scope instead (:mod:`braintrust_otel.muting`), so they stay out
    of Braintrust.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        import wrapt

        opt_in_latest_genai(content=True)
        muting.unmute("adk")

        def on_runners(module: Any) -> None:
            if hasattr(getattr(module, "Runner", None), "run_async"):
                wrapt.wrap_function_wrapper(module, "Runner.run_async", _run_async)

        def on_scopes(module: Any) -> None:
            if hasattr(module, "stream_in_scope"):
                wrapt.wrap_function_wrapper(module, "stream_in_scope", _stream_in_scope)

        wrapt.register_post_import_hook(on_runners, _RUNNERS)
        wrapt.register_post_import_hook(on_scopes, _SCOPES)

    def _uninstrument(self, **kwargs: Any) -> None:
        import sys

        from opentelemetry.instrumentation.utils import unwrap

        muting.mute("adk")
        if _RUNNERS in sys.modules:
            unwrap(sys.modules[_RUNNERS].Runner, "run_async")
        if _SCOPES in sys.modules:
            unwrap(sys.modules[_SCOPES], "stream_in_scope")
