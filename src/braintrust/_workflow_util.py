"""Workflow evals: small pure helpers shared by the runner's modules (store
encoding, callback introspection, score and classification shapes)."""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Union

from typing_extensions import TypeGuard

from braintrust_otel.serialize import dumps

from ._span import safe_str
from ._workflow_types import (
    WorkflowBatchScorer,
    WorkflowBatchTask,
    WorkflowScorer,
    WorkflowTask,
)

DEFAULT_MAX_CONCURRENCY = 10
#: How long a submitter holds a submission before another process may retry it.
LEASE_TTL_MS = 5 * 60 * 1000
_PREFIX = "braintrust-otel/workflow-eval/v1"

_Processor = Union[WorkflowTask[Any, Any, Any, Any], WorkflowBatchTask[Any, Any, Any, Any],
                   WorkflowScorer[Any, Any, Any, Any], WorkflowBatchScorer[Any, Any, Any, Any]]


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _encode(value: Any) -> bytes:
    return dumps(value).encode("utf-8")


def _decode(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"))


def _json_value(value: Any) -> Any:
    """``value`` as it will be read back from the store (JSON round trip)."""
    return _decode(_encode(value))


def _now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def _is_processor(value: Any) -> TypeGuard[_Processor]:
    return isinstance(value, (WorkflowTask, WorkflowBatchTask, WorkflowScorer,
                              WorkflowBatchScorer))


def _is_async(fn: Any) -> bool:
    call = None if inspect.isroutine(fn) else type(fn).__dict__.get("__call__")
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


def _name_of(fn: Any, index: int, prefix: str) -> str:
    # As Eval names scorers: _name() (autoevals), else __name__, else the class name.
    name: Any = None
    try:
        name = fn._name() if hasattr(fn, "_name") else getattr(fn, "__name__", None)
    except Exception:
        name = None
    if not isinstance(name, str) or not name:
        name = type(fn).__name__
    return f"{prefix}_{index}" if name == "<lambda>" else name


def _bind(fn: Any, offered: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments ``fn`` takes of ``offered``: by name; ``**kwargs``
    takes the rest; a required parameter of another name takes the next unused
    argument (so ``lambda a, b: ...`` gets ``input`` and ``output``)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return dict(offered)
    left = dict(offered)
    found: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in left:
            found[p.name] = left.pop(p.name)
        elif p.default is p.empty and left:
            found[p.name] = left.pop(next(iter(left)))
    if any(p.kind is p.VAR_KEYWORD for p in params):
        found.update(left)
    return found


def _scores_of(name: str, raw: Any) -> list[dict[str, Any]]:
    """A scorer's return value as stored: ``[{"name", "score", "metadata"}]``."""
    from ._score import normalize_scores

    return [{"name": s.name, "score": s.score, "metadata": s.metadata}
            for s in normalize_scores(name, raw)]


def _classes_of(name: str, raw: Any) -> list[dict[str, Any]]:
    """A classifier's return value as stored: ``[{"name", "id", "label"?, "metadata"?}]``."""
    if raw is None:
        return []
    values = list(raw) if isinstance(raw, (list, tuple)) else [raw]
    found = []
    for value in values:
        if not isinstance(value, Mapping):
            value = {k: getattr(value, k, None) for k in ("id", "name", "label", "metadata")}
        if not isinstance(value.get("id"), str) or not value["id"]:
            raise ValueError(f"classifier {name!r} returned {value!r}; a classification "
                             "has an 'id' (and optional 'name', 'label', 'metadata')")
        found.append({"name": value.get("name") or name,
                      **{k: value[k] for k in ("id", "label", "metadata")
                         if value.get(k) is not None}})
    return _json_value(found)  # type: ignore[no-any-return]


def _grouped(items: list[dict[str, Any]], value: Callable[[dict[str, Any]], Any]) -> Any:
    """One item's value alone; several grouped by name (a list where a name repeats)."""
    if len(items) == 1:
        return value(items[0])
    out: dict[str, Any] = {}
    for item in items:
        v = value(item)
        prior = out.get(item["name"])
        out[item["name"]] = v if prior is None else (
            [*prior, v] if isinstance(prior, list) else [prior, v])
    return out


def _raise_all(errors: Sequence[BaseException]) -> None:
    if len(errors) == 1:
        raise errors[0]
    raise RuntimeError("Workflow submission callbacks failed: "
                       + "; ".join(safe_str(e) for e in errors)) from errors[0]


def _as(kind: type, value: Any, what: str) -> Any:
    if isinstance(value, Mapping):
        value = kind(**value)
    if not isinstance(value, kind):
        raise TypeError(f"{what} must return a {kind.__name__}, got {type(value).__name__}")
    return value

