"""Pydantic AI tracing's shared parts: the row helpers and the state an open call keeps."""

from __future__ import annotations

import contextvars
import time
from typing import Any, Callable, Optional

from opentelemetry import trace

from .. import diagnostics
from ._rows import Row

_SCOPE = "braintrust_otel.instrumentation.pydantic_ai"

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


def _capture() -> Optional[contextvars.Token[Optional[list[int]]]]:
    """Starts counting tool rows, unless an enclosing run already does."""
    return None if _TOOL_ROWS.get() is not None else _TOOL_ROWS.set([0])


def _end_capture(token: Optional[contextvars.Token[Optional[list[int]]]]) -> None:
    if token is not None:
        try:
            _TOOL_ROWS.reset(token)
        except ValueError:  # ended in another context: nothing of ours is set there
            pass
