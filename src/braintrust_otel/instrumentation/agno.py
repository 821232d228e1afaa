"""Tracing for Agno through OpenInference's Agno instrumentor.

OpenInference's instrumentor (``openinference-instrumentation-agno``) wraps
agent and team runs, model invocations and tool calls in spans that are
current while they run; the OpenInference mapper makes the rows (runs
``task``, model invocations ``llm`` with messages and tokens, tools ``tool``).
Its model span is current during the provider request, so the provider
instrumentors add no second ``llm`` row.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any, Callable

import wrapt
from opentelemetry import trace

from ._agno_evals import EVAL_TARGETS, unwrap_evals, wrap_eval
from ._lazy import LazyInstrumentor
from ._openinference import trace_config

__all__ = ["AgnoInstrumentor", "wrap_accuracy_eval", "wrap_agent", "wrap_agent_as_judge_eval",
           "wrap_eval_suite", "wrap_function_call", "wrap_model", "wrap_performance_eval",
           "wrap_reliability_eval", "wrap_team", "wrap_workflow"]

_instruments = ("agno >= 1.5",)


class AgnoInstrumentor(LazyInstrumentor):
    """Turns on OpenInference's Agno instrumentation with our tracer provider.

    Needs ``openinference-instrumentation-agno`` (the ``agno`` extra); without
    it, :meth:`instrument` raises ``ImportError`` naming the package. Agno's
    own telemetry is not affected (``AGNO_TELEMETRY=false`` turns it off).
    """

    library = "agno"
    instruments = _instruments

    def _patch(self, **kwargs: Any) -> None:
        config = _config()  # first: names the missing package
        from openinference.instrumentation.agno import AgnoInstrumentor as OpenInferenceAgno

        OpenInferenceAgno().instrument(tracer_provider=kwargs.get("tracer_provider"),
                                       config=config)
        # Agno's evals too, when (if) the application imports them.
        for kind, (module, cls, _) in EVAL_TARGETS.items():
            def on_import(loaded: Any, kind: str = kind, cls: str = cls) -> None:
                if self.patched:
                    wrap_eval(kind, getattr(loaded, cls) if cls else loaded)
            wrapt.register_post_import_hook(on_import, module)

    def _unpatch(self, **kwargs: Any) -> None:
        from openinference.instrumentation.agno import AgnoInstrumentor as OpenInferenceAgno

        OpenInferenceAgno().uninstrument()
        unwrap_evals()


def _config() -> Any:
    return trace_config("openinference.instrumentation.agno", "Agno", "agno")


# -- One class at a time (the official SDK's ``wrap_agent(Agent)`` and friends) ----------
#
# The same OpenInference wrappers the instrumentor installs, put on the class given
# (model, tool and workflow methods) or, for agent and team runs, which Agno runs as
# module-level functions taking the agent first, on a gate that traces a run only when
# its agent is an instance of a wrapped class. While the instrumentor is on, these pass
# through: its wrappers already make the spans.

_MARK = "__braintrust_agno_wrapped__"
#: "agent" / "team" -> the classes wrapped so far (a gate traces their instances).
_GATED: dict[str, tuple[type, ...]] = {"agent": (), "team": ()}
_RUN_FUNCTIONS = {"_run": "run", "_run_stream": "run_stream", "_arun": "arun",
                  "_arun_stream": "arun_stream", "_continue_run": "run",
                  "_continue_run_stream": "run_stream", "_acontinue_run": "arun",
                  "_acontinue_run_stream": "arun_stream"}
_RUN_MODULES = {"agent": "agno.agent._run", "team": "agno.team._run"}
_MODEL_METHODS = {"invoke": "run", "invoke_stream": "run_stream", "ainvoke": "arun",
                  "ainvoke_stream": "arun_stream"}
_WORKFLOW_METHODS = {"run": ("_WorkflowWrapper", "run"), "arun": ("_WorkflowWrapper", "arun"),
                     "_aexecute": ("_WorkflowExecuteWrapper", "aexecute"),
                     "_aexecute_stream": ("_WorkflowExecuteWrapper", "aexecute_stream")}


def _tracer() -> Any:
    from openinference.instrumentation import OITracer

    from .._version import VERSION

    return OITracer(trace.get_tracer("openinference.instrumentation.agno", VERSION),
                    config=_config())


def _instrumentor_on() -> bool:
    return bool(AgnoInstrumentor().patched)


def _unless_instrumented(wrapper: Callable[..., Any]) -> Callable[..., Any]:
    def call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if _instrumentor_on():
            return wrapped(*args, **kwargs)
        return wrapper(wrapped, instance, args, kwargs)
    return call


@contextlib.contextmanager
def _once(cls: Any, kind: str) -> Iterator[bool]:
    """Yields whether ``cls`` still needs wrapping for ``kind``; marks it afterwards.

    Read from the class's own ``__dict__``, so a subclass of a wrapped class can
    still be wrapped (its inherited methods are already traced, its own not).
    """
    if not isinstance(cls, type):
        raise TypeError(f"expected an Agno class, got {type(cls).__name__}")
    done = set(cls.__dict__.get(_MARK, ()))
    yield kind not in done
    setattr(cls, _MARK, frozenset(done | {kind}))


def _gate(kind: str) -> None:
    """Wraps Agno's agent (or team) run functions once, tracing wrapped classes' runs."""
    import wrapt
    from openinference.instrumentation.agno._runs_wrapper import _RunWrapper

    module = importlib.import_module(_RUN_MODULES[kind])
    if getattr(module, _MARK, False):
        return
    runs = _RunWrapper(tracer=_tracer())
    for function, method in _RUN_FUNCTIONS.items():
        if not hasattr(module, function):
            continue
        traced = getattr(runs, method)

        def gated(wrapped: Any, instance: Any, args: Any, kwargs: Any,
                  traced: Callable[..., Any] = traced) -> Any:
            owner = args[0] if args else None
            if _instrumentor_on() or not isinstance(owner, _GATED[kind]):
                return wrapped(*args, **kwargs)
            return traced(wrapped, instance, args, kwargs)

        wrapt.wrap_function_wrapper(module, function, gated)
    setattr(module, _MARK, True)


def _wrap_runs(cls: Any, kind: str) -> Any:
    with _once(cls, kind) as needed:
        if needed:
            _gate(kind)
            _GATED[kind] = (*_GATED[kind], cls)
    return cls


def wrap_agent(cls: Any) -> Any:
    """Traces runs of agents of class ``cls`` (an ``agno.agent.Agent`` or a subclass).

    Args:
        cls: The agent class.

    Returns:
        ``cls``. Wrapping it again changes nothing.
    """
    return _wrap_runs(cls, "agent")


def wrap_team(cls: Any) -> Any:
    """Traces runs of teams of class ``cls`` (an ``agno.team.Team`` or a subclass).

    Returns:
        ``cls``.
    """
    return _wrap_runs(cls, "team")


def wrap_model(cls: Any) -> Any:
    """Traces model invocations of class ``cls`` and of its subclasses loaded now.

    Agno's providers override ``invoke`` and its variants, so each class in the
    tree that defines one gets the wrapper.

    Returns:
        ``cls``.
    """
    import wrapt
    from openinference.instrumentation.agno._model_wrapper import _ModelWrapper

    with _once(cls, "model") as needed:
        if needed:
            models = _ModelWrapper(tracer=_tracer())
            tree, todo = [], [cls]
            while todo:
                current = todo.pop()
                tree.append(current)
                todo.extend(current.__subclasses__())
            for current in tree:
                if current is not cls and _MARK in current.__dict__:
                    continue
                for method, how in _MODEL_METHODS.items():
                    # The class given gets inherited methods too; below it, only overrides.
                    if method in current.__dict__ or (current is cls and hasattr(cls, method)):
                        wrapt.wrap_function_wrapper(
                            current, method, _unless_instrumented(getattr(models, how)))
                if current is not cls:
                    setattr(current, _MARK, frozenset({"model"}))
    return cls


def wrap_function_call(cls: Any) -> Any:
    """Traces tool calls made through class ``cls`` (``agno.tools.function.FunctionCall``).

    Returns:
        ``cls``.
    """
    import wrapt
    from openinference.instrumentation.agno._tools_wrapper import _FunctionCallWrapper

    with _once(cls, "function_call") as needed:
        if needed:
            calls = _FunctionCallWrapper(tracer=_tracer())
            for method, how in (("execute", "run"), ("aexecute", "arun")):
                if hasattr(cls, method):
                    wrapt.wrap_function_wrapper(cls, method,
                                                _unless_instrumented(getattr(calls, how)))
    return cls


def wrap_workflow(cls: Any) -> Any:
    """Traces runs of workflows of class ``cls`` (``agno.workflow.Workflow`` or a subclass).

    Returns:
        ``cls``.
    """
    import wrapt
    from openinference.instrumentation.agno import _workflow_wrapper

    with _once(cls, "workflow") as needed:
        if needed:
            tracer = _tracer()
            made: dict[str, Any] = {}
            for method, (kind, how) in _WORKFLOW_METHODS.items():
                if not callable(getattr(cls, method, None)):
                    continue
                wrapper = made.setdefault(kind, getattr(_workflow_wrapper, kind)(tracer=tracer))
                wrapt.wrap_function_wrapper(cls, method,
                                            _unless_instrumented(getattr(wrapper, how)))
    return cls


def wrap_accuracy_eval(cls: Any) -> Any:
    """Traces runs of one ``AccuracyEval`` class (an ``eval`` row, a ``score`` row per
    judgement; see :mod:`._agno_evals`). Returns ``cls``; wrapping again changes nothing."""
    return wrap_eval("accuracy", cls)


def wrap_agent_as_judge_eval(cls: Any) -> Any:
    """As :func:`wrap_accuracy_eval`, for an ``AgentAsJudgeEval`` class."""
    return wrap_eval("agent_as_judge", cls)


def wrap_reliability_eval(cls: Any) -> Any:
    """As :func:`wrap_accuracy_eval`, for a ``ReliabilityEval`` class."""
    return wrap_eval("reliability", cls)


def wrap_performance_eval(cls: Any) -> Any:
    """As :func:`wrap_accuracy_eval`, for a ``PerformanceEval`` class."""
    return wrap_eval("performance", cls)


def wrap_eval_suite(suite_module: Any) -> Any:
    """Traces the cases of ``agno.eval.suite`` runs (an ``eval`` row each); returns the module."""
    return wrap_eval("suite", suite_module)
