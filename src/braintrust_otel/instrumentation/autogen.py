"""Tracing for AutoGen AgentChat: its own GenAI spans, with the content they leave out.

``autogen-core`` makes GenAI-convention spans itself (``create_agent``,
``invoke_agent <name>``, ``execute_tool <tool>``) on the global tracer
provider, but with no content: no task, no answer, no tool arguments or
result. This instrumentor adds what is missing:

- a ``<name>.run`` / ``<name>.run_stream`` ``task`` span around ``run()`` and
  ``run_stream()`` of every agent and team (as the official SDK names them;
  a team's ``run()`` goes through its ``run_stream()``, so it makes both),
  with the task as input, the agent or team as metadata, and the messages
  (the streamed events) that came back as output; AutoGen's ``invoke_agent``
  spans nest inside;
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


def _start(instance: Any, method: str, args: Any, kwargs: Any) -> Any:
    """Starts the ``<name>.<method>`` task span of a run, with its input; not current yet."""
    tracer = trace.get_tracer(_SCOPE, VERSION)
    name = f"{getattr(instance, 'name', None) or type(instance).__name__}.{method}"
    span = tracer.start_span(name, record_exception=False, set_status_on_exception=False)
    try:
        span.set_attribute(A.SPAN_ATTRIBUTES, '{"type":"task"}')
        span.set_attribute(A.METADATA, dumps(_metadata(instance)))
        task = kwargs.get("task", args[0] if args else None)
        _set_json(span, A.INPUT, "input", {"task": _task(task)} if task is not None else None)
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace an AutoGen run", exc)
    return span


def _fail(span: Any, exc: BaseException) -> None:
    span.record_exception(exc)
    span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


def _result(result: Any) -> Any:
    """A ``TaskResult`` as plain data: the messages and why the run stopped."""
    return {"messages": [_message(m) for m in getattr(result, "messages", None) or []],
            "stop_reason": getattr(result, "stop_reason", None)}


def _event(event: Any) -> Any:
    return _result(event) if hasattr(event, "stop_reason") else _message(event)


async def _run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    span = _start(instance, "run", args, kwargs)
    with trace.use_span(span, end_on_exit=True, record_exception=False,
                        set_status_on_exception=False):
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _fail(span, exc)
            raise
        try:
            _set_json(span, A.OUTPUT, "output", _result(result))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record an AutoGen run", exc)
        return result


async def _run_stream(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    # An async generator: the span is current only while AutoGen works on the
    # next event, not while the caller handles the one it got.
    span = _start(instance, "run_stream", args, kwargs)
    events: list[Any] = []
    stream = wrapped(*args, **kwargs)
    try:
        while True:
            with trace.use_span(span, end_on_exit=False, record_exception=False,
                                set_status_on_exception=False):
                try:
                    event = await stream.__anext__()
                except StopAsyncIteration:
                    break
            try:
                events.append(_event(event))
            except Exception as exc:
                diagnostics.report("instrumentation", "could not record an AutoGen event", exc)
            yield event
    except GeneratorExit:  # the caller stopped early: not a failure
        await stream.aclose()
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

        for module, cls in (("autogen_agentchat.agents", "BaseChatAgent"),
                            ("autogen_agentchat.teams", "BaseGroupChat")):
            wrapt.wrap_function_wrapper(module, f"{cls}.run", _run)
            wrapt.wrap_function_wrapper(module, f"{cls}.run_stream", _run_stream)
        wrapt.wrap_function_wrapper("autogen_core.tools", "FunctionTool.run", _tool_run)

    def _unpatch(self, **kwargs: Any) -> None:
        from autogen_agentchat.agents import BaseChatAgent
        from autogen_agentchat.teams import BaseGroupChat
        from autogen_core.tools import FunctionTool

        for cls in (BaseChatAgent, BaseGroupChat):
            unwrap(cls, "run")
            unwrap(cls, "run_stream")
        unwrap(FunctionTool, "run")
