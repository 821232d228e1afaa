"""Pydantic AI agent runs: the ``task`` row of ``run`` and ``run_sync``."""

from __future__ import annotations

import time
from typing import Any, Callable, Optional

from opentelemetry import trace

from .. import diagnostics
from . import _pydantic_ai as shape
from ._pydantic_ai_rows import _capture, _end_capture, _failed, _row, _safely, _timing
from ._pydantic_ai_tools import _tool_rows_from_messages
from ._rows import Row


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
