"""Tracing for Google ADK (Agent Development Kit): the official SDK's rows.

ADK sends OTel GenAI spans of its own to the global tracer provider
(``invoke_workflow``, ``invoke_agent``, ``generate_content``,
``execute_tool``); the official SDK logs other rows, which this instrumentor
makes instead, and ADK's scope is muted (:mod:`braintrust_otel.muting`,
whether the instrumentor is on or off):

- ``invocation [<app>]`` (task) per ``Runner.run_async``: the new message in
  (``{"new_message": ...}``), the last final-response event out; app name,
  user and session ids and the state delta as metadata;
- ``agent_run [<agent>]`` (task) per ``BaseAgent.run_async``: the last
  final-response event out, the agent's name as metadata;
- ``call_llm`` (task) per ``BaseLlmFlow.run_async``: its last event out;
- ``llm_call [<kind>]`` (task) per model call (``BaseLlmFlow._call_llm_async``),
  the kind being ``tool_selection``, ``response_generation`` or
  ``direct_response``: the request's model, contents and config in, the last
  event out, time to first token; model, ``provider: google`` and the tools
  as metadata. The provider client's request (google-genai, instrumented
  too) is the ``llm`` row inside it;
- ``tool [<name>]`` (tool) per tool call: ``{"tool_name", "arguments"}`` in,
  the tool's result out, the tool's class as metadata; spans made in the tool
  nest inside;
- ``workflow [<name>]`` and ``workflow_node [<name>]`` (task) per ADK 2
  workflow and node run (``BaseNode.run``; agents excepted, their
  ``agent_run`` row stands for them): the node's input in, its last output
  out, its name and class as metadata.

ADK's generators are driven one event at a time with the row's span current
(not while the caller handles an event), so rows made while ADK works nest
under it; the tools a model call chose (run while its stream is paused) nest
under that call, as in the official rows. (``Runner.run``, sync, runs the
runner in a thread that ADK 2 gives the caller's context, so its rows stay in
the caller's trace; the official SDK copies it for older versions too.)
A tool run by a workflow's tool node is a ``tool [<name>]`` row inside its
node's row. Live mode is not traced; an MCP tool's own call gets an
``mcp_tool [<name>]`` row (inside its ``tool`` row) only from :func:`wrap_class`
(``wrap_mcp_tool``).

:func:`wrap_class` puts these wrappers on one class (the per-class helpers);
each passes through when one of ours is beneath it, so a call wrapped twice
(helper and instrumentor, or a class and its base) makes one row.
"""

from __future__ import annotations

import contextvars
import importlib
import time
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any, Optional

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from .. import attributes as A
from .. import diagnostics, muting
from ..serialize import dumps
from . import _adk, _wrap
from ._rows import Row

__all__ = ["ADKInstrumentor", "wrap_class"]

_instruments = ("google-adk >= 1.14",)
_SCOPE = "braintrust_otel.instrumentation.adk"

#: The model call (``llm_call`` row) whose stream is open: ADK runs the tools it chose
#: while the stream is paused, and the official rows put them under it.
_MODEL_CALL: contextvars.ContextVar[Optional[Row]] = contextvars.ContextVar(
    "braintrust_adk_model_call", default=None)
#: The workflow whose graph is running: ADK starts each node in a task under a span of
#: its own (muted), made before the node runs, so the node's row is parented here.
_WORKFLOW: contextvars.ContextVar[Optional[Row]] = contextvars.ContextVar(
    "braintrust_adk_workflow", default=None)


def _tracer() -> trace.Tracer:
    return trace.get_tracer(_SCOPE)


def _row(name: str, span_type: str, parent: Optional[trace.Span] = None,
         **fields: Any) -> Optional[Row]:
    try:
        return Row(_tracer(), name, span_type, parent, **fields)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not trace ADK's {name}", exc)
        return None


async def _driven(row: Optional[Row], stream: Any,
                  seen: Callable[[Any], None]) -> AsyncIterator[Any]:
    """``stream``'s events, each produced with ``row``'s span current; ``seen`` gets
    each event; the row ends with the stream (an error on it when it raised)."""
    if row is None:
        async for event in stream:
            yield event
        return
    try:
        while True:
            token = otel_context.attach(trace.set_span_in_context(row.span))
            try:
                event = await stream.__anext__()
            except StopAsyncIteration:
                return
            except Exception as exc:
                row.log(error=f"{type(exc).__name__}: {exc}")
                raise
            finally:
                otel_context.detach(token)
            try:
                seen(event)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not record an ADK event", exc)
            yield event
    finally:
        try:
            await stream.aclose()
        finally:
            row.end()


def _is_final(event: Any) -> bool:
    try:
        return bool(event.is_final_response())
    except Exception:  # an event of another shape
        return False


def _final_output(row: Optional[Row], stream: Any) -> AsyncIterator[Any]:
    """Drives ``stream`` under ``row``, logging its last final-response event as output."""
    last: list[Any] = []

    def seen(event: Any) -> None:
        if _is_final(event):
            last[:] = [event]
            if row is not None:
                row.log(output=_adk.plain(event))

    return _driven(row, stream, seen)


