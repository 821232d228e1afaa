"""Tracing for Pydantic AI: the official SDK's rows, made by wrapping its agents.

The instrumentor wraps ``AbstractAgent.run``/``run_sync``/``run_stream`` (a
``task`` row ``agent_run [<name>]``... with the prompt, the run's arguments
and the agent's toolsets as input, the output and last model response as
output, model/agent/end-strategy/output-type metadata), the concrete model
class each run resolves (``request``/``request_stream``: an ``llm`` row
``chat <model>`` with Pydantic AI's messages as input and its response as
output, tokens as metrics, tool definitions as metadata) and
``ToolManager.execute_tool_call`` (a ``tool`` row per call), and the direct
``model_request``/``_sync``/``_stream`` functions (a ``task`` row around the
``chat`` row). Pydantic AI's
own spans (scope ``pydantic-ai``) are muted meanwhile: they would be the same
work twice, in another shape. ``trace_agent`` and ``trace_requests`` (the
per-object ``wrap_*`` helpers) still turn Pydantic AI's own spans on.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, TypeVar

import wrapt
from opentelemetry import trace

from .. import diagnostics, muting
from ._lazy import LazyInstrumentor
from ._llm import capture_content
from ._pydantic_ai_direct import _direct_request, _direct_request_stream, _direct_request_sync
from ._pydantic_ai_models import _WRAPPED_MODELS, _resolve_model, _resolve_model_sync
from ._pydantic_ai_run_streams import _agent_run_stream, _agent_run_stream_sync
from ._pydantic_ai_runs import _agent_run, _agent_run_sync
from ._pydantic_ai_tools import _tool_call

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


#: (module, attribute path, wrapper): what the instrumentor wraps, where it exists.
_PATCHES: tuple[tuple[str, str, Callable[..., Any]], ...] = (
    ("pydantic_ai.agent.abstract", "AbstractAgent.run", _agent_run),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_sync", _agent_run_sync),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_stream", _agent_run_stream),
    ("pydantic_ai.agent.abstract", "AbstractAgent.run_stream_sync", _agent_run_stream_sync),
    ("pydantic_ai.agent", "Agent._resolve_model_selection", _resolve_model),
    ("pydantic_ai.agent", "Agent._get_model", _resolve_model_sync),
    ("pydantic_ai.direct", "_prepare_model", _resolve_model_sync),
    ("pydantic_ai.direct", "model_request", _direct_request),
    ("pydantic_ai.direct", "model_request_sync", _direct_request_sync),
    ("pydantic_ai.direct", "model_request_stream", _direct_request_stream),
    ("pydantic_ai.tool_manager", "ToolManager.execute_tool_call", _tool_call),
)


def _owner(module_name: str, path: str) -> Optional[tuple[Any, str]]:
    import importlib

    try:
        owner: Any = importlib.import_module(module_name)
    except Exception:  # not in this Pydantic AI version
        return None
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part, None)
    return (owner, name) if owner is not None and name in getattr(owner, "__dict__", {}) else None


def _unwrap(owner: Any, name: str) -> None:
    attr = getattr(owner, "__dict__", {}).get(name)
    if isinstance(attr, wrapt.FunctionWrapper):
        setattr(owner, name, attr.__wrapped__)


class PydanticAIInstrumentor(LazyInstrumentor):
    """Makes the official SDK's rows for Pydantic AI agent runs, model requests and tools.

    Pydantic AI's own spans stay out of Braintrust while it is on (see the module).
    """

    library = "pydantic_ai"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        muting.mute("pydantic_ai")
        for module_name, path, wrapper in _PATCHES:
            found = _owner(module_name, path)
            if found is not None:
                wrapt.wrap_function_wrapper(found[0], found[1], wrapper)

    def _unpatch(self, **kwargs: Any) -> None:
        muting.unmute("pydantic_ai")
        for module_name, path, _ in _PATCHES:
            found = _owner(module_name, path)
            if found is not None:
                _unwrap(*found)
        while _WRAPPED_MODELS:
            cls, methods = _WRAPPED_MODELS.popitem()
            for name, own in methods:
                if own:
                    _unwrap(cls, name)
                elif isinstance(cls.__dict__.get(name), wrapt.FunctionWrapper):
                    delattr(cls, name)


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
