"""Turning an evaluator's ``data`` into cases: loading, checking, filtering."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import sys
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

from ._eval_types import EvalCase, EvalResult, Evaluator
from ._paths import MISSING, get_path

__all__ = ["load_cases", "origin_of"]

_CASE_EXTRAS = ("trial_count", "id", "_xact_id", "created", "origin", "upsert_id")


def _to_case(item: Any, index: int) -> EvalCase:
    if isinstance(item, EvalCase):
        return item
    if isinstance(item, Mapping):
        if "input" not in item:
            raise ValueError(f"case {index} has no 'input' (keys: {sorted(item)})")
        meta = item.get("metadata")
        return EvalCase(input=item["input"], expected=item.get("expected"),
                        metadata=dict(meta) if isinstance(meta, Mapping) else None,
                        tags=list(item.get("tags") or []) or None,
                        **{k: item.get(k) for k in _CASE_EXTRAS})
    if hasattr(item, "input"):
        return EvalCase(input=item.input, expected=getattr(item, "expected", None),
                        metadata=getattr(item, "metadata", None), tags=getattr(item, "tags", None),
                        **{k: getattr(item, k, None) for k in _CASE_EXTRAS})
    raise ValueError(f"case {index} is a {type(item).__name__}; a case is a dict with "
                     "'input' (and optional 'expected', 'metadata', 'tags') or an EvalCase")


async def _load(data: Any) -> list[Any]:
    if inspect.isclass(data):
        data = data()  # a class of iterable objects, as the official SDK takes it
    if callable(data) and not isinstance(data, (list, tuple)) and not hasattr(data, "__iter__") \
            and not hasattr(data, "__aiter__"):
        data = data()
    if inspect.isawaitable(data):
        data = await data
    if isinstance(data, AsyncIterable):
        return [item async for item in data]
    if isinstance(data, Iterable):
        return list(data)
    raise TypeError(f"Eval(): data must be a list, an iterator, a generator, a Dataset or a "
                    f"function returning one; got {type(data).__name__}")


_REFERENCE_TYPES = frozenset({"project_logs", "experiment", "dataset", "prompt", "function",
                              "prompt_session"})


def origin_of(case: EvalCase, dataset_id: str | None) -> dict[str, Any] | None:
    """Where a case comes from, as the official SDK records it on the eval span.

    A record of the evaluated dataset (it has an ``id`` and an ``_xact_id``)
    points at that record; otherwise the case's own ``origin`` when it is a
    well-formed reference (an object type the service knows, string ids),
    else None: a malformed one is left out rather than stored.
    """
    if dataset_id is not None and isinstance(case.id, str) and case.id \
            and isinstance(case._xact_id, str) and case._xact_id:
        ref: dict[str, Any] = {"object_type": "dataset", "object_id": dataset_id,
                               "id": case.id, "_xact_id": case._xact_id}
        if isinstance(case.created, str):
            ref["created"] = case.created
        return ref
    given = case.origin
    if not isinstance(given, Mapping) or given.get("object_type") not in _REFERENCE_TYPES \
            or not isinstance(given.get("object_id"), str) or not isinstance(given.get("id"), str):
        return None
    ref = {k: given[k] for k in ("object_type", "object_id", "id")}
    for key in ("_xact_id", "created"):
        if key in given:
            if given[key] is not None and not isinstance(given[key], str):
                return None
            ref[key] = given[key]
    return ref


def _matches(case: EvalCase, filters: list[tuple[str, re.Pattern[str]]]) -> bool:
    for path, pattern in filters:
        value = get_path(dataclasses.asdict(case), path)
        value = None if value is MISSING else value
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if not pattern.search(text):
            return False
    return True


def _base_experiment_cases(ev: Evaluator, data: Any) -> list[dict[str, Any]]:
    from ._compat import open_experiment

    # The cases of an earlier experiment (by name, else the project's latest),
    # which is also what this run is compared with unless a base was given.
    base = open_experiment(ev.project_name if ev.project_id is None else None,
                           ev.project_id, data.name)
    if ev.base_experiment_name is None and ev.base_experiment_id is None:
        ev.base_experiment_id = base.id
    # Their row ids stay with the base experiment's rows.
    return [{k: v for k, v in r.items() if k not in ("id", "_xact_id")}
            for r in base.as_dataset()]


async def load_cases(ev: Evaluator) -> tuple[list[EvalCase], list[EvalResult]]:
    """The evaluator's cases that pass its filters, and a failed result per bad item.

    A bad item (no ``input``, not a case) is reported on stderr and skipped;
    the others still run.
    """
    from ._compat import BaseExperiment

    data = ev.data
    if data is BaseExperiment:
        data = BaseExperiment()
    if isinstance(data, BaseExperiment):
        data = _base_experiment_cases(ev, data)
    items = await _load(data)
    bad: list[EvalResult] = []
    cases: list[EvalCase] = []
    for i, item in enumerate(items):
        try:
            cases.append(_to_case(item, i))
        except ValueError as exc:
            print(f"Eval({ev.eval_name!r}): skipping {exc}", file=sys.stderr)
            bad.append(EvalResult(input=None, output=None, error=exc, exc_info=str(exc)))
    return [c for c in cases if _matches(c, ev.case_filters)], bad
