"""Tracing for AutoGen AgentChat: the official SDK's rows.

``autogen-core`` makes GenAI-convention spans itself (``create_agent``,
``invoke_agent <name>``, ``execute_tool <tool>``) and its runtime makes
message spans (``autogen publish ...``), all on the global tracer provider
and with no content. The official rows have none of them; this instrumentor
makes those rows and mutes AutoGen's scopes (:mod:`braintrust_otel.muting`),
so what ran inside AutoGen's spans nests under the rows below:

- a ``<name>.run`` / ``<name>.run_stream`` ``task`` span around ``run()`` and
  ``run_stream()`` of every agent and team (as the official SDK names them;
  a team's ``run()`` goes through its ``run_stream()``, so it makes both),
  with the task as input, the agent or team as metadata, and the messages
  (the streamed events) that came back as output;
- the same spans around an agent's ``on_messages()`` / ``on_messages_stream()``
  when no ``run()`` of that agent is under way (a team drives its agents
  through them; so may an application), with the messages as input and the
  ``Response`` (the streamed events) as output;
- a ``<tool>.run`` ``tool`` span around ``FunctionTool.run``, the arguments
  in and the result out.

Model calls are the provider client's (``autogen-ext`` calls the OpenAI,
Anthropic... clients): their ``llm`` rows nest under the run.
"""

from __future__ import annotations

import importlib
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import unwrap
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics, muting
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["AutoGenInstrumentor"]

_instruments = ("autogen-agentchat >= 0.4",)
_SCOPE = "braintrust_otel.instrumentation.autogen"
#: Set in the context of an agent's own run()/run_stream() (a team's sets none).
_AGENT_RUN = otel_context.create_key("braintrust-autogen-agent-run")
_AGENT_CLASSES = ("BaseChatAgent", "AssistantAgent", "CodeExecutorAgent", "MessageFilterAgent",
                  "SocietyOfMindAgent", "UserProxyAgent")


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


def _metadata(instance: Any) -> dict[str, Any]:
    """What the official rows say about the agent or team that runs."""
    name = getattr(instance, "name", None)
    description = getattr(instance, "description", None)
    participants = getattr(instance, "_participants", None)
    if participants is None:  # an agent
        meta = {"component": "agent", "agent_name": name, "agent_description": description,
                "agent_class": type(instance).__name__}
    else:
        meta = {"component": "team", "team_name": name, "team_description": description,
                "team_class": type(instance).__name__,
                "participant_names": [getattr(p, "name", type(p).__name__)
                                      for p in participants] or None}
    return {k: v for k, v in meta.items() if v is not None}


def _start(instance: Any, method: str, input_value: Any) -> Any:
    """Starts the ``<name>.<method>`` task span of a run, with its input; not current yet."""
    tracer = trace.get_tracer(_SCOPE, VERSION)
    name = f"{getattr(instance, 'name', None) or type(instance).__name__}.{method}"
    span = tracer.start_span(name, record_exception=False, set_status_on_exception=False)
    try:
        span.set_attribute(A.SPAN_ATTRIBUTES, '{"type":"task"}')
        span.set_attribute(A.METADATA, dumps(_metadata(instance)))
        _set_json(span, A.INPUT, "input", input_value)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace an AutoGen run", exc)
    return span


def _task_input(args: Any, kwargs: Any) -> Any:
    """``run()``'s input as the official rows show it: the task (and the flag, when given)."""
    task = kwargs.get("task", args[0] if args else None)
    value: dict[str, Any] = {}
    if task is not None:
        value["task"] = _task(task)
    if kwargs.get("output_task_messages") is not None:
        value["output_task_messages"] = kwargs["output_task_messages"]
    return value or None


def _messages_input(args: Any, kwargs: Any) -> Any:
    """``on_messages()``'s input: the new messages the agent is handed."""
    messages = args[0] if args else kwargs.get("messages")
    return {"messages": _task(messages)} if messages is not None else None


