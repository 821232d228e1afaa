"""Tracing for the Cursor SDK (``cursor-sdk``): agent runs, model turns, tools.

The SDK is a client of a bridge process that runs Cursor's agents (on this
machine or in Cursor's cloud), so no model request passes through this
process: each run is rebuilt from the events its stream delivers, as the
official SDK does. Each ``Agent.send`` / ``AsyncAgent.send`` is one
``Cursor Agent`` task span (the message in, the run's final text out, its
token usage as metrics); the model's work until Cursor reports the turn's
usage is one ``Cursor Model Turn`` llm span under it (the conversation so
far in, the assistant message with its tool calls out, tokens and time to
first token); each tool call is a tool span under that turn. A custom tool
(``local.custom_tools``) runs inside its tool span, so spans made in its
``execute`` nest there.

Events are traced where the SDK applies them to its run
(``_RunBase._apply_event_state``, shared by ``Run`` and ``AsyncRun`` and
reached by every way of reading a run: ``wait``, iteration, ``stream``,
``messages``, ``iter_text``), and from ``observe()`` streams. A run ends
with its result event, or when its stream ends or fails, ``wait()``
returns, ``cancel()`` succeeds or its agent is closed.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Iterator
from typing import Any, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics
from . import _cursor as m
from ._cursor_run import _Run, live
from ._lazy import LazyInstrumentor

__all__ = ["CursorSDKInstrumentor"]

_instruments = ("cursor-sdk >= 1.0.25",)
_SCOPE = "braintrust_otel.cursor_sdk"
_RUN_ATTR = "_braintrust_cursor_run"
_AGENT_RUNS = "_braintrust_cursor_runs"
#: The run ``send`` is making: the SDK reads the stream's first event before
#: ``send`` returns the ``Run``, so that event finds its run here.
_PENDING: contextvars.ContextVar[Optional[_Run]] = contextvars.ContextVar(
    "braintrust_cursor_run", default=None)
#: The function of ``cursor_sdk._tool_callback`` that runs a custom tool's callback.
_DISPATCH = "_dispatch_tool_call"
#: (module, class, method, wrapper name) of every patch, for _unpatch too.
_TARGETS = (
    ("cursor_sdk._agent", "Agent", "send", "_send"),
    ("cursor_sdk._async_agent", "AsyncAgent", "send", "_async_send"),
    ("cursor_sdk._agent", "Agent", "close", "_close"),
    ("cursor_sdk._async_agent", "AsyncAgent", "close", "_async_close"),
    ("cursor_sdk._run_base", "_RunBase", "_apply_event_state", "_apply_event_state"),
    ("cursor_sdk._run", "Run", "_events", "_events"),
    ("cursor_sdk._async_run", "AsyncRun", "_events", "_async_events"),
    ("cursor_sdk._run", "Run", "wait", "_wait"),
    ("cursor_sdk._async_run", "AsyncRun", "wait", "_async_wait"),
    ("cursor_sdk._run", "Run", "cancel", "_cancel"),
    ("cursor_sdk._async_run", "AsyncRun", "cancel", "_async_cancel"),
    ("cursor_sdk._run", "Run", "observe", "_observe"),
    ("cursor_sdk._async_run", "AsyncRun", "observe", "_async_observe"),
)


def _run_of(run: Any) -> Optional[_Run]:
    found = getattr(run, _RUN_ATTR, None)
    return found if isinstance(found, _Run) else _PENDING.get()


def _safely(what: str, action: Any, *args: Any, **kwargs: Any) -> None:
    try:
        action(*args, **kwargs)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not {what}", exc)


def _begin(tracer: trace.Tracer, instance: Any, args: tuple[Any, ...],
           kwargs: dict[str, Any]) -> Optional[_Run]:
    try:
        message = args[0] if args else kwargs.get("message")
        options = args[1] if len(args) > 1 else kwargs.get("options")
        model = m.model_id(m.field(options, "model")) or m.model_id(
            getattr(instance, "model", None))
        return _Run(tracer, message, model, str(getattr(instance, "agent_id", "") or ""))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not start a Cursor SDK run span", exc)
        return None


def _bind(traced: _Run, run: Any, agent: Any) -> None:
    setattr(run, _RUN_ATTR, traced)
    traced.attach(run)
    # Runs that ended are dropped here: an agent used for many sends keeps few.
    runs = [r for r in agent.__dict__.get(_AGENT_RUNS, ()) if not r.finished]
    agent.__dict__[_AGENT_RUNS] = [*runs, traced]


def _send(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        traced = _begin(tracer, instance, args, kwargs)
        token = _PENDING.set(traced)
        try:
            run = wrapped(*args, **kwargs)
        except Exception as exc:
            if traced is not None:
                traced.fail(exc)
            raise
        finally:
            _PENDING.reset(token)
        if traced is not None:
            _safely("bind a Cursor SDK run", _bind, traced, run, instance)
        return run

    return wrapper


def _async_send(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def send() -> Any:
            traced = _begin(tracer, instance, args, kwargs)
            token = _PENDING.set(traced)
            try:
                run = await wrapped(*args, **kwargs)
            except Exception as exc:
                if traced is not None:
                    traced.fail(exc)
                raise
            finally:
                _PENDING.reset(token)
            if traced is not None:
                _safely("bind a Cursor SDK run", _bind, traced, run, instance)
            return run

        return send()

    return wrapper


def _end_agent_runs(agent: Any) -> None:
    for traced in list(agent.__dict__.pop(_AGENT_RUNS, ())):
        if isinstance(traced, _Run) and not traced.finished:
            # Still under way when its agent closed: abandoned, not done.
            traced.finish(cancelled=True)


def _close(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        try:
            return wrapped(*args, **kwargs)
        finally:
            _safely("end a Cursor SDK agent's runs", _end_agent_runs, instance)

    return wrapper


def _async_close(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def close() -> Any:
            try:
                return await wrapped(*args, **kwargs)
            finally:
                _safely("end a Cursor SDK agent's runs", _end_agent_runs, instance)

        return close()

    return wrapper


def _apply_event_state(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        traced = _run_of(instance)
        if traced is not None:
            traced.add(args[0] if args else kwargs.get("event"), instance)
        return result

    return wrapper


def _failed(run: Any, exc: BaseException) -> None:
    """Ends the traced run of ``run`` (if any) with the error that stopped its stream."""
    traced = _run_of(run)
    if traced is not None:
        traced.fail(exc)


def _drained(run: Any) -> None:
    """Ends the traced run once the SDK has dropped its used-up event stream."""
    if getattr(run, "_event_stream", None) is None:
        traced = _run_of(run)
        if traced is not None:
            traced.finish(run)


def _cancelled(run: Any) -> None:
    """Ends the traced run of a ``run`` whose ``cancel()`` went through."""
    traced = _run_of(run)
    if traced is not None:
        traced.finish(run, cancelled=True)


def _events(tracer: trace.Tracer) -> Any:
    """A run's event iterator: its end (or failure) ends the traced run."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        def events() -> Iterator[Any]:
            try:
                yield from wrapped(*args, **kwargs)
            except Exception as exc:
                _failed(instance, exc)
                raise
            _drained(instance)

        return events()

    return wrapper


