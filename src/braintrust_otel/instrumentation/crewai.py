"""Tracing for CrewAI through OpenInference's CrewAI instrumentor, plus an agent span.

OpenInference's instrumentor (``openinference-instrumentation-crewai``) wraps
crew and flow kickoffs, each task execution and tool calls in spans that are
current while they run; the OpenInference mapper makes the rows under the
official SDK's names (``crewai.kickoff`` and ``crewai.task`` ``task``,
``crewai.tool.<name>`` ``tool``). This instrumentor adds the official
``crewai.agent`` ``task`` span around each agent's work on a task (the task
prompt in, the answer out), which OpenInference does not make, and gives the
kickoff and task rows the official inputs, outputs and metadata: it wraps
``Crew.kickoff`` and ``Task._execute_core`` inside OpenInference's wrappers
and puts the official values on OpenInference's spans (which they win over):
the crew's, task's and agent's ``crew_*``, ``task_*``, ``agent_*`` metadata,
``{"context": ...}`` as a task's input, and the (last) task's output without
its empty fields as output. Model calls are left to the provider
instrumentors (CrewAI calls the OpenAI, Anthropic... clients, or LiteLLM),
whose ``llm`` rows nest under the agent.
"""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from .. import attributes as A
from .. import diagnostics
from .._version import VERSION
from ..masking import mask
from ..serialize import dumps
from . import _crewai as c
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["CrewAIInstrumentor"]

_instruments = ("crewai >= 0.70",)
_SCOPE = "braintrust_otel.instrumentation.crewai"
_OPENINFERENCE_SCOPE = "openinference.instrumentation.crewai"
_TASK = json.dumps({"type": "task"})


def _set(span: Any, attr: str, field: str, value: Any) -> None:
    if value is not None and (attr == A.METADATA or capture_content()):
        span.set_attribute(attr, dumps(mask(field, value)))


def _execute_task(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``Agent.execute_task`` as the official ``crewai.agent`` span, current while it runs."""
    tracer = trace.get_tracer(_SCOPE, VERSION)
    with tracer.start_as_current_span("crewai.agent", record_exception=False,
                                      set_status_on_exception=False) as span:
        try:
            span.set_attribute(A.SPAN_ATTRIBUTES, _TASK)
            task = args[0] if args else kwargs.get("task")
            tools = args[2] if len(args) > 2 else kwargs.get("tools")
            meta = {**c.agent_metadata(instance), **c.task_metadata(task)}
            listed = c.tools_metadata(tools if tools is not None
                                      else getattr(instance, "tools", None))
            if listed:
                meta["tools"] = listed
            _set(span, A.METADATA, "metadata", meta)
            prompt = getattr(task, "prompt", None)
            _set(span, A.INPUT, "input", {"task_prompt": prompt() if callable(prompt) else None})
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace a CrewAI agent", exc)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            raise
        try:
            _set(span, A.OUTPUT, "output", result if isinstance(result, str) else str(result))
        except Exception as exc:
            diagnostics.report("instrumentation", "could not record a CrewAI agent", exc)
        return result


def _openinference_span() -> Any:
    """OpenInference's CrewAI span, when it is the current one (our wrappers run inside
    its own); None otherwise, so nothing lands on another library's span."""
    span = trace.get_current_span()
    scope = getattr(span, "instrumentation_scope", None)
    if getattr(scope, "name", None) == _OPENINFERENCE_SCOPE and span.is_recording():
        return span
    return None


def _crew_kickoff(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``Crew.kickoff``'s row: the crew's metadata, the last task's output."""
    span = _openinference_span()
    if span is None:
        return wrapped(*args, **kwargs)
    try:
        _set(span, A.METADATA, "metadata", c.crew_metadata(instance))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace a CrewAI kickoff", exc)
    result = wrapped(*args, **kwargs)
    try:
        tasks = getattr(result, "tasks_output", None)
        if isinstance(tasks, list) and tasks:
            _set(span, A.OUTPUT, "output", c.task_output(tasks[-1]))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record a CrewAI kickoff", exc)
    return result


def _execute_core(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """``Task._execute_core(agent, context, tools)``'s row: the context in, the task's and
    agent's metadata, the task output out."""
    span = _openinference_span()
    if span is None:
        return wrapped(*args, **kwargs)
    try:
        agent = args[0] if args else kwargs.get("agent")
        context = args[1] if len(args) > 1 else kwargs.get("context")
        _set(span, A.METADATA, "metadata", {**c.task_metadata(instance),
                                            **c.agent_metadata(agent)})
        if context is not None:
            _set(span, A.INPUT, "input", {"context": context})
    except Exception as exc:
        diagnostics.report("instrumentation", "could not trace a CrewAI task", exc)
    result = wrapped(*args, **kwargs)
    try:
        _set(span, A.OUTPUT, "output", c.task_output(result))
    except Exception as exc:
        diagnostics.report("instrumentation", "could not record a CrewAI task", exc)
    return result


class CrewAIInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's CrewAI instrumentation with our tracer provider.

    Needs ``openinference-instrumentation-crewai`` (the ``crewai`` extra);
    without it, :meth:`instrument` raises ``ImportError`` naming the package.
    CrewAI's own anonymous telemetry is not affected
    (``CREWAI_DISABLE_TELEMETRY=true`` turns it off).
    """

    library = "crewai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        try:
            from openinference.instrumentation import TraceConfig
            from openinference.instrumentation.crewai import (
                CrewAIInstrumentor as OpenInferenceCrewAI,
            )
        except ImportError as exc:
            raise ImportError("tracing CrewAI needs openinference-instrumentation-crewai "
                              "(pip install 'braintrust-otel[crewai]')") from exc
        import wrapt

        # Before OpenInference's, so these run inside its spans.
        wrapt.wrap_function_wrapper("crewai", "Crew.kickoff", _crew_kickoff)
        wrapt.wrap_function_wrapper("crewai", "Task._execute_core", _execute_core)
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
        OpenInferenceCrewAI().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                         config=config)
        wrapt.wrap_function_wrapper("crewai", "Agent.execute_task", _execute_task)

    def _unpatch(self, **kwargs: Any) -> None:
        from crewai import Agent, Crew, Task  # type: ignore[import-not-found]
        from openinference.instrumentation.crewai import CrewAIInstrumentor as OpenInferenceCrewAI
        from opentelemetry.instrumentation.utils import unwrap

        # OpenInference puts back what it found: our wrappers, removed after it.
        OpenInferenceCrewAI().uninstrument()
        unwrap(Agent, "execute_task")
        unwrap(Crew, "kickoff")
        unwrap(Task, "_execute_core")