def _context(span: Any, agent_run: bool) -> Any:
    """The context a run works in: its span current and, for an agent's own ``run()``,
    marked, so the ``on_messages`` it goes through is not a second span."""
    ctx = trace.set_span_in_context(span)
    return otel_context.set_value(_AGENT_RUN, True, ctx) if agent_run else ctx


def _fail(span: Any, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _result(result: Any) -> Any:
    """A ``TaskResult`` as plain data: the messages and why the run stopped (if it says)."""
    value = {"messages": [_message(m) for m in getattr(result, "messages", None) or []]}
    stop_reason = getattr(result, "stop_reason", None)
    if stop_reason is not None:  # the official rows leave out what is unset
        value["stop_reason"] = stop_reason
    return value


def _response(response: Any) -> Any:
    """An agent's ``Response`` as plain data: its answer and the steps on the way."""
    value = {"chat_message": _message(getattr(response, "chat_message", None))}
    inner = getattr(response, "inner_messages", None)
    if inner is not None:
        value["inner_messages"] = [_message(m) for m in inner]
    return value


def _event(event: Any) -> Any:
    if hasattr(event, "stop_reason"):
        return _result(event)
    if hasattr(event, "chat_message"):
        return _response(event)
    return _message(event)


async def _call(wrapped: Any, args: Any, kwargs: Any, span: Any, ctx: Any,
                output: Any) -> Any:
    token = otel_context.attach(ctx)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _fail(span, exc)
        span.end()
        raise
    finally:
        otel_context.detach(token)
    try:
        _set_json(span, A.OUTPUT, "output", output(result))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record an AutoGen run", exc)
    span.end()
    return result


async def _stream(wrapped: Any, instance: Any, args: Any, kwargs: Any, input_value: Any,
                  agent_run: bool) -> Any:
    # An async generator: the span is current only while AutoGen works on the next
    # event, not while the caller handles the one it got. AutoGen's generator may leave
    # its own span current between events (invoke_agent around the agent's turns): the
    # context it left is the one it resumes in, so model calls of later turns nest there.
    span = _start(instance, "run_stream", input_value)
    events: list[Any] = []
    inner = _context(span, agent_run)
    try:
        stream = wrapped(*args, **kwargs)
        while True:
            token = otel_context.attach(inner)
            try:
                event = await stream.__anext__()
            except StopAsyncIteration:
                break
            finally:
                inner = otel_context.get_current()
                otel_context.detach(token)
            try:
                events.append(_event(event))
            except Exception as exc:
                diagnostics.report("instrumentation", "could not record an AutoGen event", exc)
            yield event
    except GeneratorExit:  # the caller stopped early: not a failure
        token = otel_context.attach(inner)
        try:
            await stream.aclose()
        finally:
            otel_context.detach(token)
        raise
    except BaseException as exc:
        _fail(span, exc)
        raise
    finally:
        try:
            _set_json(span, A.OUTPUT, "output", {"events": events})
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record an AutoGen run", exc)
        span.end()


def _in_agent_run() -> bool:
    return otel_context.get_value(_AGENT_RUN) is True


async def _agent_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span = _start(instance, "run", _task_input(args, kwargs))
    return await _call(wrapped, args, kwargs, span, _context(span, True), _result)


async def _team_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span = _start(instance, "run", _task_input(args, kwargs))
    return await _call(wrapped, args, kwargs, span, _context(span, False), _result)


def _agent_run_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _stream(wrapped, instance, args, kwargs, _task_input(args, kwargs), True)


def _team_run_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    return _stream(wrapped, instance, args, kwargs, _task_input(args, kwargs), False)


async def _on_messages(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # Called by the agent's own run(), it is that run's span already; called directly
    # (or by the application's own loop), it is the run, named as the official names it.
    if _in_agent_run():
        return await wrapped(*args, **kwargs)
    span = _start(instance, "run", _messages_input(args, kwargs))
    return await _call(wrapped, args, kwargs, span, _context(span, False), _response)


def _on_messages_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # Called by a team for each of its agents' turns: each is a ``<agent>.run_stream``.
    if _in_agent_run():
        return wrapped(*args, **kwargs)
    return _stream(wrapped, instance, args, kwargs, _messages_input(args, kwargs), False)


def _tool_metadata(instance: Any) -> dict[str, Any]:
    meta = {"component": "tool", "tool_name": getattr(instance, "name", None),
            "tool_description": getattr(instance, "description", None),
            "tool_class": type(instance).__name__}
    return {k: v for k, v in meta.items() if v is not None}


async def _tool_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # A ``<tool>.run`` tool span (the official's), current while the tool runs.
    tracer = trace.get_tracer(_SCOPE, VERSION)
    name = f"{getattr(instance, 'name', None) or type(instance).__name__}.run"
    span = tracer.start_span(name, record_exception=False, set_status_on_exception=False)
    try:
        span.set_attribute(A.SPAN_ATTRIBUTES, '{"type":"tool"}')
        span.set_attribute(A.METADATA, dumps(_tool_metadata(instance)))
        value = args[0] if args else kwargs.get("args")
        dump = getattr(value, "model_dump", None)
        _set_json(span, A.INPUT, "input", dump(mode="json") if callable(dump) else value)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record an AutoGen tool call", exc)
    return await _call(wrapped, args, kwargs, span, trace.set_span_in_context(span),
                       lambda result: result)


class AutoGenInstrumentor(LazyInstrumentor):
    """Traces AutoGen AgentChat runs and tool calls as the official SDK does.

    AutoGen's own spans (``autogen-core``'s GenAI spans, the runtime's message
    spans) are muted (:mod:`braintrust_otel.muting`), on and off: the official
    rows have none, and their children nest under the runs instead.
    """

    library = "autogen_agentchat"
    instruments = _instruments

    def _instrument(self, **kwargs: Any) -> None:
        muting.mute("autogen")
        super()._instrument(**kwargs)

    def _patch(self, **kwargs: Any) -> None:
        import wrapt

        agents, teams = "autogen_agentchat.agents", "autogen_agentchat.teams"
        wrapt.wrap_function_wrapper(agents, "BaseChatAgent.run", _agent_run)
        wrapt.wrap_function_wrapper(agents, "BaseChatAgent.run_stream", _agent_run_stream)
        wrapt.wrap_function_wrapper(teams, "BaseGroupChat.run", _team_run)
        wrapt.wrap_function_wrapper(teams, "BaseGroupChat.run_stream", _team_run_stream)
        for cls in _on_messages_classes():
            wrapt.wrap_function_wrapper(agents, f"{cls}.on_messages", _on_messages)
            wrapt.wrap_function_wrapper(agents, f"{cls}.on_messages_stream",
                                        _on_messages_stream)
        wrapt.wrap_function_wrapper("autogen_core.tools", "FunctionTool.run", _tool_run)

    def _unpatch(self, **kwargs: Any) -> None:
        from autogen_agentchat.agents import BaseChatAgent
        from autogen_agentchat.teams import BaseGroupChat
        from autogen_core.tools import FunctionTool

        for cls in (BaseChatAgent, BaseGroupChat):
            unwrap(cls, "run")
            unwrap(cls, "run_stream")
        agents = importlib.import_module("autogen_agentchat.agents")
        for name in _on_messages_classes():
            unwrap(getattr(agents, name), "on_messages")
            unwrap(getattr(agents, name), "on_messages_stream")
        unwrap(FunctionTool, "run")


def _on_messages_classes() -> list[str]:
    """The agent classes of AgentChat that define ``on_messages`` themselves (the base's
    is abstract; its ``on_messages_stream`` serves agents that define only the other)."""
    agents = importlib.import_module("autogen_agentchat.agents")
    return [name for name in _AGENT_CLASSES
            if isinstance(getattr(agents, name, None), type)
            and "on_messages" in vars(getattr(agents, name))]
