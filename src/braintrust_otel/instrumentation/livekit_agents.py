"""Tracing for LiveKit Agents: the official SDK's rows for a session.

LiveKit Agents traces itself to the global tracer provider (``agent_session``,
``agent_turn``, ``llm_node``, ``llm_request``, ``function_tool``...), but the
official SDK logs other rows, which this instrumentor makes instead; LiveKit's
own spans are muted (:mod:`braintrust_otel.muting`, whether the instrumentor
is on or off), their children going to the nearest row kept:

- ``livekit_agent_session`` (task), from ``AgentSession.start`` to its close,
  under what was current at the start; the model's metrics events land on it
  (time to first token as a metric; model, provider, request and speech ids
  and LiveKit's token counts as metadata), and what a run's result says
  about the turn as metadata;
- ``llm_request_run`` (task) per model request attempt, under the session;
  the provider client's request (the OpenAI plugin's client, instrumented
  too) is the ``llm`` row inside it;
- ``function_tool`` (tool) for the tools of one reply, logged when they are
  done, under the session: name and arguments in, output and error flag out,
  the call id as metadata (several calls: ``{"tool_calls": [...]}`` out).
  As in the official rows, the application's spans inside a tool are
  children of the session, not of this row.

Speech (STT, TTS, end of utterance, speaking turns) is not traced.

:func:`wrap_session_class` traces the sessions of one class only (the
per-class helper); a call wrapped twice (helper and instrumentor) makes one row.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics, muting
from . import _livekit as lk
from . import _wrap
from ._lazy import LazyInstrumentor
from ._rows import Row

__all__ = ["LiveKitAgentsInstrumentor", "wrap_session_class"]

_instruments = ("livekit-agents >= 1.3.1",)
_SCOPE = "braintrust_otel.livekit_agents"
_SESSION_MODULE = "livekit.agents.voice.agent_session"
_GENERATION_MODULE = "livekit.agents.voice.generation"
_STREAM_MODULE = "livekit.agents.llm.llm"
#: Where a session keeps its row (LiveKit's objects take attributes).
_ROW_ATTR = "_braintrust_otel_session_row"
_HANDLER_ATTR = "_braintrust_otel_metrics_handler"

#: The session row of the session whose work is running (set by start and run,
#: inherited by the tasks LiveKit makes for them).
_SESSION: contextvars.ContextVar[Optional[Row]] = contextvars.ContextVar(
    "braintrust_livekit_session", default=None)


#: Our wrappers: one finding another beneath it passes through (the helper and the
#: instrumentor wrapping one method).
_OURS: set[Any] = set()
_once = _wrap.once_among(_OURS)


def _tracer() -> trace.Tracer:
    return trace.get_tracer(_SCOPE)


def _row_of(session: Any) -> Optional[Row]:
    row = getattr(session, _ROW_ATTR, None)
    return row if isinstance(row, Row) else None


@contextlib.contextmanager
def _in_session(row: Optional[Row]) -> Iterator[None]:
    """The session row current (as OTel span and as ours) while LiveKit works on it."""
    if row is None:
        yield
        return
    token = otel_context.attach(trace.set_span_in_context(row.span))
    mine = _SESSION.set(row)
    try:
        yield
    finally:
        _SESSION.reset(mine)
        otel_context.detach(token)


@_once
async def _session_start(wrapped: Any, instance: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    row = _row_of(instance)
    if row is None:
        try:
            row = Row(_tracer(), "livekit_agent_session", "task", None)
            setattr(instance, _ROW_ATTR, row)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a LiveKit session", exc)
            row = None
    try:
        with _in_session(row):
            return await wrapped(*args, **kwargs)
    except BaseException:
        _end_session(instance)
        raise


@_once
def _session_run(wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    row = _row_of(instance)
    # run() starts the reply in tasks that inherit this context, and returns at once.
    with _in_session(row):
        result = wrapped(*args, **kwargs)
    if row is not None:
        try:
            done = getattr(result, "_done_fut", None)
            if done is not None and hasattr(done, "add_done_callback"):
                done.add_done_callback(lambda _: _log_turn(row, result))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not follow a LiveKit run", exc)
    return result


def _log_turn(row: Row, result: Any) -> None:
    try:
        meta = lk.turn_metadata(result)
        if meta:
            row.log(metadata=meta)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record a LiveKit run", exc)


def _end_session(session: Any) -> None:
    row = _row_of(session)
    if row is not None:
        row.end()
        with contextlib.suppress(Exception):
            delattr(session, _ROW_ATTR)


@_once
async def _session_close(wrapped: Any, instance: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    try:
        return await wrapped(*args, **kwargs)
    finally:
        _end_session(instance)


@_once
async def _execute_tools(wrapped: Any, instance: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> Any:
    row = _row_of(kwargs.get("session")) or _SESSION.get()
    start = time.time_ns()
    error: Optional[BaseException] = None
    try:
        return await wrapped(*args, **kwargs)
    except Exception as exc:
        error = exc
        raise
    finally:
        if row is not None:
            _log_tools(row, kwargs.get("tool_output"), start, error)


def _log_tools(session: Row, tool_output: Any, start: int, error: Optional[BaseException]
               ) -> None:
    try:
        event = lk.tool_event(tool_output)
        if event is None:
            return  # the reply ran no tool: no row, as in the official SDK
        tool = Row(_tracer(), "function_tool", "tool", session.span, start_ns=start)
        tool.log(input=event.get("input"), output=event.get("output"),
                 metadata=event.get("metadata"),
                 error=None if error is None else f"{type(error).__name__}: {error}")
        tool.end()
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record LiveKit tool calls", exc)


def _on_metrics(event: Any) -> None:
    # LiveKit emits from the stream's own task, which carries the session's context.
    row = _SESSION.get()
    if row is None:
        return
    try:
        found = lk.metrics_event(event)
        if found is not None:
            metrics, metadata = found
            row.log(metadata=metadata, metrics=metrics)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record LiveKit metrics", exc)


@_once
def _stream_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    try:
        llm = getattr(instance, "_llm", None)
        on = getattr(llm, "on", None)
        if callable(on) and not getattr(llm, _HANDLER_ATTR, False):
            on("metrics_collected", _on_metrics)
            setattr(llm, _HANDLER_ATTR, True)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not follow a LiveKit model's metrics", exc)
    return result


@_once
def _attempt_span(wrapped: Any, instance: Any, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
    if _SESSION.get() is None and not LiveKitAgentsInstrumentor().is_instrumented_by_opentelemetry:
        # Only wrap_livekit_agents is on, and this request is not in a session it wraps.
        return wrapped(*args, **kwargs)

    @contextlib.contextmanager
    def attempt() -> Iterator[Any]:
        with wrapped(*args, **kwargs) as span:
            row: Optional[Row] = None
            try:
                session = _SESSION.get()
                row = Row(_tracer(), "llm_request_run", "task",
                          session.span if session is not None else None)
                token = otel_context.attach(trace.set_span_in_context(row.span))
            except Exception as exc:
                diagnostics.report("instrumentation", "could not trace a LiveKit request", exc)
                token = None
            try:
                # The provider request runs in this task while the attempt is open.
                yield span
            except BaseException as exc:
                if row is not None and isinstance(exc, Exception):
                    row.log(error=f"{type(exc).__name__}: {exc}")
                raise
            finally:
                if token is not None:
                    otel_context.detach(token)
                if row is not None:
                    row.end()

    return attempt()


#: What a session class gets, from the instrumentor or from wrap_session_class.
_SESSION_METHODS = (("start", _session_start), ("run", _session_run),
                    ("_aclose_impl", _session_close))
#: Below the session: they make rows only inside a traced session (the tool and metrics
#: wrappers always; the request attempt's, while the instrumentor is off).
_WORK_PATCHES = (
    (_GENERATION_MODULE, "_execute_tools_task", _execute_tools),
    (_STREAM_MODULE, "LLMStream.__init__", _stream_init),
    (_STREAM_MODULE, "LLMStream._attempt_span", _attempt_span),
)
#: (module, attribute path, wrapper): what the instrumentor patches, when present.
_PATCHES = tuple((_SESSION_MODULE, f"AgentSession.{name}", wrapper)
                 for name, wrapper in _SESSION_METHODS) + _WORK_PATCHES
_work_patched = False
_work_lock = threading.Lock()


def wrap_session_class(target: Any) -> Any:
    """Traces the sessions of one ``AgentSession`` class (and its subclasses); returns it.

    Its ``start``/``run``/``_aclose_impl`` get the instrumentor's wrappers (a
    ``livekit_agent_session`` row per session); the tool, metrics and request
    wrappers go on LiveKit's functions once, making rows only inside a traced
    session. Wrapping again, or with the instrumentor on too, adds no second row.

    Raises:
        TypeError: When ``target`` has no ``start``/``run``, or cannot be patched.
    """
    global _work_patched
    _wrap.wrap_methods(target, _SESSION_METHODS)
    # Our rows stand for LiveKit's own spans, whatever turned them on.
    muting.mute("livekit_agents")
    with _work_lock:
        if not _work_patched:
            import importlib

            for module_name, path, wrapper in _WORK_PATCHES:
                owner, name = _owner(importlib.import_module(module_name), path)
                if hasattr(owner, name):
                    wrapt.wrap_function_wrapper(owner, name, wrapper)
            _work_patched = True
    return target


def _owner(module: Any, path: str) -> tuple[Any, str]:
    owner = module
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    return owner, name


class LiveKitAgentsInstrumentor(LazyInstrumentor):
    """Logs the official SDK's rows for LiveKit sessions; mutes LiveKit's own spans."""

    library = "livekit.agents"
    instruments = _instruments

    def _instrument(self, **kwargs: Any) -> None:
        # Our rows stand for LiveKit's spans; both would be the same work twice.
        muting.mute("livekit_agents")
        super()._instrument(**kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        super()._uninstrument(**kwargs)
        muting.mute("livekit_agents")

    def _patch(self, **kwargs: Any) -> None:
        import importlib

        for module_name, path, wrapper in _PATCHES:
            owner, name = _owner(importlib.import_module(module_name), path)
            if hasattr(owner, name):
                wrapt.wrap_function_wrapper(owner, name, wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        for module_name, path, _ in _PATCHES:
            owner, name = _owner(importlib.import_module(module_name), path)
            attr = getattr(owner, "__dict__", {}).get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(owner, name, attr.__wrapped__)
