"""Tracing for Pydantic AI: the official SDK's rows, made by wrapping its agents.

The instrumentor wraps ``AbstractAgent.run``/``run_sync``/``run_stream`` (a
``task`` row ``agent_run [<name>]``... with the prompt, the run's arguments
and the agent's toolsets as input, the output and last model response as
output, model/agent/end-strategy/output-type metadata), the concrete model
class each run resolves (``request``/``request_stream``: an ``llm`` row
``chat <model>`` with Pydantic AI's messages as input and its response as
output, tokens as metrics, tool definitions as metadata) and
``ToolManager.execute_tool_call`` (a ``tool`` row per call), and the direct
``model_request``/``_sync``/``_stream`` functions (a ``task`` row around the
``chat`` row). Pydantic AI's
own spans (scope ``pydantic-ai``) are muted meanwhile: they would be the same
work twice, in another shape. ``trace_agent`` and ``trace_requests`` (the
per-object ``wrap_*`` helpers) still turn Pydantic AI's own spans on.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import time
from typing import Any, Callable, Optional, TypeVar

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics, muting
from . import _pydantic_ai as shape
from ._lazy import LazyInstrumentor
from ._llm import capture_content, mark_model_call, unmark_model_call
from ._rows import Row

__all__ = ["PydanticAIInstrumentor", "trace_agent", "trace_requests"]

_instruments = ("pydantic-ai-slim >= 1.0",)
_SCOPE = "braintrust_otel.instrumentation.pydantic_ai"

F = TypeVar("F", bound=Callable[..., Any])

#: Set while a model request's row is open: a subclass inheriting a wrapped ``request``
#: (wrapped on both classes) must not make a second row for the same call.
_IN_REQUEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "braintrust_pydantic_ai_request", default=False)
#: The open ``chat`` row: ``prepare_request`` (run inside the request) logs the tools
#: the model was really given on it.
_MODEL_ROW: contextvars.ContextVar[Optional[Row]] = contextvars.ContextVar(
    "braintrust_pydantic_ai_model_row", default=None)
#: Tool rows made during the outermost open agent run (one counter, shared by nested
#: runs: ``run_sync`` runs ``run``); a run that saw none rebuilds them from its messages.
_TOOL_ROWS: contextvars.ContextVar[Optional[list[int]]] = contextvars.ContextVar(
    "braintrust_pydantic_ai_tool_rows", default=None)
#: The model classes whose requests are wrapped (unwrapped by ``uninstrument``).
#: Each maps to the methods wrapped on it and whether the class defined each itself
#: (an inherited one is wrapped by an attribute of the class's own, deleted again).
_WRAPPED_MODELS: dict[type, list[tuple[str, bool]]] = {}


def settings(tracer_provider: Any = None) -> Any:
    """Pydantic AI ``InstrumentationSettings`` that send its spans to ``tracer_provider``.

    Content follows ``BRAINTRUST_CAPTURE_CONTENT``; the bulky
    ``model_request_parameters`` attribute is left out where the installed
    version allows (the tools it lists are on ``gen_ai.tool.definitions``).
    """
    from pydantic_ai.models.instrumented import InstrumentationSettings

    kwargs: dict[str, Any] = {
        "tracer_provider": tracer_provider or trace.get_tracer_provider(),
        "include_content": capture_content(),
    }
    if "include_model_request_parameters" in inspect.signature(
            InstrumentationSettings.__init__).parameters:
        kwargs["include_model_request_parameters"] = False
    return InstrumentationSettings(**kwargs)


def _tracer() -> trace.Tracer:
    return trace.get_tracer(_SCOPE)


def _row(name: str, span_type: str, **fields: Any) -> Optional[Row]:
    try:
        return Row(_tracer(), name, span_type, None, **fields)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not trace Pydantic AI's {name}", exc)
        return None


def _safely(what: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not record Pydantic AI's {what}", exc)


def _failed(row: Optional[Row], exc: BaseException) -> None:
    if row is not None:
        row.log(error=f"{type(exc).__name__}: {exc}")
        row.end()


def _timing(start: float, first: Optional[float] = None) -> dict[str, float]:
    # Run rows carry no tokens (the chat rows do; a rollup would count them twice).
    end = time.time()
    metrics = {"start": start, "end": end, "duration": end - start}
    if first is not None:
        metrics["time_to_first_token"] = first - start
    return metrics


def _agent_row(kind: str, instance: Any, args: Any, kwargs: Any
               ) -> tuple[Optional[Row], dict[str, Any]]:
    make = _agent_row_maker(kind, instance, args, kwargs)
    return make()


def _agent_row_maker(kind: str, instance: Any, args: Any, kwargs: Any
                     ) -> Callable[[], tuple[Optional[Row], dict[str, Any]]]:
    """Reads the run now (the agent's name before the run may infer one) and returns
    what makes its row (a stream's row starts when the stream is entered)."""
    try:
        data, metadata = shape.agent_input_and_metadata(instance, args, kwargs)
        name = getattr(instance, "name", None)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not read a Pydantic AI run", exc)
        return lambda: (None, {})

    def make() -> tuple[Optional[Row], dict[str, Any]]:
        return _row(f"{kind} [{name}]" if name else kind, "task", input=data or None,
                    metadata=metadata), data
    return make


def _capture() -> Optional[contextvars.Token[Optional[list[int]]]]:
    """Starts counting tool rows, unless an enclosing run already does."""
    return None if _TOOL_ROWS.get() is not None else _TOOL_ROWS.set([0])


def _end_capture(token: Optional[contextvars.Token[Optional[list[int]]]]) -> None:
    if token is not None:
        try:
            _TOOL_ROWS.reset(token)
        except ValueError:  # ended in another context: nothing of ours is set there
            pass


def _tool_rows_from_messages(row: Row, result: Any) -> None:
    """Tool rows rebuilt from a run's messages, for tools whose calls were not traced
    (placed by the messages' timestamps)."""
    counted = _TOOL_ROWS.get()
    if result is None or (counted is not None and counted[0] > 0):
        return
    messages = result.new_messages()
    returns: dict[Any, tuple[Any, Optional[float]]] = {}
    for message in messages:
        for part in getattr(message, "parts", ()):
            if getattr(part, "part_kind", None) == "tool-return":
                returns[part.tool_call_id] = (part, _seconds(message))
    for message in messages:
        called = _seconds(message)
        for part in getattr(message, "parts", ()):
            if getattr(part, "part_kind", None) != "tool-call":
                continue
            try:
                arguments = part.args_as_dict()
            except Exception:
                arguments = getattr(part, "args", None)
            call_id = getattr(part, "tool_call_id", None)
            returned, ended = returns.get(call_id, (None, None))
            tool = Row(_tracer(), getattr(part, "tool_name", None) or "unknown_tool", "tool",
                       row.span, start_ns=int(called * 1e9) if called is not None else None,
                       input=arguments, metadata={"tool_call_id": call_id} if call_id else None)
            metrics = {}
            if called is not None:
                metrics["start"] = called
            if ended is not None:
                metrics["end"] = ended
            if called is not None and ended is not None:
                metrics["duration"] = ended - called
            tool.log(output=getattr(returned, "content", None), metrics=metrics)
            tool.end(int(ended * 1e9) if ended is not None else None)


def _seconds(message: Any) -> Optional[float]:
    try:
        return float(message.timestamp.timestamp())
    except Exception:
        return None


def _finish_agent(row: Optional[Row], data: dict[str, Any], result: Any, output: Any,
                  start: float, first: Optional[float] = None) -> None:
    if row is None:
        return
    _safely("tool calls", lambda: _tool_rows_from_messages(row, result))

    def log() -> None:
        row.log(input=shape.resolved_input(data, result), output=output,
                metrics=_timing(start, first))
    _safely("run result", log)
    row.end()


async def _agent_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row, data = _agent_row("agent_run", instance, args, kwargs)
    if row is None:
        return await wrapped(*args, **kwargs)
    start = time.time()
    capture = _capture()
    try:
        with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                            set_status_on_exception=False):
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                _failed(row, exc)
                raise
        _finish_agent(row, data, result, shape.agent_output(result), start)
    finally:
        _end_capture(capture)
    return result


def _agent_run_sync(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row, data = _agent_row("agent_run_sync", instance, args, kwargs)
    if row is None:
        return wrapped(*args, **kwargs)
    start = time.time()
    capture = _capture()
    try:
        with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                            set_status_on_exception=False):
            try:
                result = wrapped(*args, **kwargs)
            except BaseException as exc:
                _failed(row, exc)
                raise
        _finish_agent(row, data, result, shape.agent_output(result), start)
    finally:
        _end_capture(capture)
    return result


class _FirstToken(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """A streamed run's result: notes when its text or output first arrives."""

    def __init__(self, wrapped: Any, on_first: Callable[[], None]) -> None:
        super().__init__(wrapped)
        self._self_on_first = on_first

    def _streamed(self, method: str, *args: Any, **kwargs: Any) -> Any:
        async def items() -> Any:
            async for item in getattr(self.__wrapped__, method)(*args, **kwargs):
                self._self_on_first()
                yield item
        return items()

    def stream_text(self, *args: Any, **kwargs: Any) -> Any:
        return self._streamed("stream_text", *args, **kwargs)

    def stream_output(self, *args: Any, **kwargs: Any) -> Any:
        return self._streamed("stream_output", *args, **kwargs)


class _AgentStream:
    """``run_stream``'s context manager: the run's row is open (and current) while it is."""

    def __init__(self, manager: Any,
                 make_row: Callable[[], tuple[Optional[Row], dict[str, Any]]]) -> None:
        self._manager = manager
        self._make_row = make_row
        self._row: Optional[Row] = None
        self._data: dict[str, Any] = {}
        self._start = 0.0
        self._first: Optional[float] = None
        self._result: Any = None
        self._token: Optional[object] = None
        self._capture: Optional[contextvars.Token[Optional[list[int]]]] = None

    def _seen(self) -> None:
        if self._first is None:
            self._first = time.time()

    async def __aenter__(self) -> Any:
        self._row, self._data = self._make_row()
        if self._row is None:
            return await self._manager.__aenter__()
        self._token = otel_context.attach(trace.set_span_in_context(self._row.span))
        self._capture = _capture()
        self._start = time.time()
        try:
            self._result = await self._manager.__aenter__()
        except BaseException as exc:
            self._detach()
            _failed(self._row, exc)
            raise
        return _FirstToken(self._result, self._seen)

    def _detach(self) -> None:
        capture, self._capture = self._capture, None
        _end_capture(capture)
        if self._token is not None:
            token, self._token = self._token, None
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception:  # exited in another context: nothing of ours is attached there
                pass

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            if self._row is not None:
                if exc_info[1] is not None:
                    self._row.log(error=f"{type(exc_info[1]).__name__}: {exc_info[1]}")
                _finish_agent(self._row, self._data, self._result,
                              shape.stream_output(self._result), self._start, self._first)
            self._detach()


def _agent_run_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    make_row = _agent_row_maker("agent_run_stream", instance, args, kwargs)
    return _AgentStream(wrapped(*args, **kwargs), make_row)


class _SyncStream(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """``run_stream_sync``'s result: the run's row stays current in the caller until its
    text or output has been read to the end (or the result is dropped), as the
    official SDK's does, so the streamed run inside nests under it."""

    def __init__(self, wrapped: Any, row: Row, data: dict[str, Any], start: float,
                 token: object, capture: Optional[contextvars.Token[Optional[list[int]]]]
                 ) -> None:
        super().__init__(wrapped)
        self._self_row: Optional[Row] = row
        self._self_data = data
        self._self_start = start
        self._self_token = token
        self._self_capture = capture
        self._self_first: Optional[float] = None

    def _streamed(self, method: str, *args: Any, **kwargs: Any) -> Any:
        def items() -> Any:
            try:
                for item in getattr(self.__wrapped__, method)(*args, **kwargs):
                    if self._self_first is None:
                        self._self_first = time.time()
                    yield item
            finally:
                self._self_finish()
        return items()

    def stream_text(self, *args: Any, **kwargs: Any) -> Any:
        return self._streamed("stream_text", *args, **kwargs)

    def stream_output(self, *args: Any, **kwargs: Any) -> Any:
        return self._streamed("stream_output", *args, **kwargs)

    def __iter__(self) -> Any:
        return self._streamed("__iter__")

    def __enter__(self) -> Any:
        self.__wrapped__.__enter__()
        return self  # the proxy, so what is read through it is timed

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            if exc_info[1] is not None and self._self_row is not None:
                self._self_row.log(error=f"{type(exc_info[1]).__name__}: {exc_info[1]}")
            self._self_finish()

    def _self_finish(self) -> None:
        row, self._self_row = self._self_row, None
        if row is None:
            return
        try:
            _finish_agent(row, self._self_data, self.__wrapped__,
                          shape.stream_output(self.__wrapped__), self._self_start,
                          self._self_first)
        finally:
            _end_capture(self._self_capture)
            # Only where our row is still the current span: elsewhere (another thread,
            # the garbage collector) the token is not this context's to undo.
            if trace.get_current_span() is row.span:
                try:
                    otel_context.detach(self._self_token)  # type: ignore[arg-type]
                except Exception:
                    pass

    def __del__(self) -> None:
        try:
            self._self_finish()
        except Exception:
            pass


def _agent_run_stream_sync(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row, data = _agent_row("agent_run_stream_sync", instance, args, kwargs)
    if row is None:
        return wrapped(*args, **kwargs)
    token = otel_context.attach(trace.set_span_in_context(row.span))
    capture = _capture()
    start = time.time()
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:
        _end_capture(capture)
        otel_context.detach(token)
        _failed(row, exc)
        raise
    return _SyncStream(result, row, data, start, token, capture)


def _model_row(instance: Any, args: Any, kwargs: Any) -> Optional[Row]:
    if _IN_REQUEST.get():
        return None
    try:
        name, data, metadata = shape.model_request_fields(instance, args, kwargs)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not read a Pydantic AI model request", exc)
        return None
    return _row(name, "llm", input=data, metadata=metadata)


def _finish_model(row: Row, response: Any, start: float, first: Optional[float] = None) -> None:
    def log() -> None:
        metrics = _timing(start, first)
        metrics.update(shape.response_metrics(response))
        row.log(output=response or None, metadata=shape.response_metadata(response),
                metrics=metrics)
    _safely("model response", log)
    row.end()


async def _model_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row = _model_row(instance, args, kwargs)
    if row is None:
        return await wrapped(*args, **kwargs)
    start = time.time()
    flag = _IN_REQUEST.set(True)
    current = _MODEL_ROW.set(row)
    mark = mark_model_call()
    try:
        with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                            set_status_on_exception=False):
            response = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _failed(row, exc)
        raise
    finally:
        unmark_model_call(mark)
        _MODEL_ROW.reset(current)
        _IN_REQUEST.reset(flag)
    _finish_model(row, response, start)
    return response


class _FirstEvent(wrapt.ObjectProxy):  # type: ignore[type-arg]
    """A model's response stream: notes when its first event arrives."""

    def __init__(self, wrapped: Any, on_first: Callable[[], None]) -> None:
        super().__init__(wrapped)
        self._self_on_first = on_first

    def __aiter__(self) -> Any:
        async def events() -> Any:
            async for event in self.__wrapped__:
                self._self_on_first()
                yield event
        return events()


class _ModelStream:
    """A response stream's context manager: ``row`` is open (and current) while it is.

    ``llm``: the row is the model call (``request_stream``: tokens, and the tools
    the model was sent); otherwise the direct ``model_request_stream`` task
    around it (timing only).
    """

    def __init__(self, manager: Any, make_row: Callable[[], Optional[Row]],
                 llm: bool = True) -> None:
        self._manager = manager
        self._make_row = make_row
        self._row: Optional[Row] = None
        self._llm = llm
        self._start = 0.0
        self._first: Optional[float] = None
        self._stream: Any = None
        self._tokens: list[Any] = []

    def _seen(self) -> None:
        if self._first is None:
            self._first = time.time()

    async def __aenter__(self) -> Any:
        self._row = row = self._make_row()
        if row is None:
            return await self._manager.__aenter__()
        self._tokens = [otel_context.attach(trace.set_span_in_context(row.span))]
        if self._llm:
            self._tokens += [mark_model_call(), _IN_REQUEST.set(True), _MODEL_ROW.set(row)]
        self._start = time.time()
        try:
            self._stream = await self._manager.__aenter__()
        except BaseException as exc:
            self._reset()
            _failed(row, exc)
            raise
        return _FirstEvent(self._stream, self._seen)

    def _reset(self) -> None:
        tokens, self._tokens = self._tokens, []
        if not tokens:
            return
        try:
            if self._llm:
                _MODEL_ROW.reset(tokens[3])
                _IN_REQUEST.reset(tokens[2])
                unmark_model_call(tokens[1])
            otel_context.detach(tokens[0])
        except Exception:  # exited in another context: nothing of ours is set there
            pass

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self._manager.__aexit__(*exc_info)
        finally:
            self._reset()
            if self._row is not None:
                self._finish(exc_info[1])

    def _finish(self, error: Optional[BaseException]) -> None:
        row = self._row
        assert row is not None
        if error is not None:
            row.log(error=f"{type(error).__name__}: {error}")
        response = None
        if self._stream is not None:
            try:
                response = self._stream.get()
            except Exception:
                response = getattr(self._stream, "response", None)
        if self._llm:
            _finish_model(row, response, self._start, self._first)
        else:
            _safely("model response", lambda: row.log(
                output=response or None, metrics=_timing(self._start, self._first)))
            row.end()


def _model_request_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _ModelStream(wrapped(*args, **kwargs), lambda: _model_row(instance, args, kwargs))


def _direct_row(name: str, args: Any, kwargs: Any) -> Optional[Row]:
    try:
        data, metadata = shape.direct_request_fields(args, kwargs)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not read Pydantic AI's {name}", exc)
        return None
    return _row(name, "task", input=data, metadata=metadata)


def _direct_done(row: Row, response: Any, start: float) -> None:
    _safely("model response", lambda: row.log(output=response or None, metrics=_timing(start)))
    row.end()


async def _direct_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row = _direct_row("model_request", args, kwargs)
    if row is None:
        return await wrapped(*args, **kwargs)
    start = time.time()
    with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                        set_status_on_exception=False):
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _failed(row, exc)
            raise
    _direct_done(row, response, start)
    return response


def _direct_request_sync(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row = _direct_row("model_request_sync", args, kwargs)
    if row is None:
        return wrapped(*args, **kwargs)
    start = time.time()
    with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                        set_status_on_exception=False):
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as exc:
            _failed(row, exc)
            raise
    _direct_done(row, response, start)
    return response


def _direct_request_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _ModelStream(wrapped(*args, **kwargs),
                        lambda: _direct_row("model_request_stream", args, kwargs), llm=False)


def _prepare_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    prepared = wrapped(*args, **kwargs)
    row = _MODEL_ROW.get()
    if row is not None:
        def log() -> None:
            parameters = prepared[1] if isinstance(prepared, tuple) and len(prepared) > 1 else None
            tools = shape.tool_definitions(parameters)
            if tools:
                row.log(metadata={"tools": tools})
        _safely("model request's tools", log)
    return prepared


def _wrap_model_class(model: Any) -> Any:
    """Wraps the requests of ``model``'s class (once per class)."""
    cls = type(model)
    try:
        if model is None or cls in _WRAPPED_MODELS or not hasattr(cls, "request"):
            return model
        wrapped = _WRAPPED_MODELS.setdefault(cls, [])
        for name, wrapper in (("request", _model_request),
                              ("request_stream", _model_request_stream),
                              ("prepare_request", _prepare_request)):
            if hasattr(cls, name):
                wrapped.append((name, name in cls.__dict__))
                wrapt.wrap_function_wrapper(cls, name, wrapper)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace a Pydantic AI model", exc)
    return model


async def _resolve_model(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _wrap_model_class(await wrapped(*args, **kwargs))


def _resolve_model_sync(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _wrap_model_class(wrapped(*args, **kwargs))


async def _tool_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    validated = args[0] if args else kwargs.get("validated") or kwargs.get("call")
    call = getattr(validated, "call", validated)
    row = None
    try:
        if call is not None:
            try:
                arguments = call.args_as_dict()
            except Exception:
                arguments = getattr(call, "args", None)
            call_id = getattr(call, "tool_call_id", None)
            row = _row(getattr(call, "tool_name", None) or "unknown_tool", "tool",
                       input=arguments, metadata={"tool_call_id": call_id} if call_id else None)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not read a Pydantic AI tool call", exc)
    if row is None:
        return await wrapped(*args, **kwargs)
    counted = _TOOL_ROWS.get()
    if counted is not None:
        counted[0] += 1
    start = time.time()
    with trace.use_span(row.span, end_on_exit=False, record_exception=False,
                        set_status_on_exception=False):
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            deferred = type(exc).__name__ in ("CallDeferred", "ApprovalRequired")
            if not deferred:
                _failed(row, exc)
                raise
            # Handing the call back to the caller is control flow, not a failure.
            kind = "unapproved" if type(exc).__name__ == "ApprovalRequired" else "external"
            metadata: dict[str, Any] = {"deferred": kind}
            if getattr(exc, "metadata", None):
                metadata["deferred_metadata"] = exc.metadata  # type: ignore[attr-defined]
            row.log(metadata=metadata, metrics=_timing(start))
            row.end()
            raise
    row.log(output=result, metrics=_timing(start))
    row.end()
    return result


#: (module, attribute path, wrapper): what the instrumentor wraps, where it exists.
_PATCHES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("pydantic_ai.agent.abstract", "AbstractAgent.run", _agent_run),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_sync", _agent_run_sync),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_stream", _agent_run_stream),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_stream_sync", _agent_run_stream_sync),
    ("pydantic_ai.agent", "Agent._resolve_model_selection", _resolve_model),
    ("pydantic_ai.agent", "Agent._get_model", _resolve_model_sync),
    ("pydantic_ai.direct", "_prepare_model", _resolve_model_sync),
    ("pydantic_ai.direct", "model_request", _direct_request),
    ("pydantic_ai.direct", "model_request_sync", _direct_request_sync),
    ("pydantic_ai.direct", "model_request_stream", _direct_request_stream),
    ("pydantic_ai.tool_manager", "ToolManager.execute_tool_call", _tool_call),
)


def _owner(module_name: str, path: str) -> Optional[tuple[Any, str]]:
    import importlib

    try:
        owner: Any = importlib.import_module(module_name)
    except Exception:  # not in this Pydantic AI version
        return None
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and name in getattr(owner, "__dict__", {}) else None


def _unwrap(owner: Any, name: str) -> None:
    attr = getattr(owner, "__dict__", {}).get(name)
    if isinstance(attr, wrapt.FunctionWrapper):
        setattr(owner, name, attr.__wrapped__)


class PydanticAIInstrumentor(LazyInstrumentor):
    """Makes the official SDK's rows for Pydantic AI agent runs, model requests and tools.

    Pydantic AI's own spans stay out of Braintrust while it is on (see the module).
    """

    library = "pydantic_ai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        muting.mute("pydantic_ai")
        for module_name, path, wrapper in _PATCHES:
            found = _owner(module_name, path)
            if found is not None:
                wrapt.wrap_function_wrapper(found[0], found[1], wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        muting.unmute("pydantic_ai")
        for module_name, path, _ in _PATCHES:
            found = _owner(module_name, path)
            if found is not None:
                _unwrap(*found)
        while _WRAPPED_MODELS:
            cls, methods = _WRAPPED_MODELS.popitem()
            for name, own in methods:
                if own:
                    _unwrap(cls, name)
                elif isinstance(cls.__dict__.get(name), wrapt.FunctionWrapper):
                    delattr(cls, name)


def trace_agent(agent: Any) -> Any:
    """Turns Pydantic AI's spans on for one agent, or for one agent class.

    A class gets its own instrumentation default (what ``instrument_all`` sets
    on ``Agent``), so its agents and its subclasses' are traced and other
    agents are not; an agent made with its own ``instrument=`` keeps it. An
    agent object is instrumented unless it already is.

    Args:
        agent: A ``pydantic_ai.Agent`` (sub)class or instance.

    Returns:
        ``agent``. Doing it twice changes nothing.
    """
    try:
        if isinstance(agent, type):
            if not agent.__dict__.get("_instrument_default"):
                # The class's own default: Agent.instrument_all sets the one on Agent.
                setattr(agent, "_instrument_default", settings())  # noqa: B010
        elif not getattr(agent, "_instrument", None):
            agent._instrument = settings()
    except Exception as exc:  # not a Pydantic AI agent: it runs untraced, as it was
        diagnostics.report("instrumentation", "could not trace a Pydantic AI agent", exc)
    return agent


def trace_requests(function: F) -> F:
    """Instruments each call of one of Pydantic AI's direct request functions.

    ``pydantic_ai.direct.model_request`` and its variants take ``instrument=``;
    the returned function passes our settings there when the caller gives none,
    so each request is one model-call span. A function without that parameter
    is returned unchanged.

    Args:
        function: The request function.

    Returns:
        The wrapped function (marked, so wrapping it again returns it as is).
    """
    if getattr(function, "__braintrust_traced__", False):
        return function
    try:
        takes = "instrument" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        takes = False
    if not takes:
        return function

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("instrument") is None:
                kwargs["instrument"] = settings()
            return await function(*args, **kwargs)
        traced: Any = traced_async
    else:
        @functools.wraps(function)
        def traced_sync(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("instrument") is None:
                kwargs["instrument"] = settings()
            return function(*args, **kwargs)
        traced = traced_sync
    traced.__braintrust_traced__ = True
    return traced  # type: ignore[no-any-return]
