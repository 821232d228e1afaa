"""Pydantic AI streamed agent runs: ``run_stream`` and ``run_stream_sync``'s rows."""

from __future__ import annotations

import contextvars
import time
from typing import Any, Callable, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from . import _pydantic_ai as shape
from ._pydantic_ai_rows import _capture, _end_capture, _failed
from ._pydantic_ai_runs import _agent_row, _agent_row_maker, _finish_agent
from ._rows import Row


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