#: Our wrappers: one finding another beneath it passes through (a helper and the
#: instrumentor, or helpers on a class and its base, wrapping one method).
_OURS: set[Callable[..., Any]] = set()
_once = _wrap.once_among(_OURS)


@_once
def _runner_run_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    app = getattr(instance, "app_name", None)
    message = kwargs.get("new_message")
    row = _row(f"invocation [{app}]", "task",
               input={"new_message": _adk.plain(message) if message is not None else None},
               metadata={"app_name": app, "user_id": kwargs.get("user_id"),
                         "session_id": kwargs.get("session_id"),
                         "state_delta": kwargs.get("state_delta")})
    return _final_output(row, wrapped(*args, **kwargs))


@_once
def _agent_run_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    name = getattr(instance, "name", None)
    row = _row(f"agent_run [{name}]", "task", metadata={"agent_name": name})
    return _final_output(row, wrapped(*args, **kwargs))


@_once
def _flow_run_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    row = _row("call_llm", "task", metadata={"flow_class": type(instance).__name__})

    def seen(event: Any) -> None:
        if row is not None:
            row.log(output=_adk.plain(event))

    return _driven(row, wrapped(*args, **kwargs), seen)


@_once
def _call_llm_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    request = args[1] if len(args) > 1 else kwargs.get("llm_request")
    row: Optional[Row] = None
    try:
        row = _row("llm_call", "task", input=_adk.llm_request_input(request),
                   metadata=_adk.llm_metadata(instance, request))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace an ADK model call", exc)
    start = time.monotonic()
    state: dict[str, Any] = {}

    def seen(event: Any) -> None:
        if row is None:
            return
        if "first" not in state:
            state["first"] = time.monotonic() - start
        state["last"] = event
        if getattr(event, "content", None) is not None:
            state["content"] = event
        kind = _adk.call_type(request, event)
        # The kind is known from the reply: the name says it, as in the official rows.
        row.span.update_name(f"llm_call [{kind}]")
        row.span.set_attribute(A.SPAN_ATTRIBUTES,
                               dumps({"type": "task", "llm_call_type": kind}))
        row.log(output=_adk.event_output(event, state.get("content")),
                metrics={"time_to_first_token": state["first"]})

    return _holding(_MODEL_CALL, row, _driven(row, wrapped(*args, **kwargs), seen))


async def _holding(var: contextvars.ContextVar[Optional[Row]], row: Optional[Row],
                   stream: Any) -> AsyncIterator[Any]:
    """``stream``, with ``var`` naming ``row`` until it ends (the caller sees it between
    events too, and so do the tasks started meanwhile)."""
    token = var.set(row)
    try:
        async for event in stream:
            yield event
    finally:
        try:
            var.reset(token)
        except ValueError:  # closed from another context: it ends with that context
            pass


def _is_a(instance: Any, class_name: str, module_prefix: str) -> bool:
    return any(cls.__name__ == class_name and cls.__module__.startswith(module_prefix)
               for cls in type(instance).__mro__)


@_once
def _node_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # ADK 2 runs agents as workflow nodes too; their agent_run row stands for them.
    if _is_a(instance, "BaseAgent", "google.adk.agents"):
        return wrapped(*args, **kwargs)
    name = getattr(instance, "name", None) or type(instance).__name__
    kind = "workflow" if _is_a(instance, "Workflow", "google.adk.workflow") else "workflow_node"
    node_input = kwargs.get("node_input", args[1] if len(args) > 1 else None)
    workflow = _WORKFLOW.get()
    row = _row(f"{kind} [{name}]", "task", input=_adk.plain(node_input),
               metadata={"node_name": name, "node_class": type(instance).__name__},
               parent=workflow.span if workflow is not None else None)

    def seen(event: Any) -> None:
        output = getattr(event, "output", None)
        if output is not None and row is not None:
            row.log(output=_adk.plain(output))

    stream = _driven(row, wrapped(*args, **kwargs), seen)
    return _holding(_WORKFLOW, row, stream) if kind == "workflow" else stream


