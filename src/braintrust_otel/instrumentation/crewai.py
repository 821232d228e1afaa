"""Tracing for CrewAI through OpenInference's CrewAI instrumentor, plus an agent span.

OpenInference's instrumentor (``openinference-instrumentation-crewai``) wraps
crew and flow kickoffs, each task execution and tool calls in spans that are
current while they run; the OpenInference mapper makes the rows under the
official SDK's names (``crewai.kickoff`` and ``crewai.task`` ``task``,
``crewai.tool.<name>`` ``tool``). This instrumentor adds the official
``crewai.agent`` ``task`` span around each agent's work on a task (the task
prompt in, the answer out), which OpenInference does not make. Model calls
are left to the provider instrumentors (CrewAI calls the OpenAI, Anthropic...
clients, or LiteLLM), whose ``llm`` rows nest under the agent.
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
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["CrewAIInstrumentor"]

_instruments = ("crewai >= 0.70",)
_SCOPE = "braintrust_otel.instrumentation.crewai"
_TASK = json.dumps({"type": "task"})


def _agent_metadata(agent: Any) -> dict[str, Any]:
    llm = getattr(agent, "llm", None)
    meta = {"agent_role": getattr(agent, "role", None), "agent_goal": getattr(agent, "goal", None),
            "agent_backstory": getattr(agent, "backstory", None),
            "agent_llm": getattr(llm, "model", None) if llm is not None else None}
    return {k: v for k, v in meta.items() if v is not None}


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
            _set(span, A.METADATA, "metadata", _agent_metadata(instance))
            task = args[0] if args else kwargs.get("task")
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
        hide = None if capture_content() else True
        config = TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                             hide_output_messages=hide)
        OpenInferenceCrewAI().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                         config=config)
        import wrapt

        wrapt.wrap_function_wrapper("crewai", "Agent.execute_task", _execute_task)

    def _unpatch(self, **kwargs: Any) -> None:
        from crewai import Agent  # type: ignore[import-not-found]
        from openinference.instrumentation.crewai import CrewAIInstrumentor as OpenInferenceCrewAI
        from opentelemetry.instrumentation.utils import unwrap

        OpenInferenceCrewAI().uninstrument()
        unwrap(Agent, "execute_task")
