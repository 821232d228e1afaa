"""Pydantic AI's direct ``model_request`` functions: a ``task`` row around the model call."""

from __future__ import annotations

import time
from typing import Any, Optional

from opentelemetry import trace

from .. import diagnostics
from . import _pydantic_ai as shape
from ._pydantic_ai_models import _ModelStream
from ._pydantic_ai_rows import _failed, _row, _safely, _timing
from ._rows import Row


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
