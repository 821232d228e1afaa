"""Pydantic AI model requests: the ``llm`` row of each model class's requests."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics
from . import _pydantic_ai as shape
from ._llm import mark_model_call, unmark_model_call
from ._pydantic_ai_rows import _IN_REQUEST, _MODEL_ROW, _failed, _row, _safely, _timing
from ._rows import Row

#: The model classes whose requests are wrapped (unwrapped by ``uninstrument``).
#: Each maps to the methods wrapped on it and whether the class defined each itself
#: (an inherited one is wrapped by an attribute of the class's own, deleted again).
_WRAPPED_MODELS: dict[type, list[tuple[str, bool]]] = {}


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