@_once
def _tool_node_run_impl(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    tool = getattr(instance, "tool", None)
    if tool is None or type(tool).__module__.startswith("google.adk.tools.mcp_tool"):
        return wrapped(*args, **kwargs)
    name = getattr(tool, "name", None) or type(tool).__name__
    node_input = kwargs.get("node_input", args[1] if len(args) > 1 else None)
    row = _row(f"tool [{name}]", "tool",
               input={"tool_name": name, "arguments": _adk.tool_node_arguments(node_input)},
               metadata={"tool_class": type(tool).__name__})

    def seen(event: Any) -> None:
        output = getattr(event, "output", None)
        if output is not None and row is not None:
            row.log(output=_adk.plain(output))

    return _driven(row, wrapped(*args, **kwargs), seen)


@_once
async def _call_tool_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    tool = args[0] if args else kwargs.get("tool")
    arguments = args[1] if len(args) > 1 else kwargs.get("args", {})
    name = getattr(tool, "name", None) or type(tool).__name__
    call = _MODEL_CALL.get()
    row = _row(f"tool [{name}]", "tool", input={"tool_name": name, "arguments": arguments},
               metadata={"tool_class": type(tool).__name__},
               parent=call.span if call is not None else None)
    return await _awaited_in(row, wrapped(*args, **kwargs))


@_once
async def _mcp_tool_run_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    name = getattr(instance, "name", None) or type(instance).__name__
    row = _row(f"mcp_tool [{name}]", "tool",
               input={"tool_name": name, "arguments": kwargs.get("args", {})},
               metadata={"tool_class": type(instance).__name__})
    return await _awaited_in(row, wrapped(*args, **kwargs))


async def _awaited_in(row: Optional[Row], call: Any) -> Any:
    """``call`` awaited with ``row``'s span current; its result (or error) logged on it."""
    if row is None:
        return await call
    token = otel_context.attach(trace.set_span_in_context(row.span))
    try:
        result = await call
        row.log(output=_adk.plain(result))
        return result
    except Exception as exc:
        row.log(error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        otel_context.detach(token)
        row.end()


#: (module, attribute path, wrapper): what the instrumentor patches, when present.
_PATCHES: tuple[tuple[str, str, Any], ...] = (
    ("google.adk.runners", "Runner.run_async", _runner_run_async),
    ("google.adk.agents.base_agent", "BaseAgent.run_async", _agent_run_async),
    ("google.adk.workflow._base_node", "BaseNode.run", _node_run),
    ("google.adk.workflow._tool_node", "_ToolNode._run_impl", _tool_node_run_impl),
    ("google.adk.flows.llm_flows.base_llm_flow", "BaseLlmFlow.run_async", _flow_run_async),
    ("google.adk.flows.llm_flows.base_llm_flow", "BaseLlmFlow._call_llm_async",
     _call_llm_async),
    # Where ADK's versions keep the function that runs one tool.
    ("google.adk.flows.llm_flows.tools._caller", "_call_tool_async", _call_tool_async),
    ("google.adk.flows.llm_flows._tool_caller", "_call_tool_async", _call_tool_async),
    ("google.adk.flows.llm_flows.functions", "__call_tool_async", _call_tool_async),
)


#: What each per-class helper puts on the class (or object) it is given.
_HELPERS: dict[str, tuple[tuple[str, Callable[..., Any]], ...]] = {
    "agent": (("run_async", _agent_run_async),),
    "runner": (("run_async", _runner_run_async),),
    "flow": (("run_async", _flow_run_async), ("_call_llm_async", _call_llm_async)),
    "node": (("run", _node_run),),
    "tool_node": (("_run_impl", _tool_node_run_impl),),
    "mcp_tool": (("run_async", _mcp_tool_run_async),),
}


def wrap_class(target: Any, kind: str) -> Any:
    """Puts the instrumentor's wrappers for ``kind`` on ``target`` alone; returns it.

    Args:
        target: A class (its subclasses inherit the wrappers; its siblings do
            not) or an object taking attributes.
        kind: ``agent``, ``runner``, ``flow``, ``node``, ``tool_node`` or
            ``mcp_tool``: which of ``target``'s methods are traced.

    Returns:
        ``target``. Wrapping it again, or a class it inherits from, or turning
        the instrumentor on too, adds no second row: the inner wrapper makes it.

    Raises:
        TypeError: When ``target`` has none of the methods, or cannot be patched.
    """
    # Our rows stand for ADK's own spans, whatever turned them on.
    muting.mute("adk")
    return _wrap.wrap_methods(target, _HELPERS[kind])


def _owner(module_name: str, path: str) -> Optional[tuple[Any, str]]:
    try:
        owner: Any = importlib.import_module(module_name)
    except Exception:  # not in this ADK version
        return None
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and hasattr(owner, name) else None


class ADKInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Logs the official SDK's rows for ADK runs; mutes ADK's own spans.

    ADK always sends its spans to the global tracer provider; their scope is
    muted (:mod:`braintrust_otel.muting`) whether this instrumentor is on or
    off, so they stay out of Braintrust.
    """

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        # Our rows stand for ADK's spans; both would be the same work twice.
        muting.mute("adk")

        def on_import(module: Any) -> None:
            try:
                for module_name, path, wrapper in _PATCHES:
                    found = _owner(module_name, path)
                    if found is not None:
                        wrapt.wrap_function_wrapper(found[0], found[1], wrapper)
            except Exception as exc:
                diagnostics.report("instrumentation", "could not instrument google.adk", exc)

        wrapt.register_post_import_hook(on_import, "google.adk.runners")

    def _uninstrument(self, **kwargs: Any) -> None:
        import sys

        muting.mute("adk")
        if "google.adk.runners" not in sys.modules:
            return
        for module_name, path, _ in _PATCHES:
            found = _owner(module_name, path)
            if found is None:
                continue
            owner, name = found
            attr = getattr(owner, "__dict__", {}).get(name)
            if isinstance(attr, wrapt.FunctionWrapper):
                setattr(owner, name, attr.__wrapped__)
