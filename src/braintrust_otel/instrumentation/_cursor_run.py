"""Cursor SDK: one traced run, rebuilt from the events its stream delivers.

A run is the ``Cursor Agent`` task span of one ``Agent.send``; the model's
work until a ``usage`` message (Cursor reports usage once per turn) is one
``Cursor Model Turn`` llm span under it, and each tool call a tool span
under that turn, ended by its ``completed`` or ``error`` message. The
patches that feed a run its events are in ``cursor_sdk``.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

from opentelemetry import trace

from .. import diagnostics
from ..masking import record_exception
from . import _cursor as m
from ._rows import Row as _Row

_RUN_NAME = "Cursor Agent"
_TURN_NAME = "Cursor Model Turn"
#: Live runs by agent id: a custom tool's callback, which the SDK serves on a
#: thread of its own with only the agent id, finds its tool span here.
_LIVE: dict[str, list[_Run]] = {}
_LIVE_LOCK = threading.Lock()


class _Tool:
    """One tool call's span, until its result arrives."""

    def __init__(self, row: _Row) -> None:
        self.row = row
        self.done = False

    def finish(self, output: Any = None, error: Optional[str] = None) -> None:
        if self.done:
            return
        self.done = True
        self.row.log(output=output, error=error)
        self.row.end()


