"""Tracing for AutoGen AgentChat: its own GenAI spans, with the content they leave out.

``autogen-core`` makes GenAI-convention spans itself (``create_agent``,
``invoke_agent <name>``, ``execute_tool <tool>``) on the global tracer
provider, but with no content: no task, no answer, no tool arguments or
result. This instrumentor adds what is missing:

- a ``<name>.run`` ``task`` span around ``run()`` of every agent and team
  (as the official SDK names it), with the task as input and the messages
  that came back as output; AutoGen's ``invoke_agent`` spans nest inside;
- the arguments and result of a ``FunctionTool`` on AutoGen's own
  ``execute_tool`` span (the wrapper runs inside it).

Model calls are the provider client's (``autogen-ext`` calls the OpenAI,
Anthropic... clients): their ``llm`` rows nest under the agent.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["AutoGenInstrumentor"]

_instruments = ("autogen-agentchat >= 0.4",)
_SCOPE = "braintrust_otel.instrumentation.autogen"


def _message(msg: Any) -> Any:
    """An AgentChat message as plain data: who said it and what."""
    if isinstance(msg, str):
        return msg
    dump = getattr(msg, "model_dump", None)
    if not callable(dump):
        return msg
    data = dump(mode="json")
    out = {k: data[k] for k in ("source", "content", "type") if k in data}
    return out or data


def _task(task: Any) -> Any:
    if isinstance(task, (list, tuple)):
        return [_message(m) for m in task]
    return _message(task)


def _set_json(span: Any, attr: str, field: str, value: Any) -> None:
    if capture_content() and value is not None:
        span.set_attribute(attr, dumps(mask(field, value)))


async def _run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    tracer = trace.get_tracer(_SCOPE, VERSION)
    name = f"{getattr(instance, 'name', None) or type(instance).__name__}.run"
    task = kwargs.get("task", args[0] if args else None)
    with tracer.start_as_current_span(name, record_exception=False,
                                      set_status_on_exception=False) as span:
        try:
            span.set_attribute(A.SPAN_ATTRIBUTES, '{"type":"task"}')
            _set_json(span, A.INPUT, "input", _task(task))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace an AutoGen run", exc)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        try:
            messages = [_message(m) for m in getattr(result, "messages", None) or []]
            _set_json(span, A.OUTPUT, "output", {
                "messages": messages,
                "stop_reason": getattr(result, "stop_reason", None)})
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record an AutoGen run", exc)
        return result


async def _tool_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # Runs inside AutoGen's execute_tool span: the arguments and result go on it.
    span = trace.get_current_span()
    try:
        value = args[0] if args else kwargs.get("args")
        dump = getattr(value, "model_dump", None)
        _set_json(span, A.INPUT, "input", dump(mode="json") if callable(dump) else value)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record an AutoGen tool call", exc)
    result = await wrapped(*args, **kwargs)
    try:
        _set_json(span, A.OUTPUT, "output", result)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record an AutoGen tool result", exc)
    return result


class AutoGenInstrumentor(LazyInstrumentor):
    """Adds run spans and tool content to AutoGen AgentChat's own spans."""

    library = "autogen_agentchat"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        import wrapt

        wrapt.wrap_function_wrapper("autogen_agentchat.agents", "BaseChatAgent.run", _run)
        wrapt.wrap_function_wrapper("autogen_agentchat.teams", "BaseGroupChat.run", _run)
        wrapt.wrap_function_wrapper("autogen_core.tools", "FunctionTool.run", _tool_run)

    def _unpatch(self, **kwargs: Any) -> None:
        from autogen_agentchat.agents import BaseChatAgent
        from autogen_agentchat.teams import BaseGroupChat
        from autogen_core.tools import FunctionTool

        unwrap(BaseChatAgent, "run")
        unwrap(BaseGroupChat, "run")
        unwrap(FunctionTool, "run")