def _async_events(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def events() -> AsyncIterator[Any]:
            try:
                async for event in wrapped(*args, **kwargs):
                    yield event
            except Exception as exc:
                _failed(instance, exc)
                raise
            _drained(instance)

        return events()

    return wrapper


def _wait(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        traced = _run_of(instance)
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            if traced is not None:
                traced.fail(exc)
            raise
        if traced is not None:
            traced.finish(instance)
        return result

    return wrapper


def _async_wait(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def wait() -> Any:
            traced = _run_of(instance)
            try:
                result = await wrapped(*args, **kwargs)
            except Exception as exc:
                if traced is not None:
                    traced.fail(exc)
                raise
            if traced is not None:
                traced.finish(instance)
            return result

        return wait()

    return wrapper


def _cancel(tracer: trace.Tracer) -> Any:
    # A cancel() that fails (the run already ended) leaves the run as it is.
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        _cancelled(instance)
        return result

    return wrapper


def _async_cancel(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def cancel() -> Any:
            result = await wrapped(*args, **kwargs)
            _cancelled(instance)
            return result

        return cancel()

    return wrapper


def _observe(tracer: trace.Tracer) -> Any:
    """``observe()``: a second stream of the same run, traced like the first."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        stream = wrapped(*args, **kwargs)
        traced = _run_of(instance)
        if traced is None:
            return stream

        def observed() -> Iterator[Any]:
            try:
                for event in stream:
                    traced.add(event, instance)
                    yield event
            except Exception as exc:
                traced.fail(exc)
                raise

        return observed()

    return wrapper


def _async_observe(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        stream = wrapped(*args, **kwargs)
        traced = _run_of(instance)
        if traced is None:
            return stream

        async def observed() -> AsyncIterator[Any]:
            try:
                async for event in stream:
                    traced.add(event, instance)
                    yield event
            except Exception as exc:
                traced.fail(exc)
                raise

        return observed()

    return wrapper


def _dispatch_tool_call(wrapped: Any, instance: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
    """A custom tool's callback (on the SDK's callback server thread), inside its tool span."""
    row = None
    try:
        request = args[2] if len(args) > 2 else kwargs.get("request")
        agent_id = str(m.field(request, "agentId") or m.field(request, "agent_id") or "")
        traced = live(agent_id) if agent_id else None
        if traced is not None:
            call_id = str(m.field(request, "toolCallId") or m.field(request, "tool_call_id")
                          or "")
            name = str(m.field(request, "toolName") or m.field(request, "tool_name") or "tool")
            row = traced.open_tool(call_id, name, m.field(request, "args", {}))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not find a Cursor SDK tool span", exc)
    if row is None:
        return wrapped(*args, **kwargs)
    token = otel_context.attach(trace.set_span_in_context(row.span))
    try:
        return wrapped(*args, **kwargs)
    finally:
        otel_context.detach(token)


_WRAPPERS = {"_send": _send, "_async_send": _async_send, "_close": _close,
             "_async_close": _async_close, "_apply_event_state": _apply_event_state,
             "_events": _events, "_async_events": _async_events, "_wait": _wait,
             "_async_wait": _async_wait, "_cancel": _cancel, "_async_cancel": _async_cancel,
             "_observe": _observe, "_async_observe": _async_observe}


class CursorSDKInstrumentor(LazyInstrumentor):
    """Traces ``cursor_sdk`` agent runs (``Agent`` and ``AsyncAgent``)."""

    library = "cursor_sdk"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import importlib

        tracer = trace.get_tracer(_SCOPE)
        for module_name, class_name, method, wrapper in _TARGETS:
            owner = getattr(importlib.import_module(module_name), class_name)
            wrapt.wrap_function_wrapper(owner, method, _WRAPPERS[wrapper](tracer))
        callbacks = importlib.import_module("cursor_sdk._tool_callback")
        wrapt.wrap_function_wrapper(callbacks, _DISPATCH, _dispatch_tool_call)

    def _unpatch(self, **kwargs: Any) -> None:
        import importlib

        for module_name, class_name, method, _ in _TARGETS:
            owner = getattr(importlib.import_module(module_name), class_name)
            attr = owner.__dict__.get(method)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(owner, method, attr.__wrapped__)
        callbacks = importlib.import_module("cursor_sdk._tool_callback")
        attr = getattr(callbacks, _DISPATCH, None)
        if isinstance(attr, wrapt.FunctionWrapper):
            setattr(callbacks, _DISPATCH, attr.__wrapped__)
