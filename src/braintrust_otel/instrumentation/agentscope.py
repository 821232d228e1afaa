"""AgentScope 2: its own OTel tracing middleware, on every agent.

AgentScope 2 traces an agent when its ``TracingMiddleware`` is in the agent's
``middlewares``: an ``invoke_agent <name>`` span per reply (the input message
in, the reply out), a ``chat <model>`` span per model call (GenAI
conventions: messages, the reply, tokens; current while the provider client
sends the request, so that client adds no row of its own) and an
``execute_tool`` span per tool (arguments in, the tool's response out; spans
made in the tool nest inside). The middleware sends its spans to the global
tracer provider, and only when that is an SDK provider (ours is). The
instrumentor adds one to every ``Agent`` built after it is on, unless the
application passed one; the GenAI mapper reads the spans as they are.
"""

from __future__ import annotations

from typing import Any

import wrapt

from .. import diagnostics
from ._lazy import LazyInstrumentor

__all__ = ["AgentScopeInstrumentor"]

_instruments = ("agentscope >= 2.0",)
#: ``Agent(name, system_prompt, model, toolkit, middlewares, ...)``: its position.
_MIDDLEWARES_AT = 4


def _with_tracing(middlewares: Any) -> list[Any]:
    from agentscope.middleware import TracingMiddleware

    found = list(middlewares or [])
    if not any(isinstance(m, TracingMiddleware) for m in found):
        found.append(TracingMiddleware())
    return found


def _agent_init(wrapped: Any, instance: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> Any:
    try:
        if len(args) > _MIDDLEWARES_AT:
            args = (*args[:_MIDDLEWARES_AT], _with_tracing(args[_MIDDLEWARES_AT]),
                    *args[_MIDDLEWARES_AT + 1:])
        else:
            kwargs = {**kwargs, "middlewares": _with_tracing(kwargs.get("middlewares"))}
    except Exception as exc:
        diagnostics.report("instrumentation", "could not add AgentScope's tracing middleware",
                           exc)
    return wrapped(*args, **kwargs)


class AgentScopeInstrumentor(LazyInstrumentor):
    """Adds AgentScope's ``TracingMiddleware`` to every ``Agent``."""

    library = "agentscope.agent"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        from agentscope import agent
        from agentscope.middleware import TracingMiddleware  # noqa: F401 (AgentScope 2+)

        wrapt.wrap_function_wrapper(agent.Agent, "__init__", _agent_init)

    def _unpatch(self, **kwargs: Any) -> None:
        from agentscope import agent

        attr = agent.Agent.__dict__.get("__init__")
        if isinstance(attr, wrapt.FunctionWrapper):
            agent.Agent.__init__ = attr.__wrapped__
