"""Pydantic AI tool rows: one per traced tool call, or rebuilt from a run's messages."""

from __future__ import annotations

import time
from typing import Any, Optional

from opentelemetry import trace

from .. import diagnostics
from ._pydantic_ai_rows import _TOOL_ROWS, _failed, _row, _timing, _tracer
from ._rows import Row


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
