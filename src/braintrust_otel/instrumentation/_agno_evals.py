"""Agno's evals (``agno.eval``) as Braintrust rows.

Each eval run is an ``eval`` row named after the eval (its ``name``, else
its class): the checked input, expected and actual output, a 0-1 score
(Agno's 1-10 scores divided by 10, pass/fail as 1/0) and what was measured in
the metadata. The judge calls inside become ``score`` rows (purpose
``scorer``): each accuracy iteration's judgement, and each pair a batch
``AgentAsJudgeEval`` grades. An ``AgentAsJudgeEval`` running as an agent's
post-hook also puts its score on the span it runs in (the agent run it
judges). A ``PerformanceEval`` runs its function many times: the spans of
what runs inside are suppressed, so the eval is one row with the timings as
metrics. An eval suite case (``agno.eval.suite``) is an ``eval`` row with the
case's input, expected output, tags and scores; the evals it runs for the
case are its ``score`` rows.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import Iterator, Mapping
from typing import Any, Callable, Optional

from opentelemetry import context as otel_context
from opentelemetry import trace

from .. import attributes as A
from .. import diagnostics
from ..serialize import dumps
from ._rows import UNSET, Row

__all__ = ["EVAL_TARGETS", "SUITE_PARENT", "unwrap_evals", "wrap_eval"]

_NAMES = {"accuracy": "AccuracyEval", "agent_as_judge": "AgentAsJudgeEval",
          "reliability": "ReliabilityEval", "performance": "PerformanceEval"}
#: Inside a suite case an eval is one of the case's scorers, named for its check.
_IN_CASE_NAMES = {"agent_as_judge": "judge"}
_PERFORMANCE_METRICS = tuple(f"{stat}_{what}" for what in ("run_time", "memory_usage")
                             for stat in ("avg", "min", "max", "median", "p95"))

_IN_CASE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "braintrust_agno_in_case", default=False)
#: A single-pair judge run: its one ``_evaluate`` would repeat the eval row.
_JUDGE_SINGLE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "braintrust_agno_judge_single", default=False)
#: The span a post-hook judge's score also goes on (the run it judges).
_SCORE_TARGET: contextvars.ContextVar[Optional[trace.Span]] = contextvars.ContextVar(
    "braintrust_agno_score_target", default=None)

#: The ``braintrust.parent`` of a suite's case rows (an experiment the caller opened for
#: the suite); None: they go where any other span would.
SUITE_PARENT: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "braintrust_agno_suite_parent", default=None)

_MARK = "__braintrust_agno_eval_wrapped__"


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _scaled(value: Any, scale: float = 10.0) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return max(0.0, min(1.0, float(value) / scale))


def _flag(value: Any) -> Optional[float]:
    return None if value is None else float(bool(value))


def _bound(wrapped: Callable[..., Any], args: Any, kwargs: Any) -> dict[str, Any]:
    try:
        return dict(inspect.signature(wrapped).bind_partial(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return dict(kwargs)


def _tracer() -> trace.Tracer:
    from .._version import VERSION

    return trace.get_tracer(__name__, VERSION)


def _eval_metadata(instance: Any, eval_type: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {"component": "eval", "eval_type": eval_type,
                                "eval_name": getattr(instance, "name", None)}
    for role in ("agent", "team"):
        owner = getattr(instance, role, None)
        if owner is not None:
            metadata[f"{role}_name"] = getattr(owner, "name", None)
            metadata[f"{role}_id"] = getattr(owner, "id", None)
            break
    model = getattr(instance, "model", None)
    if model is not None:
        metadata["evaluator_model"] = getattr(model, "id", None) or type(model).__name__
    return _clean(metadata)


# -- One row per call ----------------------------------------------------------------------

class _Plan:
    """What one wrapped method logs: the row it opens, and what it logs when done.

    ``flags`` are context variables set while the call runs (and reset after).
    """

    def __init__(self, name: str, kind: str, start: Mapping[str, Any],
                 finish: Callable[[Any], Mapping[str, Any]], suppress: bool = False,
                 tags: Optional[list[str]] = None,
                 flags: tuple[tuple[contextvars.ContextVar[bool], bool], ...] = ()) -> None:
        self.name, self.kind, self.start, self.finish = name, kind, start, finish
        self.suppress, self.tags, self.flags = suppress, tags, flags
        #: A root row of this ``braintrust.parent`` (a suite's experiment), if set.
        self.root_parent: Optional[str] = None


def _new_row(plan: _Plan) -> Row:
    if plan.root_parent is None:
        return Row(_tracer(), plan.name, plan.kind, None, **plan.start)
    root = otel_context.set_value(A.PARENT_CONTEXT_KEY, plan.root_parent,
                                  otel_context.Context())
    token = otel_context.attach(root)
    try:
        return Row(_tracer(), plan.name, plan.kind, None, **plan.start)
    finally:
        otel_context.detach(token)


@contextlib.contextmanager
def _opened(plan: _Plan) -> Iterator[Row]:
    row = _new_row(plan)
    if plan.kind == "score":
        row.span.set_attribute(A.SPAN_ATTRIBUTES, dumps({"type": "score", "purpose": "scorer"}))
    if plan.tags:
        row.span.set_attribute(A.TAGS, plan.tags)
    context = trace.set_span_in_context(row.span)
    if plan.suppress:
        # OpenInference's wrappers (and OTel's own instrumentations) stand down here.
        context = otel_context.set_value(otel_context._SUPPRESS_INSTRUMENTATION_KEY, True,
                                         context)
    token = otel_context.attach(context)
    flags = [(var, var.set(value)) for var, value in plan.flags]
    try:
        yield row
    except BaseException as exc:
        row.span.record_exception(exc)
        row.span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
        raise
    finally:
        for var, flag in reversed(flags):
            var.reset(flag)
        otel_context.detach(token)
        row.end()


def _finish(row: Row, plan: _Plan, result: Any) -> None:
    try:
        fields = dict(plan.finish(result))
        target = fields.pop("score_target", None)
        row.log(**fields)
        if target is not None and fields.get("scores"):
            target.set_attribute(A.SCORES, dumps(fields["scores"]))
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not record {plan.name}", exc)


def _wrapper(make_plan: Callable[..., Optional[_Plan]], is_async: bool) -> Callable[..., Any]:
    """A wrapt wrapper opening ``make_plan``'s row around the call (none: passes through)."""

    def plan_for(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Optional[_Plan]:
        try:
            return make_plan(wrapped, instance, args, kwargs)
        except Exception as exc:
            diagnostics.report("instrumentation", "could not trace an Agno eval", exc)
            return None

    if is_async:
        async def run_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            plan = plan_for(wrapped, instance, args, kwargs)
            if plan is None:
                return await wrapped(*args, **kwargs)
            with _opened(plan) as row:
                result = await wrapped(*args, **kwargs)
                _finish(row, plan, result)
                return result
        return run_async

    def run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        plan = plan_for(wrapped, instance, args, kwargs)
        if plan is None:
            return wrapped(*args, **kwargs)
        with _opened(plan) as row:
            result = wrapped(*args, **kwargs)
            _finish(row, plan, result)
            return result
    return run


def _eval_row(instance: Any, eval_type: str, finish: Callable[[Any], Mapping[str, Any]],
              input: Any = UNSET, suppress: bool = False) -> _Plan:
    metadata = _eval_metadata(instance, eval_type)
    if _IN_CASE.get():
        return _Plan(_IN_CASE_NAMES.get(eval_type, eval_type), "score",
                     {"input": input, "metadata": metadata}, finish, suppress)
    name = getattr(instance, "name", None) or _NAMES[eval_type]
    return _Plan(name, "eval", {"input": input, "metadata": metadata}, finish, suppress)


# -- AccuracyEval --------------------------------------------------------------------------

def _accuracy_result(result: Any) -> dict[str, Any]:
    runs = list(getattr(result, "results", None) or [])
    fields: dict[str, Any] = {}
    if runs:  # the input may be a callable Agno called: read it back off the run
        last = runs[-1]
        fields.update(input=getattr(last, "input", None),
                      expected=getattr(last, "expected_output", None),
                      output=getattr(last, "output", None))
    average = getattr(result, "avg_score", None)
    score = _scaled(average)
    if score is not None:
        fields["scores"] = {"accuracy": score}
    fields["metadata"] = _clean({
        "eval_run_id": getattr(result, "run_id", None), "num_iterations": len(runs) or None,
        "avg_score": average, "min_score": getattr(result, "min_score", None),
        "max_score": getattr(result, "max_score", None),
        "std_dev_score": getattr(result, "std_dev_score", None),
        "iteration_scores": [getattr(run, "score", None) for run in runs] or None})
    return fields


def _accuracy_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    return _eval_row(instance, "accuracy", _accuracy_result)


def _accuracy_judgement(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    bound = _bound(wrapped, args, kwargs)
    expected = bound.get("evaluator_expected_output")

    def finish(evaluation: Any) -> dict[str, Any]:
        if evaluation is None:
            return {"output": bound.get("agent_output")}
        fields: dict[str, Any] = {"expected": expected, "output": _clean({
            "score": getattr(evaluation, "score", None),
            "reason": getattr(evaluation, "reason", None),
            "output": getattr(evaluation, "output", None)})}
        score = _scaled(getattr(evaluation, "score", None))
        if score is not None:
            fields["scores"] = {"accuracy": score}
        return fields

    return _Plan("accuracy", "score",
                 {"input": _clean({"input": bound.get("input"), "expected": expected})}, finish)


# -- AgentAsJudgeEval ----------------------------------------------------------------------

def _verdict(evaluation: Any) -> Optional[float]:
    score = _scaled(getattr(evaluation, "score", None))
    return score if score is not None else _flag(getattr(evaluation, "passed", None))


def _verdict_output(evaluation: Any) -> dict[str, Any]:
    return {"score": getattr(evaluation, "score", None),
            "passed": getattr(evaluation, "passed", None),
            "reason": getattr(evaluation, "reason", None)}


def _judge_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    bound = _bound(wrapped, args, kwargs)
    target = _SCORE_TARGET.get()
    strategy = getattr(instance, "scoring_strategy", None)

    def finish(result: Any) -> dict[str, Any]:
        evaluations = list(getattr(result, "results", None) or [])
        single = len(evaluations) == 1
        fields: dict[str, Any] = {
            "output": _verdict_output(evaluations[0]) if single else bound.get("output"),
            "metadata": _clean({
                "eval_run_id": getattr(result, "run_id", None),
                "criteria": getattr(instance, "criteria", None), "scoring_strategy": strategy,
                "threshold": getattr(instance, "threshold", None)
                if strategy == "numeric" else None,
                "pass_rate": getattr(result, "pass_rate", None),
                "num_cases": len(evaluations) or None}),
            "score_target": target}
        # A batch's pairs are scored on their own rows: the batch row has the pass rate.
        score = (_verdict(evaluations[0]) if single else
                 _scaled(getattr(result, "pass_rate", None), 100.0) if evaluations else None)
        if score is not None:
            fields["scores"] = {"judge": score}
        return fields

    plan = _eval_row(instance, "agent_as_judge", finish, input=bound.get("input"))
    plan.flags = ((_JUDGE_SINGLE, bound.get("cases") is None),)
    return plan


def _judge_pair(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Optional[_Plan]:
    if _JUDGE_SINGLE.get():
        return None
    bound = _bound(wrapped, args, kwargs)

    def finish(evaluation: Any) -> dict[str, Any]:
        if evaluation is None:
            return {}
        fields: dict[str, Any] = {
            "output": _verdict_output(evaluation),
            "metadata": _clean({"criteria": getattr(evaluation, "criteria", None)})}
        score = _verdict(evaluation)
        if score is not None:
            fields["scores"] = {"judge": score}
        return fields

    return _Plan("judge", "score", {"input": _clean({"input": bound.get("input"),
                                                      "output": bound.get("output")})}, finish)


def _post_check(is_async: bool) -> Callable[..., Any]:
    """The judge as an agent's post-hook: its score also goes on the run it judges."""
    if is_async:
        async def check_async(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
            token = _SCORE_TARGET.set(trace.get_current_span())
            try:
                return await wrapped(*args, **kwargs)
            finally:
                _SCORE_TARGET.reset(token)
        return check_async

    def check(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        token = _SCORE_TARGET.set(trace.get_current_span())
        try:
            return wrapped(*args, **kwargs)
        finally:
            _SCORE_TARGET.reset(token)
    return check


# -- ReliabilityEval and PerformanceEval ---------------------------------------------------

def _reliability_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    checked = _clean({
        "expected_tool_calls": getattr(instance, "expected_tool_calls", None),
        "expected_tool_call_arguments": getattr(instance, "expected_tool_call_arguments", None),
        "allow_additional_tool_calls": getattr(instance, "allow_additional_tool_calls", None)})

    def finish(result: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {"metadata": _clean({"eval_run_id":
                                                      getattr(result, "run_id", None)})}
        status = getattr(result, "eval_status", None)
        if status is not None:
            fields["output"] = _clean({"eval_status": status, **{
                key: getattr(result, key, None) for key in (
                    "passed_tool_calls", "failed_tool_calls", "missing_tool_calls",
                    "additional_tool_calls", "passed_argument_checks",
                    "failed_argument_checks")}})
            fields["scores"] = {"reliability": 1.0 if status == "PASSED" else 0.0}
        return fields

    return _eval_row(instance, "reliability", finish, input=checked)


def _performance_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    def finish(result: Any) -> dict[str, Any]:
        summary = _clean({key: getattr(result, key, None) for key in _PERFORMANCE_METRICS})
        metrics = {key: float(value) for key, value in summary.items()
                   if isinstance(value, (int, float)) and not isinstance(value, bool)}
        return {"output": summary or None, "metrics": metrics or None, "metadata": _clean({
            "eval_run_id": getattr(result, "run_id", None),
            "func": getattr(getattr(instance, "func", None), "__name__", None),
            "warmup_runs": getattr(instance, "warmup_runs", None),
            "num_iterations": getattr(instance, "num_iterations", None),
            "measure_runtime": getattr(instance, "measure_runtime", None),
            "measure_memory": getattr(instance, "measure_memory", None)})}

    return _eval_row(instance, "performance", finish, suppress=True)


# -- Eval suites ---------------------------------------------------------------------------

def _case_run(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> _Plan:
    case = args[0] if args else kwargs["case"]

    def finish(result: Any) -> dict[str, Any]:
        mode = getattr(case, "judge_mode", None)
        scores: dict[str, float] = {}
        if getattr(result, "judge_passed", None) is not None:
            judged = _scaled(getattr(result, "judge_score", None))
            scores["judge"] = judged if judged is not None else float(bool(result.judge_passed))
        if getattr(result, "reliability_passed", None) is not None:
            scores["reliability"] = float(bool(result.reliability_passed))
        value = getattr(getattr(result, "score", None), "value", None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            scores["scorer"] = max(0.0, min(1.0, float(value)))  # Agno's scorers give 0-1
        metadata = _clean({
            "component": "eval", "eval_type": "suite_case", "case_name": case.name,
            "criteria": getattr(case, "criteria", None),
            "expected_tool_calls": list(getattr(case, "expected_tool_calls", None) or [])
            or None, "judge_mode": getattr(mode, "value", mode),
            **{key: getattr(result, key, None) or None for key in (
                "agent_id", "team_id", "session_id", "timed_out", "skipped", "error")},
            **{key: getattr(result, key, None) for key in (
                "passed", "judge_passed", "judge_score", "judge_reason", "reliability_passed",
                "duration_seconds")},
            "tools_called": list(getattr(result, "tools_called", None) or []) or None})
        return {"output": getattr(result, "output", None), "metadata": metadata,
                "scores": scores or None, "expected": getattr(case, "expected", None)}

    # The evals the case runs are its scorers.
    plan = _Plan(getattr(case, "name", None) or "case", "eval",
                 {"input": getattr(case, "input", None)}, finish,
                 tags=list(getattr(case, "tags", None) or []) or None, flags=((_IN_CASE, True),))
    plan.root_parent = SUITE_PARENT.get()
    return plan


# -- Which methods ---------------------------------------------------------------------------

#: "accuracy", ... -> (module, class, {method: (plan or wrapper, is_async)}).
EVAL_TARGETS: dict[str, tuple[str, str, dict[str, tuple[Any, bool]]]] = {
    "accuracy": ("agno.eval.accuracy", "AccuracyEval", {
        "run": (_accuracy_run, False), "arun": (_accuracy_run, True),
        "run_with_output": (_accuracy_run, False), "arun_with_output": (_accuracy_run, True),
        "evaluate_answer": (_accuracy_judgement, False),
        "aevaluate_answer": (_accuracy_judgement, True)}),
    "agent_as_judge": ("agno.eval.agent_as_judge", "AgentAsJudgeEval", {
        "run": (_judge_run, False), "arun": (_judge_run, True),
        "_evaluate": (_judge_pair, False), "_aevaluate": (_judge_pair, True),
        "post_check": (None, False), "async_post_check": (None, True)}),
    "reliability": ("agno.eval.reliability", "ReliabilityEval", {
        "run": (_reliability_run, False), "arun": (_reliability_run, True)}),
    "performance": ("agno.eval.performance", "PerformanceEval", {
        "run": (_performance_run, False), "arun": (_performance_run, True)}),
    "suite": ("agno.eval.suite", "", {"_arun_case": (_case_run, True)}),
}


def wrap_eval(kind: str, target: Any) -> Any:
    """Wraps one eval class (or, for ``"suite"``, the ``agno.eval.suite`` module) once.

    Args:
        kind: A key of :data:`EVAL_TARGETS`.
        target: The class (a subclass is fine) or module.

    Returns:
        ``target``.
    """
    import wrapt

    if kind != "suite" and not isinstance(target, type):
        raise TypeError(f"expected an Agno eval class, got {type(target).__name__}")
    owned = target.__dict__ if isinstance(target, type) else vars(target)
    if owned.get(_MARK):
        return target
    for method, (plan, is_async) in EVAL_TARGETS[kind][2].items():
        if not callable(getattr(target, method, None)):
            continue
        wrapper = _post_check(is_async) if plan is None else _wrapper(plan, is_async)
        wrapt.wrap_function_wrapper(target, method, wrapper)
    setattr(target, _MARK, True)
    return target


def unwrap_evals() -> None:
    """Removes the wrappers :func:`wrap_eval` put on Agno's own eval classes and suite."""
    import sys

    for module_name, cls_name, methods in EVAL_TARGETS.values():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        target = getattr(module, cls_name) if cls_name else module
        owned = target.__dict__ if isinstance(target, type) else vars(target)
        if not owned.get(_MARK):
            continue
        for method in methods:
            attr = owned.get(method)
            if attr is not None and hasattr(attr, "__wrapped__"):
                setattr(target, method, attr.__wrapped__)
        delattr(target, _MARK)
