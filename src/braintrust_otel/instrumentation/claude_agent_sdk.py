"""Tracing for the Claude Agent SDK: an agent run, its model calls and its tools.

The SDK drives the ``claude`` CLI as a subprocess, so no model request passes
through this process: the run is rebuilt from the messages the SDK yields, as
the official SDK does. Each ``query()`` (the one-shot function, or a
``ClaudeSDKClient.query`` answered by ``receive_response``) is one
``Claude Agent`` task span with the prompt as input and the result as output;
each model turn (one provider message id, whose blocks the CLI sends as
several assistant messages) is one ``anthropic.messages.create`` llm span
under it, with the prompt and the conversation so far as input; each tool the
model calls is a tool span under its turn, ended by the tool's result. A
subagent (``Agent``/``Task`` tool) gets a task span under its tool span, and
its turns nest there. The result message's usage (all models summed), cost,
turns and durations go on the run span; system messages (``init``, task
events) are kept as its ``task_events`` metadata.

Messages are traced when the SDK's reader receives them (a proxy on its
message queue), not when the application consumes them: the CLI asks for
hook callbacks as soon as it needs them, while the message that led there
may still wait in the queue. A ``ClaudeSDKClient``'s hook callbacks become
``<event> hook`` function spans under the tool they concern (or the model
turn under way), with the hook's input and result (only the fields the hook
protocol defines: no working directory or transcript path).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics
from ._claude_agent_run import _LIVE, _Run
from ._lazy import LazyInstrumentor

__all__ = ["ClaudeAgentSDKInstrumentor"]

_instruments = ("claude-agent-sdk >= 0.1.10",)
_SCOPE = "braintrust_otel.claude_agent_sdk"
_RUN_ATTR = "_braintrust_run"
#: The run a query() call's reader task is started for (bound during its first step).
_BINDING: contextvars.ContextVar[Optional[_Run]] = contextvars.ContextVar(
    "braintrust_claude_run", default=None)


def _tool_handler(handler: Any, name: str) -> Any:
    """An SDK MCP tool's handler, run inside the tool span the model's call opened."""
    if getattr(handler, "_braintrust_tool", False):
        return handler

    async def traced(arguments: Any) -> Any:
        row = None
        try:
            for run in reversed(_LIVE):
                row = run.open_tool(name, arguments)
                if row is not None:
                    break
        except Exception as exc:
            diagnostics.report("instrumentation", "could not find a Claude Agent SDK tool span",
                               exc)
        if row is None:
            return await handler(arguments)
        token = otel_context.attach(trace.set_span_in_context(row.span))
        try:
            return await handler(arguments)
        finally:
            otel_context.detach(token)

    traced._braintrust_tool = True  # type: ignore[attr-defined]
    return traced


def _sdk_tool_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    try:
        instance.handler = _tool_handler(instance.handler, str(instance.name))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace a Claude Agent SDK tool", exc)
    return result



class _RawMessages:
    """Stands in for the SDK's message queue: traces each message as it is queued."""

    def __init__(self, stream: Any, query: Any) -> None:
        self._stream = stream
        self._query = query
        self._braintrust_proxy = True

    async def send(self, value: Any) -> None:
        run = getattr(self._query, _RUN_ATTR, None)
        if isinstance(run, _Run):
            run.add_raw(value)
        await self._stream.send(value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _watch_queue(query: Any) -> None:
    stream = getattr(query, "_message_send", None)
    if stream is not None and not getattr(stream, "_braintrust_proxy", False):
        query._message_send = _RawMessages(stream, query)


def _read_messages(wrapped: Any, instance: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    # Runs when the reader task is made: inside query()'s first step, whose run is bound.
    try:
        run = _BINDING.get()
        if run is not None:
            setattr(instance, _RUN_ATTR, run)
        _watch_queue(instance)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not watch the Claude Agent SDK's messages",
                           exc)
    return wrapped(*args, **kwargs)


async def _bound(messages: AsyncIterator[Any], run: Optional[_Run]) -> AsyncIterator[Any]:
    """``messages`` with ``run`` bound while the first one is awaited (the reader starts)."""
    iterator = messages.__aiter__()
    token = _BINDING.set(run)
    try:
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            return
    finally:
        _BINDING.reset(token)
    yield first
    async for message in iterator:
        yield message


def _prompt(prompt: Any) -> tuple[Any, Any, Optional[list[Any]]]:
    """(prompt to pass on, prompt to log, list the streamed prompt messages fill)."""
    if prompt is None or isinstance(prompt, str):
        return prompt, prompt, None
    if isinstance(prompt, AsyncIterable):
        captured: list[Any] = []

        async def capturing() -> AsyncIterator[Any]:
            async for item in prompt:
                captured.append(item)
                yield item

        return capturing(), None, captured
    return prompt, str(prompt), None


def _new_run(tracer: trace.Tracer, prompt: Any, captured: Optional[list[Any]], start: int,
             options: Any) -> Optional[_Run]:
    try:
        return _Run(tracer, prompt, captured, start, options)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not start a Claude Agent SDK span", exc)
        return None


async def _traced(messages: AsyncIterator[Any], run: Optional[_Run],
                  on_end: Any = None) -> AsyncIterator[Any]:
    if run is None:
        async for message in messages:
            yield message
        return
    completed = False
    try:
        async for message in messages:
            run.add(message)
            yield message
        completed = True
    except Exception as exc:
        run.fail(exc)
        raise
    finally:
        run.finish(log_output=completed)
        if on_end is not None:
            on_end(run)


def _query_function(tracer: trace.Tracer, original: Any) -> Any:
    """The package's ``query`` function, tracing each call as one run."""

    async def query(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        start = time.time_ns()
        if args:
            sent, logged, captured = _prompt(args[0])
            args = (sent, *args[1:])
        else:
            sent, logged, captured = _prompt(kwargs.get("prompt"))
            kwargs = {**kwargs, "prompt": sent}
        options = kwargs.get("options", args[1] if len(args) > 1 else None)
        run = _new_run(tracer, logged, captured, start, options)
        async for message in _traced(_bound(original(*args, **kwargs), run), run):
            yield message

    query.__wrapped__ = original  # type: ignore[attr-defined]
    query.__doc__ = original.__doc__
    query.__name__ = getattr(original, "__name__", "query")
    return query


def _finish_pending(instance: Any) -> None:
    run = instance.__dict__.pop(_RUN_ATTR, None)
    if isinstance(run, _Run):
        run.finish()
        _forget_on_query(instance, run)


def _forget_on_query(instance: Any, run: _Run) -> None:
    query = getattr(instance, "_query", None)
    if query is not None and getattr(query, _RUN_ATTR, None) is run:
        setattr(query, _RUN_ATTR, None)


def _client_connect(wrapped: Any, instance: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
    async def run_connect() -> Any:
        result = await wrapped(*args, **kwargs)
        try:
            query = getattr(instance, "_query", None)
            if query is not None:
                _watch_queue(query)
                _wrap_hooks(instance, query)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace Claude Agent SDK hooks", exc)
        return result

    return run_connect()


def _wrap_hooks(instance: Any, query: Any) -> None:
    callbacks = getattr(query, "hook_callbacks", None)
    if not isinstance(callbacks, dict):
        return
    for callback_id, callback in list(callbacks.items()):
        if getattr(callback, "_braintrust_hook", False):
            continue

        async def traced(input_data: Any, tool_use_id: Optional[str], context: Any,
                         _callback: Any = callback) -> Any:
            run = instance.__dict__.get(_RUN_ATTR)
            if not isinstance(run, _Run):
                return await _callback(input_data, tool_use_id, context)
            return await run.trace_hook(_callback, input_data, tool_use_id, context)

        traced._braintrust_hook = True  # type: ignore[attr-defined]
        callbacks[callback_id] = traced


def _client_query(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        async def run_query() -> Any:
            _finish_pending(instance)
            start = time.time_ns()
            call_args, call_kwargs = args, kwargs
            if call_args:
                sent, logged, captured = _prompt(call_args[0])
                call_args = (sent, *call_args[1:])
            else:
                sent, logged, captured = _prompt(call_kwargs.get("prompt"))
                call_kwargs = {**call_kwargs, "prompt": sent}
            run = _new_run(tracer, logged, captured, start, getattr(instance, "options", None))
            if run is not None:
                instance.__dict__[_RUN_ATTR] = run
                query = getattr(instance, "_query", None)
                if query is not None:
                    _watch_queue(query)
                    setattr(query, _RUN_ATTR, run)
            try:
                return await wrapped(*call_args, **call_kwargs)
            except Exception as exc:
                if run is not None:
                    run.fail(exc)
                _finish_pending(instance)
                raise

        return run_query()

    return wrapper


def _client_receive_response(tracer: trace.Tracer) -> Any:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
        run = instance.__dict__.get(_RUN_ATTR)
        if not isinstance(run, _Run):
            run = _new_run(tracer, None, None, time.time_ns(), getattr(instance, "options", None))

        def forget(done: _Run) -> None:
            if instance.__dict__.get(_RUN_ATTR) is done:
                del instance.__dict__[_RUN_ATTR]
            _forget_on_query(instance, done)

        return _traced(wrapped(*args, **kwargs), run, forget)

    return wrapper


def _client_close(wrapped: Any, instance: Any, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
    # A query whose response was never read still ends its span.
    try:
        _finish_pending(instance)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not end a Claude Agent SDK run", exc)
    return wrapped(*args, **kwargs)


class ClaudeAgentSDKInstrumentor(LazyInstrumentor):
    """Traces ``claude_agent_sdk.query`` and ``ClaudeSDKClient`` runs."""

    library = "claude_agent_sdk"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import claude_agent_sdk

        tracer = trace.get_tracer(_SCOPE)
        original = claude_agent_sdk.query
        if not hasattr(original, "__wrapped__"):
            claude_agent_sdk.query = _query_function(tracer, original)
        client = claude_agent_sdk.ClaudeSDKClient
        wrapt.wrap_function_wrapper(client, "query", _client_query(tracer))
        wrapt.wrap_function_wrapper(client, "receive_response", _client_receive_response(tracer))
        wrapt.wrap_function_wrapper(client, "disconnect", _client_close)
        wrapt.wrap_function_wrapper(client, "connect", _client_connect)
        wrapt.wrap_function_wrapper(claude_agent_sdk.SdkMcpTool, "__init__", _sdk_tool_init)
        try:
            from claude_agent_sdk._internal import query as internal

            wrapt.wrap_function_wrapper(internal.Query, "_read_messages", _read_messages)
        except (ImportError, AttributeError) as exc:
            # Private in the SDK: without it messages are traced as they are consumed.
            diagnostics.report("instrumentation",
                               "could not watch the Claude Agent SDK's message queue", exc)

    def _unpatch(self, **kwargs: Any) -> None:
        import claude_agent_sdk

        wrapped = getattr(claude_agent_sdk.query, "__wrapped__", None)
        if wrapped is not None:
            claude_agent_sdk.query = wrapped
        client = claude_agent_sdk.ClaudeSDKClient
        for name in ("query", "receive_response", "disconnect", "connect"):
            attr = client.__dict__.get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(client, name, attr.__wrapped__)
        attr = claude_agent_sdk.SdkMcpTool.__dict__.get("__init__")
        if isinstance(attr, wrapt.FunctionWrapper):
            claude_agent_sdk.SdkMcpTool.__init__ = attr.__wrapped__
        try:
            from claude_agent_sdk._internal import query as internal
        except ImportError:
            return
        attr = internal.Query.__dict__.get("_read_messages")
        if isinstance(attr, wrapt.FunctionWrapper):
            internal.Query._read_messages = attr.__wrapped__