class _Run:
    """One ``Agent.send`` run: turns its stream events into spans as they arrive.

    Events come from the thread consuming the run, custom tool callbacks from
    the SDK's callback server thread: a lock keeps them apart.
    """

    def __init__(self, tracer: trace.Tracer, message: Any, model: Optional[str],
                 agent_id: str = "") -> None:
        self._tracer = tracer
        self._lock = threading.RLock()
        self.start_ns = time.time_ns()
        self.model = model
        self.history = m.user_messages(message)
        self.root = _Row(tracer, _RUN_NAME, "task", None, self.start_ns,
                         input=list(self.history))
        self.agent_id = ""
        self._turn: Optional[_Row] = None
        self._turns = 0
        self._turn_at = 0  # where the turn's assistant message goes in the history
        self._ttft = 0.0
        self._text = ""
        self._reasoning = ""
        self._calls: list[dict[str, Any]] = []
        self._tools: dict[str, _Tool] = {}
        self._totals: dict[str, int] = {}
        # observe() replays events the run's own stream delivered too: each is traced once.
        self._seen: set[tuple[Any, Any]] = set()
        self.finished = False
        # Registered at once: the bridge may call a custom tool before send() returns.
        self._register(agent_id)

    def attach(self, run: Any) -> None:
        """Binds the SDK's ``Run`` (events already seen were traced during ``send``)."""
        with self._lock:
            self._set_model(getattr(run, "model", None))
            self._register(str(getattr(run, "agent_id", "") or ""))

    def _register(self, agent_id: str) -> None:
        if not agent_id or agent_id == self.agent_id or self.finished:
            return
        with _LIVE_LOCK:
            self._unregister()
            self.agent_id = agent_id
            _LIVE.setdefault(agent_id, []).append(self)

    def _unregister(self) -> None:
        runs = _LIVE.get(self.agent_id)
        if runs is not None and self in runs:
            runs.remove(self)
            if not runs:
                del _LIVE[self.agent_id]

    def _set_model(self, value: Any) -> None:
        found = m.model_id(value)
        if found:
            self.model = found

    def add(self, event: Any, run: Any) -> None:
        """Records one stream event (a ``RunStreamEvent``); never raises."""
        try:
            with self._lock:
                self._add(event, run)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a Cursor SDK event", exc)

    def _add(self, event: Any, run: Any) -> None:
        if self.finished:
            return
        offset = getattr(event, "offset", None)
        if offset is not None:
            key = (getattr(event, "kind", ""), offset)
            if key in self._seen:
                return
            self._seen.add(key)
        message = getattr(event, "sdk_message", None)
        kind = m.field(message, "type", "")
        if kind == "thinking":
            self._open_turn()
            text = m.field(message, "text", "")
            if isinstance(text, str):
                self._reasoning += text
        elif kind == "assistant":
            self._open_turn()
            content = m.field(m.field(message, "message"), "content", ())
            for block in content if isinstance(content, (list, tuple)) else ():
                block_type = m.field(block, "type")
                if block_type == "text" and isinstance(m.field(block, "text"), str):
                    self._text += m.field(block, "text")
                elif block_type == "tool_use":
                    self.open_tool(str(m.field(block, "id", "")),
                                   str(m.field(block, "name", "") or "tool"),
                                   m.field(block, "input"))
        elif kind == "tool_call":
            call_id = str(m.field(message, "call_id", ""))
            status = str(m.field(message, "status", ""))
            if status == "running":
                self.open_tool(call_id, str(m.field(message, "name", "") or "tool"),
                               m.field(message, "args"))
            elif status in ("completed", "error"):
                self._close_tool(call_id, m.field(message, "result"), status == "error")
        elif kind == "usage":
            self._close_turn(m.field(message, "usage"))
        if run is not None:
            self._set_model(getattr(run, "model", None))
        if getattr(event, "result_is_full", False):
            result = getattr(event, "result", None)
            self._set_model(m.field(result, "model"))
            self.finish(run, result)

    def _open_turn(self) -> None:
        if self._turn is not None:
            return
        now = time.time_ns()
        # The first turn starts at the send: it includes the time Cursor took to start.
        start = self.start_ns if self._turns == 0 else now
        self._ttft = max(0.0, (now - start) / 1e9)
        self._turn_at = len(self.history)
        self._turn = _Row(self._tracer, _TURN_NAME, "llm", self.root.span, start,
                          input=list(self.history),
                          metadata={"model": self.model or "unknown", "provider": "cursor"})

    def _close_turn(self, usage: Any = None) -> None:
        if self._turn is None:
            return
        metrics: dict[str, float] = dict(m.usage_metrics(usage))
        for name, count in metrics.items():
            self._totals[name] = self._totals.get(name, 0) + int(count)
        metrics["time_to_first_token"] = self._ttft
        self._turn.log(output=m.turn_output(self._text, self._calls, self._reasoning),
                       metrics=metrics,
                       metadata={"model": self.model, "provider": "cursor"} if self.model
                       else None)
        self._turn.end()
        # Before the results of the tools it called (they arrived during the turn).
        self.history.insert(self._turn_at,
                            m.assistant_message(self._text, self._calls, self._reasoning))
        self._turn = None
        self._text, self._reasoning, self._calls = "", "", []
        self._turns += 1

    def open_tool(self, call_id: str, name: str, arguments: Any) -> _Row:
        """The span of tool call ``call_id``, opened (under the model turn) if new."""
        with self._lock:
            found = self._tools.get(call_id)
            if found is not None:
                return found.row
            self._open_turn()
            parent = self._turn.span if self._turn is not None else self.root.span
            row = _Row(self._tracer, name or "tool", "tool", parent, input=arguments)
            self._tools[call_id] = _Tool(row)
            self._calls.append(m.tool_call(call_id, name or "tool", arguments))
            return row

    def _close_tool(self, call_id: str, output: Any, failed: bool) -> None:
        if call_id not in self._tools:
            self.open_tool(call_id, "tool", None)
        self._tools[call_id].finish(output=output, error=str(output) if failed else None)
        self.history.append({"role": "tool", "tool_call_id": call_id, "content": output})

    def finish(self, run: Any = None, result: Any = None, cancelled: bool = False) -> None:
        """Ends the run's spans (once): the turn under way, open tools, then the run."""
        with self._lock:
            if self.finished:
                return
            self.finished = True
            try:
                self._finish(run, result, cancelled)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not end a Cursor SDK run", exc)
            self.root.end()
        with _LIVE_LOCK:
            self._unregister()

    def _finish(self, run: Any, result: Any, cancelled: bool) -> None:
        self._close_turn()
        for tool in self._tools.values():
            tool.finish(error="Cursor run cancelled" if cancelled else None)
        output = getattr(run, "result", None) or m.field(result, "result")
        usage = getattr(run, "usage", None) or m.field(result, "usage")
        metrics = m.usage_metrics(usage) if usage is not None else dict(self._totals)
        status = m.field(result, "status") or getattr(run, "status", "")
        message = m.field(result, "errorMessage") or m.field(result, "error_message")
        error = m.run_error(status, message, cancelled)
        self.root.log(output=output or None, metrics=dict(metrics) or None, error=error)

    def fail(self, exc: BaseException) -> None:
        """Ends the run with the exception that stopped it."""
        with self._lock:
            if self.finished:
                return
            try:
                record_exception(self.root.span, exc)
            except Exception as err:
                diagnostics.report("instrumentation", "could not record a Cursor SDK error", err)
            self.root.log(error=str(exc) or type(exc).__name__)
        self.finish()


def live(agent_id: str) -> Optional[_Run]:
    """The oldest run under way for ``agent_id`` (None when there is none)."""
    with _LIVE_LOCK:
        runs = _LIVE.get(agent_id)
        return runs[0] if runs else None
