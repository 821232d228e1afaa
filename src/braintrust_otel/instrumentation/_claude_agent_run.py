"""Claude Agent SDK: one traced run, rebuilt from the messages the SDK yields.

A run is the ``Claude Agent`` task span of one ``query()``; its model turns
become llm spans, the tools the model calls tool spans under their turn, a
subagent a task span under its tool span, and hook callbacks ``<event> hook``
function spans. The patches that feed a run its messages are in
``claude_agent_sdk``.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Mapping
from typing import Any, Optional

from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import diagnostics
from ..masking import record_exception
from . import _claude_agent as m
from ._rows import UNSET
from ._rows import Row as _Row

_RUN_NAME = "Claude Agent"
_LLM_NAME = "anthropic.messages.create"
_SUBAGENT_TOOLS = ("Agent", "Task")
#: Runs under way, newest last: an SDK MCP tool handler finds its tool span here (it
#: runs in the SDK's MCP server task, which no context of the run reaches).
_LIVE: list[_Run] = []
#: The fields of a hook's input and result that are logged (the hook protocol's own).
_HOOK_FIELDS = frozenset({
    "session_id", "hook_event_name", "prompt_id", "effort", "tool_name", "tool_input",
    "tool_response", "duration_ms", "error", "is_interrupt", "prompt", "message",
    "stop_hook_active", "last_assistant_message", "trigger", "custom_instructions", "source",
    "reason", "agent_id", "agent_type", "continue", "stopReason", "suppressOutput", "decision",
    "hookSpecificOutput", "systemMessage"})


class _Context:
    """The model turn under way in one agent: the orchestrator or a subagent."""

    def __init__(self, next_start: Optional[int] = None) -> None:
        self.llm: Optional[_Row] = None
        self.output: Optional[dict[str, Any]] = None
        self.output_logged = False
        self.message_id: Optional[str] = None
        self.next_start = next_start
        self.task: Optional[_Row] = None
        self.subagent_input: Optional[Mapping[str, Any]] = None
        # The CLI said the task started (a task span is then its own, not made from
        # the Agent tool call), and whether the task span was made from the call.
        self.task_confirmed = False
        self.task_synthesized = False


class _Run:
    """One agent run: turns the SDK's messages into spans as they arrive."""

    def __init__(self, tracer: trace.Tracer, prompt: Any, captured: Optional[list[Any]],
                 start_ns: int, options: Any) -> None:
        self._tracer = tracer
        self._prompt = prompt
        self._captured = captured
        metadata = {"verbatim_prompts": True} if getattr(options, "verbatim_prompts",
                                                         False) is True else None
        self.root = _Row(tracer, _RUN_NAME, "task", None, start_ns, input=prompt or None,
                         metadata=metadata)
        self._contexts: dict[Optional[str], _Context] = {None: _Context(start_ns)}
        self._tools: dict[str, tuple[_Row, Optional[str]]] = {}
        self._tool_spans: dict[str, _Row] = {}
        self._tool_names: dict[str, str] = {}  # tool_use_id -> the tool's shown name
        self._history: list[dict[str, Any]] = []
        self._result: Any = None
        self._events: list[dict[str, Any]] = []
        self._finished = False
        # With include_partial_messages the CLI streams each model message's events;
        # message_start and message_delta carry its usage (per agent: parent tool id).
        self._partial = getattr(options, "include_partial_messages", False) is True
        self._active_partial: dict[Optional[str], str] = {}
        self._latest_partial: dict[Optional[str], str] = {}
        self._usage: dict[str, dict[str, Any]] = {}
        self._output_known: set[str] = set()  # message ids whose output count is final
        # Types of the messages traced on receipt, not yet seen by the consumer.
        self._pretraced: collections.deque[str] = collections.deque()
        _LIVE.append(self)

    def add(self, message: Any) -> None:
        """Records one message the SDK yielded (unless it was traced on receipt)."""
        kind = type(message).__name__
        if self._pretraced and self._pretraced[0] == kind:
            self._pretraced.popleft()
            return
        self._add(message)

    def add_raw(self, data: Any) -> None:
        """Records one raw message as the SDK's reader receives it; never raises."""
        if self._finished or not isinstance(data, dict):
            return
        try:
            from claude_agent_sdk._internal.message_parser import parse_message

            message = parse_message(data)
        except Exception:
            return  # not a message (an end marker, or one the SDK will reject itself)
        if message is not None:
            self._add(message)
            self._pretraced.append(type(message).__name__)

    def _add(self, message: Any) -> None:
        if self._finished:
            return
        try:
            if self._captured:
                self.root.log(input=list(self._captured))
                self._captured = None
            kind = type(message).__name__
            if kind == "AssistantMessage":
                self._assistant(message)
            elif kind == "UserMessage":
                self._user(message)
            elif kind == "ResultMessage":
                self._result_message(message)
            elif kind == "StreamEvent":
                self._stream_event(message)
            elif kind in ("SystemMessage", "TaskStartedMessage", "TaskProgressMessage",
                          "TaskNotificationMessage"):
                self._task_event(message, kind)
                self._events.append(m.system_event(message))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a Claude Agent SDK message",
                               exc)

    async def trace_hook(self, callback: Any, input_data: Any, tool_use_id: Optional[str],
                         context: Any) -> Any:
        """Runs a hook callback inside an ``<event> hook`` function span."""
        try:
            event = str(input_data.get("hook_event_name") or "Hook") \
                if isinstance(input_data, Mapping) else "Hook"
            metadata: dict[str, Any] = {
                "claude_agent_sdk.hook.event_name": event,
                "claude_agent_sdk.hook.callback_name": getattr(callback, "__name__", None)
                or "hook_callback"}
            if tool_use_id is not None:
                metadata["claude_agent_sdk.hook.tool_use_id"] = str(tool_use_id)
            if isinstance(input_data, Mapping):
                for key in ("tool_name", "session_id", "agent_id", "agent_type"):
                    if input_data.get(key) is not None:
                        metadata[f"claude_agent_sdk.hook.{key}"] = input_data[key]
            row: Optional[_Row] = _Row(self._tracer, f"{event} hook", "function",
                                       self._hook_parent(tool_use_id),
                                       input=_hook_value(input_data), metadata=metadata)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a Claude Agent SDK hook", exc)
            row = None
        if row is None:
            return await callback(input_data, tool_use_id, context)
        # Current while it runs, so the application's spans inside nest under it.
        token = otel_context.attach(trace.set_span_in_context(row.span))
        try:
            result = await callback(input_data, tool_use_id, context)
        except Exception as exc:
            row.log(error=str(exc) or type(exc).__name__)
            row.end()
            raise
        finally:
            otel_context.detach(token)
        row.log(output=_hook_value(result))
        row.end()
        return result

    def open_tool(self, name: str, arguments: Any) -> Optional[_Row]:
        """The open tool span a handler for tool ``name`` called with ``arguments`` serves."""
        found = [row for tool_id, (row, _) in self._tools.items()
                 if self._tool_names.get(tool_id) == name]
        exact = [row for row in found if row.input == arguments]
        chosen = exact or found
        return chosen[0] if chosen else None

    def _hook_parent(self, tool_use_id: Optional[str]) -> trace.Span:
        tool = self._tool_spans.get(str(tool_use_id)) if tool_use_id is not None else None
        if tool is not None:
            return tool.span
        for context in self._contexts.values():
            if context.llm is not None:
                return context.llm.span
        return self.root.span

    def fail(self, exc: BaseException) -> None:
        """Records the exception that ended the run."""
        try:
            record_exception(self.root.span, exc)
        except Exception as err:
            diagnostics.report("instrumentation", "could not record a Claude Agent error", err)
        self.root.log(error=str(exc) or type(exc).__name__)

    def finish(self, log_output: bool = False) -> None:
        """Ends every open span, the run's last (once)."""
        if self._finished:
            return
        self._finished = True
        if self in _LIVE:
            _LIVE.remove(self)
        try:
            if log_output:
                output = self._result if self._result is not None else (
                    self._history[-1] if self._history else None)
                self.root.log(output=output)
            if self._events:
                self.root.log(metadata={"task_events": self._events})
            for context in self._contexts.values():
                self._end_llm(context)
                if context.task is not None:
                    context.task.end()
            for row, _ in self._tools.values():
                row.end()
        except Exception as exc:
            diagnostics.report("instrumentation", "could not end a Claude Agent SDK run", exc)
        self.root.end()

    def _context(self, key: Optional[str]) -> _Context:
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = _Context()
        return context

    def _assistant(self, message: Any) -> None:
        parent_id = getattr(message, "parent_tool_use_id", None)
        key = str(parent_id) if parent_id is not None else None
        context = self._context(key)
        if key is not None and context.task is None and not context.task_confirmed \
                and context.subagent_input is not None:
            self._start_subagent(key, context)
        message_id = getattr(message, "message_id", None)
        if not isinstance(message_id, str):
            message_id = self._latest_partial.get(key)
        serialized = {"content": m.blocks(getattr(message, "content", None)),
                      "role": "assistant"}
        same_turn = context.llm is not None and (
            message_id == context.message_id if message_id is not None
            else context.message_id is None and context.next_start is None)
        if same_turn and context.output is not None:
            old, new = context.output.get("content"), serialized["content"]
            if isinstance(old, list) and isinstance(new, list):
                serialized = {"role": "assistant", "content": [*old, *new]}
            context.output, context.output_logged = serialized, False
            if self._history and self._history[-1].get("role") == "assistant":
                self._history[-1] = serialized
            else:
                self._history.append(serialized)
        else:
            self._start_llm(message, context, key, message_id, serialized)
        if self._partial:
            self._log_turn_usage(message, context)
        error = getattr(message, "error", None)
        if error and context.llm is not None:
            context.llm.log(error=str(error))
        if context.llm is not None:
            self._start_tools(message, context.llm, key)

    def _log_turn_usage(self, message: Any, context: _Context) -> None:
        """A turn's tokens, from its message and its stream events (partial messages)."""
        if context.llm is None:
            return
        message_id = context.message_id
        raw = getattr(message, "usage", None)
        usage = m.merge_usage(m.copy_usage(raw),
                              self._usage.get(message_id) if message_id else None)
        if not usage:
            return
        context.llm.log(metrics=m.usage_metrics(usage, include_output=message_id
                                                in self._output_known),
                        metadata=m.usage_metadata(raw) or None)

    def _stream_event(self, message: Any) -> None:
        """Reads the usage of a streamed model message (``include_partial_messages``)."""
        event = getattr(message, "event", None)
        if not isinstance(event, Mapping):
            return
        parent_id = getattr(message, "parent_tool_use_id", None)
        key = str(parent_id) if parent_id is not None else None
        kind = event.get("type")
        if kind == "message_start":
            raw = event.get("message")
            message_id = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(message_id, str) or not isinstance(raw, Mapping):
                return
            self._active_partial[key] = self._latest_partial[key] = message_id
            usage = m.copy_usage(raw.get("usage"))
            if usage:
                self._usage[message_id] = usage
            return
        message_id = self._active_partial.get(key)
        if message_id is None:
            return
        if kind == "message_delta":
            update = m.copy_usage(event.get("usage"))
            if not update:
                return
            usage = m.merge_usage(self._usage.get(message_id), update) or {}
            self._usage[message_id] = usage
            if "output_tokens" in update:
                # The message's final output count: its turn now has all its tokens.
                self._output_known.add(message_id)
                context = self._contexts.get(key)
                if context is not None and context.llm is not None \
                        and context.message_id == message_id:
                    context.llm.log(metrics=m.usage_metrics(usage))
        elif kind == "message_stop":
            self._active_partial.pop(key, None)

    def _task_event(self, message: Any, kind: str) -> None:
        """Opens, fills or ends a task span from the CLI's task system messages."""
        task_id = m.task_field(message, "task_id")
        if task_id is None:
            return
        tool_use_id = m.task_field(message, "tool_use_id")
        key = str(tool_use_id) if tool_use_id is not None else None
        context = self._context(key)
        if context.task is None:
            tool = self._tool_spans.get(key) if key is not None else None
            context.task = _Row(self._tracer, m.task_name(message, str(task_id)), "task",
                                tool.span if tool is not None else self.root.span,
                                metadata=m.task_metadata(message))
            context.task_confirmed = True
        else:
            output = m.task_output(message)
            context.task.log(metadata=m.task_metadata(message) or None,
                             output=output if output is not None else UNSET)
        if kind == "TaskNotificationMessage":
            self._end_llm(context)
            context.task.end()
            context.task = None

    def _start_llm(self, message: Any, context: _Context, key: Optional[str],
                   message_id: Optional[str], serialized: dict[str, Any]) -> None:
        now = time.time_ns()
        start = context.next_start or now
        if context.llm is not None:
            self._end_llm(context, start)
        if context.next_start is not None:
            # Tools of the previous turn with no result by now get none.
            for tool_id, (row, owner) in list(self._tools.items()):
                if owner == key and tool_id not in self._contexts:
                    row.end(start)
                    del self._tools[tool_id]
        metadata: dict[str, Any] = {"provider": "anthropic"}
        model = getattr(message, "model", None)
        if model:
            metadata["model"] = model
        parent = context.task.span if context.task is not None else self.root.span
        context.llm = _Row(self._tracer, _LLM_NAME, "llm", parent, start,
                           input=m.llm_input(self._prompt, self._history), metadata=metadata)
        context.llm.log(output=[serialized],
                        metrics={"time_to_first_token": max(0.0, (now - start) / 1e9)})
        context.output, context.output_logged = serialized, True
        context.message_id = message_id
        context.next_start = None
        self._history.append(serialized)

    def _end_llm(self, context: _Context, end_ns: Optional[int] = None) -> None:
        if context.llm is None:
            return
        if context.output is not None and not context.output_logged:
            context.llm.log(output=[context.output])
        # The CLI's assistant messages carry no final output count; the run's does
        # (and a streamed message's message_delta, with partial messages).
        if context.message_id is None or context.message_id not in self._output_known:
            context.llm.log(metadata={"usage_output_tokens_unknown": True})
        context.llm.end(end_ns)
        context.llm = None

    def _start_tools(self, message: Any, llm: _Row, key: Optional[str]) -> None:
        for item in getattr(message, "content", None) or ():
            if type(item).__name__ != "ToolUseBlock" or not getattr(item, "id", None):
                continue
            tool_id = str(item.id)
            if tool_id in self._tools:
                self._tools.pop(tool_id)[0].end()
            name = m.tool_name(getattr(item, "name", None))
            tool_input = getattr(item, "input", None)
            row = _Row(self._tracer, name.display, "tool", llm.span, input=tool_input,
                       metadata=m.tool_metadata(name, tool_id))
            row.input = tool_input
            self._tools[tool_id] = (row, key)
            self._tool_spans[tool_id] = row
            self._tool_names[tool_id] = name.display
            if name.raw in _SUBAGENT_TOOLS:
                self._context(tool_id).subagent_input = (
                    tool_input if isinstance(tool_input, Mapping) else {})

    def _start_subagent(self, tool_id: str, context: _Context) -> None:
        tool_input = context.subagent_input or {}
        subagent_type = tool_input.get("subagent_type")
        tool = self._tool_spans.get(tool_id)
        metadata = {"tool_use_id": tool_id}
        if subagent_type is not None:
            metadata["task_type"] = subagent_type
        context.task = _Row(self._tracer, str(tool_input.get("description") or subagent_type
                                              or f"Task {tool_id}"), "task",
                            tool.span if tool is not None else self.root.span,
                            metadata=metadata)
        context.task_confirmed = context.task_synthesized = True

    def _user(self, message: Any) -> None:
        content = getattr(message, "content", None)
        had_results = False
        for item in content if isinstance(content, list) else ():
            if type(item).__name__ != "ToolResultBlock":
                continue
            had_results = True
            tool_id = str(getattr(item, "tool_use_id", ""))
            subagent = self._contexts.get(tool_id)
            # A task the CLI reported itself ends with its notification instead.
            if subagent is not None and subagent.task is not None and subagent.task_synthesized:
                self._end_llm(subagent)
                subagent.task.end()
                subagent.task = None
            found = self._tools.pop(tool_id, None)
            if found is not None:
                output = m.tool_result_output(item)
                found[0].log(output=output, error=str(output["content"])
                             if output.get("is_error") else None)
                found[0].end()
        if content is not None:
            self._history.append({"content": m.blocks(content), "role": "user"})
        if had_results:
            parent_id = getattr(message, "parent_tool_use_id", None)
            self._context(str(parent_id) if parent_id is not None else None).next_start = \
                time.time_ns()

    def _result_message(self, message: Any) -> None:
        for context in self._contexts.values():
            if context.llm is not None and context.output is not None \
                    and not context.output_logged:
                context.llm.log(output=[context.output])
                context.output_logged = True
        result = getattr(message, "result", None)
        if result is not None:
            self._result = result
        usage = m.result_usage(message)
        if self._partial:
            # The turns carry their own tokens: the run's total is shown, not counted twice.
            self.root.log(metadata={**m.result_metadata(message),
                                    **({"model_usage": usage} if usage else {})})
        else:
            self.root.log(metadata=m.result_metadata(message), metrics=m.usage_metrics(usage))
        if getattr(message, "is_error", None) is True:
            self.root.log(error=result if isinstance(result, str) and result
                          else "Claude Agent run failed")


def _hook_value(value: Any) -> Any:
    """A hook's input or result with only the hook protocol's fields."""
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if str(k) in _HOOK_FIELDS}
    return value
