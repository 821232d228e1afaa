"""Calling scorers and classifiers for one case: names, arguments, recorded spans."""

from __future__ import annotations

import inspect
import sys
import traceback
from collections.abc import Generator, Mapping
from typing import Any, Callable, Optional

from ._eval_types import EvalResult
from ._score import Score, ScorerError, normalize_scores
from ._span import Span, safe_str

__all__ = ["Params", "Scorers", "Step", "classify_steps", "name_of", "params_of",
           "score_steps"]


def name_of(scorer: Any, index: int, prefix: str = "scorer") -> str:
    """A scorer's span name, as the official SDK names it: its ``_name()`` (autoevals
    scorers: the name they were built with), else ``__name__``, else its class
    name; a lambda is ``scorer_<index>``."""
    name: Any = None
    try:
        if hasattr(scorer, "_name"):
            name = scorer._name()
        elif hasattr(scorer, "__name__"):
            name = scorer.__name__
    except Exception:
        name = None
    if not isinstance(name, str) or not name:
        name = type(scorer).__name__
    return f"{prefix}_{index}" if name == "<lambda>" else name


#: A callable's parameters as ``((name, has_default), ...)`` plus whether it
#: takes ``**kwargs``; None when its signature cannot be read.
Params = Optional[tuple[tuple[tuple[str, bool], ...], bool]]


def params_of(fn: Any) -> Params:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    named = tuple((p.name, p.default is not p.empty) for p in sig.parameters.values()
                  if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
    return named, any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())


#: One user call a case's steps yield, ``(fn, args, kwargs)``; the driver sends
#: back its result or throws its exception in (see :mod:`._eval_case`).
Step = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

#: Scorers (or classifiers) with their span names and parameters.
Scorers = list[tuple[Any, str, Params]]


def _user_kwargs(offered: Mapping[str, Any], params: Params, trial: int) -> dict[str, Any]:
    """The keyword arguments a scorer gets, bound as the official SDK binds them.

    A parameter named like an offered argument gets it; one with a default
    keeps it; any other takes the next offered argument not yet given (the
    official SDK's positional fallback, so ``lambda a, b: ...`` still gets
    ``input`` and ``expected``); ``**kwargs`` gets the rest (``trace``
    included). ``trial_index`` is given only to a parameter of that name.
    """
    if params is None:
        return dict(offered)
    named, var_keyword = params
    left = dict(offered)
    found: dict[str, Any] = {}
    for name, has_default in named:
        if name in left:
            found[name] = left.pop(name)
        elif name == "trial_index":
            found[name] = trial
        elif not has_default and left:
            found[name] = left.pop(next(iter(left)))
    if var_keyword:
        found.update(left)
    return found


def score_steps(scorer: Any, name: str, params: Params, offered: Mapping[str, Any],
                trial: int, root: Span, result: EvalResult
                ) -> Generator[Step, Any, Optional[str]]:
    """One scorer's span; returns the traceback when the scorer failed."""
    kwargs = _user_kwargs(offered, params, trial)
    logged = {k: v for k, v in offered.items() if k != "trace"}
    with root.start_span(name=name, type="score", span_attributes={"purpose": "scorer"},
                         input=logged) as span:
        try:
            raw = yield (scorer, (), kwargs)
            scores: list[Score] = normalize_scores(name, raw)
        except ScorerError as exc:
            span.log(error=str(exc))
            print(f"Eval: {exc}", file=sys.stderr)
            return f"ScorerError: {exc}"
        except Exception as exc:
            span.record_error(exc)
            print(f"Eval: scorer {name!r} failed: {type(exc).__name__}: {safe_str(exc)}",
                  file=sys.stderr)
            return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        # As the official SDK: the result keeps what the scorer gave (True stays
        # True), the stored scores have 1/0 for a bool, and the span's output is
        # each score's fields other than name and metadata.
        values = {s.name: s.score for s in scores}
        result.scores.update(values)
        outputs = [{"score": s.score} for s in scores]
        span.log(output=outputs[0] if len(scores) == 1 else
                 {s.name: out for s, out in zip(scores, outputs)},
                 scores={k: int(v) if isinstance(v, bool) else v for k, v in values.items()},
                 metadata=_score_metadata(scores))
        return None


def _score_metadata(scores: list[Score]) -> Optional[dict[str, Any]]:
    # As the official SDK records it: one score's metadata as it is (even
    # empty), several grouped by score name (a list when a name repeats).
    if not scores:
        return None
    if len(scores) == 1:
        return dict(scores[0].metadata or {})
    grouped: dict[str, Any] = {}
    for s in scores:
        meta = dict(s.metadata or {})
        if s.name not in grouped:
            grouped[s.name] = meta
        elif isinstance(grouped[s.name], list):
            grouped[s.name].append(meta)
        else:
            grouped[s.name] = [grouped[s.name], meta]
    return grouped


def _classification(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        value = {k: getattr(value, k, None) for k in ("id", "name", "label", "metadata")}
    if not value or not isinstance(value.get("id"), str):
        raise ValueError(f"classifier {name!r} returned {value!r}; a classification is a dict "
                         "with an 'id' (and optional 'name', 'label', 'metadata')")
    return {"name": value.get("name") or name, **{k: value[k] for k in ("id", "label",
                                                                        "metadata")
                                                   if value.get(k) is not None}}


def classify_steps(classifier: Any, name: str, params: Params,
                   offered: Mapping[str, Any], root: Span, result: EvalResult,
                   found: dict[str, list[dict[str, Any]]]) -> Generator[Step, Any, bool]:
    """One classifier's span; its classes go into ``found``. Returns whether it failed
    (the traceback is in ``result.metadata["classifier_errors"]``)."""
    kwargs = _user_kwargs(offered, params, result.trial_index)
    logged = {k: v for k, v in offered.items() if k != "trace"}
    with root.start_span(name=name, type="classifier", span_attributes={"purpose": "scorer"},
                         input=logged) as span:
        try:
            raw = yield (classifier, (), kwargs)
            if raw is None:
                return False
            items = list(raw) if isinstance(raw, (list, tuple)) else [raw]
            classes = [_classification(item, name) for item in items]
        except Exception as exc:
            span.record_error(exc)
            meta = result.metadata.setdefault("classifier_errors", {})
            meta[name] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            print(f"Eval: classifier {name!r} failed: {type(exc).__name__}: {safe_str(exc)}",
                  file=sys.stderr)
            return True
        for c in classes:
            found.setdefault(c["name"], []).append({k: v for k, v in c.items() if k != "name"})
        if len(classes) == 1:
            output: Any = {k: v for k, v in classes[0].items() if k != "name"}
        else:
            output = {}
            for c in classes:
                item = {k: v for k, v in c.items() if k != "name"}
                prior = output.get(c["name"])
                output[c["name"]] = item if prior is None else (
                    [*prior, item] if isinstance(prior, list) else [prior, item])
        metas = [c["metadata"] for c in classes if c.get("metadata") is not None]
        span.log(output=output, metadata=metas[0] if len(classes) == 1 and metas else None)
        return False


