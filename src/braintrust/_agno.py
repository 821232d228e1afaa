"""Agno from the facade: ``setup_agno``, and eval suites run as experiments.

``braintrust.wrappers.agno`` re-exports it. A traced eval suite run
(``agno.eval.suite``) becomes a new experiment of the current logger's
project, as in the official SDK: unless the caller already made an
experiment current, no logger with a project is set, or it is turned off
(``setup_agno(eval_experiments=False)``, ``BRAINTRUST_AGNO_EVAL_EXPERIMENTS``).
Its case rows are the experiment's rows.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from braintrust_otel import settings
from braintrust_otel.instrumentation import library_present
from braintrust_otel.instrumentation._hooks import when_imported
from braintrust_otel.instrumentation.agno import AgnoInstrumentor

from . import _state
from ._span import NOOP_SPAN, current_span

__all__ = ["setup_agno", "suite_experiments"]

_log = logging.getLogger(__name__)

#: ``setup_agno(eval_experiments=)``; None: ``BRAINTRUST_AGNO_EVAL_EXPERIMENTS``.
_eval_experiments: Optional[bool] = None
_MARK = "__braintrust_suite_experiments__"


def setup_agno(api_key: Optional[str] = None, project_id: Optional[str] = None,
               project_name: Optional[str] = None,
               eval_experiments: Optional[bool] = None) -> bool:
    """Traces every Agno agent, team, workflow and eval run.

    Starts a logger first when no span is current.

    Args:
        api_key, project_id, project_name: For the logger, as in ``init_logger``.
        eval_experiments: Whether each eval suite run becomes an experiment
            (None: ``BRAINTRUST_AGNO_EVAL_EXPERIMENTS``, on by default).

    Returns:
        Whether Agno is now traced (False when it is not installed).
    """
    global _eval_experiments
    if eval_experiments is not None:
        _eval_experiments = eval_experiments
    if current_span() is NOOP_SPAN:
        from ._logger import init_logger

        init_logger(project=project_name, project_id=project_id, api_key=api_key)
    if not library_present("agno"):
        return False
    when_imported("agno.eval.suite", suite_experiments)
    _state.tracer()
    instrumentor = AgnoInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()
    return bool(instrumentor.is_instrumented_by_opentelemetry)


def suite_experiments(suite_module: Any) -> Any:
    """Makes each ``arun_cases`` run of ``agno.eval.suite`` a new experiment (see above).

    Args:
        suite_module: The ``agno.eval.suite`` module.

    Returns:
        The module; doing it again changes nothing.
    """
    import wrapt

    if getattr(suite_module, _MARK, False) or not hasattr(suite_module, "arun_cases"):
        return suite_module
    wrapt.wrap_function_wrapper(suite_module, "arun_cases", _run_cases)
    setattr(suite_module, _MARK, True)
    return suite_module


def _experiment_for(metadata: dict[str, Any]) -> Any:
    """A new experiment of the current logger's project, or None (see the module doc)."""
    on = _eval_experiments if _eval_experiments is not None else \
        settings.AGNO_EVAL_EXPERIMENTS.get()
    logger = _state.current_logger
    if not on or _state.current_experiment is not None or logger is None:
        return None
    project_id, project_name = logger._project_id, logger._project_name
    if not project_id and not project_name:
        return None  # a logger of the Global project: its rows stay logs
    try:
        from ._experiment import init

        return init(project=None if project_id else project_name, project_id=project_id,
                    metadata=metadata, set_current=False)
    except Exception:
        # The suite must run even when Braintrust is misconfigured or unreachable.
        _log.warning("could not open an experiment for the Agno eval suite", exc_info=True)
        return None


async def _run_cases(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    from braintrust_otel.instrumentation._agno_evals import SUITE_PARENT

    cases = args[0] if args else kwargs.get("cases", ())
    metadata = {key: value for key, value in {
        "source": "agno", "eval_type": "suite", "num_cases": len(cases),
        "tag": kwargs.get("tag"), "case_name_filter": kwargs.get("name")}.items()
        if value is not None}
    experiment = _experiment_for(metadata)
    if experiment is None:
        return await wrapped(*args, **kwargs)
    token = SUITE_PARENT.set(experiment.parent)
    try:
        return await wrapped(*args, **kwargs)
    finally:
        SUITE_PARENT.reset(token)
        try:
            experiment.flush()
        except Exception:
            _log.warning("could not flush the Agno eval suite's experiment", exc_info=True)
