"""Tracing for Pydantic AI through its own OpenTelemetry instrumentation.

Pydantic AI emits GenAI-convention spans itself (``invoke_agent <name>``,
``chat <model>``, ``execute_tool <tool>``) once ``Agent.instrument_all`` is
given settings; this instrumentor only turns that on with our tracer
provider, and the GenAI mapper makes the rows (agent ``task``, model call
``llm`` with messages and tokens, tool ``tool``). Its model-call span is the
current span during the HTTP request, so the provider instrumentors see it
and do not add a second ``llm`` row for the same call.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

from opentelemetry import trace

from .. import diagnostics
from ._lazy import LazyInstrumentor
from ._llm import capture_content

__all__ = ["PydanticAIInstrumentor", "trace_agent", "trace_requests"]

_instruments = ("pydantic-ai-slim >= 1.0",)

F = TypeVar("F", bound=Callable[..., Any])


def settings(tracer_provider: Any = None) -> Any:
    """Pydantic AI ``InstrumentationSettings`` that send its spans to ``tracer_provider``.

    Content follows ``BRAINTRUST_CAPTURE_CONTENT``; the bulky
    ``model_request_parameters`` attribute is left out where the installed
    version allows (the tools it lists are on ``gen_ai.tool.definitions``).
    """
    from pydantic_ai.models.instrumented import InstrumentationSettings

    kwargs: dict[str, Any] = {
        "tracer_provider": tracer_provider or trace.get_tracer_provider(),
        "include_content": capture_content(),
    }
    if "include_model_request_parameters" in inspect.signature(
            InstrumentationSettings.__init__).parameters:
        kwargs["include_model_request_parameters"] = False
    return InstrumentationSettings(**kwargs)


class PydanticAIInstrumentor(LazyInstrumentor):
    """Turns on Pydantic AI's OTel spans for every agent (``Agent.instrument_all``).

    An agent built with its own ``instrument=`` argument keeps it.
    """

    library = "pydantic_ai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        from pydantic_ai import Agent

        Agent.instrument_all(settings(kwargs.get("tracer_provider")))

    def _unpatch(self, **kwargs: Any) -> None:
        from pydantic_ai import Agent

        Agent.instrument_all(False)


def trace_agent(agent: Any) -> Any:
    """Turns Pydantic AI's spans on for one agent, or for one agent class.

    A class gets its own instrumentation default (what ``instrument_all`` sets
    on ``Agent``), so its agents and its subclasses' are traced and other
    agents are not; an agent made with its own ``instrument=`` keeps it. An
    agent object is instrumented unless it already is.

    Args:
        agent: A ``pydantic_ai.Agent`` (sub)class or instance.

    Returns:
        ``agent``. Doing it twice changes nothing.
    """
    try:
        if isinstance(agent, type):
            if not agent.__dict__.get("_instrument_default"):
                # The class's own default: Agent.instrument_all sets the one on Agent.
                setattr(agent, "_instrument_default", settings())  # noqa: B010
        elif not getattr(agent, "_instrument", None):
            agent._instrument = settings()
    except Exception as exc:  # not a Pydantic AI agent: it runs untraced, as it was
        diagnostics.report("instrumentation", "could not trace a Pydantic AI agent", exc)
    return agent


def trace_requests(function: F) -> F:
    """Instruments each call of one of Pydantic AI's direct request functions.

    ``pydantic_ai.direct.model_request`` and its variants take ``instrument=``;
    the returned function passes our settings there when the caller gives none,
    so each request is one model-call span. A function without that parameter
    is returned unchanged.

    Args:
        function: The request function.

    Returns:
        The wrapped function (marked, so wrapping it again returns it as is).
    """
    if getattr(function, "__braintrust_traced__", False):
        return function
    try:
        takes = "instrument" in inspect.signature(function).parameters
    except (TypeError, ValueError):
        takes = False
    if not takes:
        return function

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("instrument") is None:
                kwargs["instrument"] = settings()
            return await function(*args, **kwargs)
        traced: Any = traced_async
    else:
        @functools.wraps(function)
        def traced_sync(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("instrument") is None:
                kwargs["instrument"] = settings()
            return function(*args, **kwargs)
        traced = traced_sync
    traced.__braintrust_traced__ = True
    return traced  # type: ignore[no-any-return]
