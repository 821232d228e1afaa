"""Names of the official SDK that real code uses, beyond the core facade.

The current experiment, the deprecated top-level ``log``/``summarize``,
``update_span`` and ``parent_context``, read-only experiments and
``BaseExperiment`` data, ``JSONAttachment``, ``SpanTypeAttribute``, prompt
versions and the async loaders. Each works on the embedded store and on the
Braintrust service.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from braintrust_otel.attachments import Attachment

from . import _state
from ._experiment import Experiment, find_base, rows_of
from ._logger import GLOBAL_PROJECT
from ._slugs import decode_slug
from ._summary import ExperimentSummary

__all__ = [
    "BaseExperiment",
    "JSONAttachment",
    "ReadonlyExperiment",
    "SpanTypeAttribute",
    "current_experiment",
    "get_prompt_versions",
    "load_prompt_async",
    "log",
    "open_experiment",
    "parent_context",
    "summarize",
    "update_span",
]


class SpanTypeAttribute(str, enum.Enum):
    """The Braintrust span types, usable wherever a ``type=`` string is."""

    LLM = "llm"
    SCORE = "score"
    FUNCTION = "function"
    EVAL = "eval"
    TASK = "task"
    TOOL = "tool"
    AUTOMATION = "automation"
    FACET = "facet"
    PREPROCESSOR = "preprocessor"
    CLASSIFIER = "classifier"
    REVIEW = "review"
    DECISION = "decision"
    QUESTION = "question"
    LOG = "log"

    def __str__(self) -> str:
        return str(self.value)


@dataclasses.dataclass
class BaseExperiment:
    """``Eval`` data meaning "the cases of a previous experiment".

    Each root row of that experiment becomes a case: its input, its expected
    value (its output when it has none), tags and metadata. The run is also
    compared with that experiment unless another base is given.

    Args:
        name: The experiment's name; by default the project's latest experiment.
    """

    name: Optional[str] = None


class JSONAttachment(Attachment):
    """An attachment holding a JSON document, for large values kept out of the row.

    Args:
        data: Any JSON-serialisable value.
        filename: The attachment's file name.
        pretty: Indent the JSON.

    Raises:
        TypeError: ``data`` cannot be encoded as JSON.
    """

    def __init__(self, data: Any, *, filename: str = "data.json", pretty: bool = False) -> None:
        try:
            text = json.dumps(data, indent=2 if pretty else None)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"JSONAttachment(): data is not JSON-serialisable ({exc})") from None
        super().__init__(text.encode("utf-8"), filename=filename,
                         content_type="application/json")


# -- the current experiment ------------------------------------------------------------

def current_experiment() -> Optional[Experiment]:
    """The experiment made current by ``braintrust.init()``, or None."""
    return _state.current_experiment


def _require_experiment(where: str) -> Experiment:
    experiment = _state.current_experiment
    if experiment is None:
        raise RuntimeError(f"{where}: no current experiment; call braintrust.init() first")
    return experiment


def log(**event: Any) -> str:
    """Logs one row to the current experiment (deprecated: use ``experiment.log``).

    Args:
        **event: As for ``Experiment.log``.

    Returns:
        The row id.

    Raises:
        RuntimeError: No experiment is current.
    """
    print("braintrust.log is deprecated; use experiment.log instead", file=sys.stderr)
    return _require_experiment("braintrust.log()").log(**event)


def summarize(summarize_scores: bool = True,
              comparison_experiment_id: Optional[str] = None) -> ExperimentSummary:
    """Summarizes the current experiment (deprecated: use ``experiment.summarize``).

    Args:
        summarize_scores: Compute score and metric summaries.
        comparison_experiment_id: The experiment to compare with.

    Returns:
        The summary.

    Raises:
        RuntimeError: No experiment is current.
    """
    print("braintrust.summarize is deprecated; use experiment.summarize instead",
          file=sys.stderr)
    return _require_experiment("braintrust.summarize()").summarize(
        summarize_scores=summarize_scores, comparison_experiment_id=comparison_experiment_id)


# -- spans by reference ------------------------------------------------------------------

def update_span(exported: str, **event: Any) -> None:
    """Adds fields to a span that was logged already, named by ``span.export()``.

    Scores and metrics merge key by key, metadata deeply; other fields are
    replaced. Call it after the span has ended (and, across processes, been
    flushed), else the span's own row may overwrite the update.

    Args:
        exported: The span's export slug.
        **event: ``input``, ``output``, ``expected``, ``error``, ``tags``,
            ``scores``, ``metadata``, ``metrics``.

    Raises:
        TypeError: ``exported`` is not a str, or a field has the wrong shape.
        ValueError: ``exported`` is not a slug naming a span row, or ``id`` is given.
    """
    from braintrust_otel.ids import span_id_hex, trace_id_hex

    from ._feedback import update_span as update_row

    if not isinstance(exported, str):
        raise TypeError(f"update_span(): exported must be a str, got {type(exported).__name__}")
    if event.get("id") is not None:
        raise ValueError("update_span(): the row id comes from the export slug; do not pass id")
    ref = decode_slug(exported)
    if not ref.row_id:
        raise ValueError("update_span(): the slug names no span row (use span.export())")
    event = {k: v for k, v in event.items() if k not in ("id", "span_id", "root_span_id")}
    if ref.span_id and ref.root_span_id:
        # The span ids from the slug travel with the merge, as the official SDK sends them.
        event["span_id"] = span_id_hex(int(ref.span_id.replace("-", "")[-16:], 16))
        event["root_span_id"] = trace_id_hex(int(ref.root_span_id.replace("-", ""), 16))
    # One implementation with Logger/Experiment.update_span: a merge row.
    update_row(ref.parent, ref.row_id, event, where="update_span()")


@contextlib.contextmanager
def parent_context(parent: Optional[str | Mapping[str, str]]) -> Iterator[None]:
    """Makes ``parent`` the parent of spans started inside the block.

    It applies to ``braintrust.start_span`` and ``@traced`` when no span is
    current (a current span still wins, as in the official SDK).

    Args:
        parent: A slug from ``span.export()``, or received trace-context
            headers (``traceparent`` and a ``baggage`` with
            ``braintrust.parent``), or None to clear it.

    Raises:
        TypeError: ``parent`` is neither.
        ValueError: A str that is not an export slug.
    """
    if isinstance(parent, Mapping):
        from ._propagation import slug_from_context

        parent = slug_from_context(parent, _state._default_parent())
    elif parent is not None:
        if not isinstance(parent, str):
            raise TypeError("parent_context(): parent must be an export slug or a dict of "
                            f"headers, got {type(parent).__name__}")
        if parent:
            decode_slug(parent)
    token = _state.current_parent.set(parent or None)
    try:
        yield
    finally:
        _state.current_parent.reset(token)


# -- read-only experiments -------------------------------------------------------------

class ReadonlyExperiment(_state.StateHolder):
    """An existing experiment opened for reading (``init(..., open=True)``)."""

    def __init__(self, project: Mapping[str, Any], info: Mapping[str, Any]) -> None:
        self.project = dict(project)
        self._info = dict(info)
        self._rows: Optional[list[dict[str, Any]]] = None

    @property
    def id(self) -> str:
        """The experiment id."""
        return str(self._info["id"])

    @property
    def name(self) -> str:
        """The experiment name."""
        return str(self._info.get("name") or "")

    def _fetch_all(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = rows_of(self.id)
        return self._rows

    def fetch(self, batch_size: Optional[int] = None) -> Iterator[dict[str, Any]]:
        """Every row of the experiment (spans of every case).

        Args:
            batch_size: Accepted for compatibility; rows are read page by page anyway.
        """
        yield from self._fetch_all()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.fetch()

    @property
    def fetched_data(self) -> list[dict[str, Any]]:
        """The rows, as a list."""
        return list(self._fetch_all())

    @property
    def version(self) -> Optional[str]:
        """The newest transaction id among the rows, or None when there are none."""
        xacts = [int(r["_xact_id"]) for r in self._fetch_all()
                 if str(r.get("_xact_id") or "").isdigit()]
        return str(max(xacts)) if xacts else None

    def as_dataset(self, batch_size: Optional[int] = None) -> Iterator[dict[str, Any]]:
        """The experiment's cases as dataset records (``Eval`` data).

        Each root span becomes ``{"input", "expected", "tags", "metadata",
        "id", "_xact_id"}``; ``expected`` is the row's output when it has none.
        """
        for row in self._fetch_all():
            if row.get("span_parents") or row.get("_is_merge"):
                continue  # only each case's root span
            expected = row.get("expected")
            yield {"input": row.get("input"),
                   "expected": expected if expected is not None else row.get("output"),
                   "tags": row.get("tags"), "metadata": row.get("metadata"),
                   "id": row.get("id"), "_xact_id": row.get("_xact_id")}

    def __repr__(self) -> str:
        return f"<braintrust.ReadonlyExperiment {self.name!r} id={self.id}>"


def _project_id(project: Optional[str], project_id: Optional[str]) -> Optional[str]:
    if project_id is not None:
        return project_id
    return _state.backend().ensure_project(name=project or GLOBAL_PROJECT)["id"]


def open_experiment(project: Optional[str], project_id: Optional[str],
                    name: Optional[str]) -> ReadonlyExperiment:
    """Opens an existing experiment by name, or the project's latest when ``name`` is None.

    Raises:
        ValueError: No such project or experiment.
    """
    pid = _project_id(project, project_id)
    where = f"in project {project or project_id!r}"
    found = find_base(pid, None, name=name) if pid else None
    if found is None:
        what = f"experiment {name!r}" if name else "experiment"
        raise ValueError(f"no {what} {where}")
    return ReadonlyExperiment({"id": pid, "name": project or ""}, found)


# -- prompts and functions ---------------------------------------------------------------

def get_prompt_versions(project_id: str, prompt_id: str) -> list[str]:
    """The versions of a prompt, oldest first; each works as ``load_prompt(version=)``.

    Args:
        project_id: The prompt's project id.
        prompt_id: The prompt id (``prompt.id``).

    Returns:
        The version strings.

    Raises:
        TypeError: An argument is not a str.
        RuntimeError: The service refused the query.
    """
    for value, arg in ((project_id, "project_id"), (prompt_id, "prompt_id")):
        if not isinstance(value, str) or not value:
            raise TypeError(f"get_prompt_versions(): {arg} must be a non-empty str")
    from ._logger import _connect

    _connect(None, None, None, False)
    return _state.backend().prompt_versions(project_id, prompt_id)


async def load_prompt_async(
    project: Optional[str] = None,
    slug: Optional[str] = None,
    version: Optional[str | int] = None,
    project_id: Optional[str] = None,
    id: Optional[str] = None,
    defaults: Optional[Mapping[str, Any]] = None,
    no_trace: bool = False,
    environment: Optional[str] = None,
    app_url: Optional[str] = None,
    api_key: Optional[str] = None,
    org_name: Optional[str] = None,
) -> Any:
    """:func:`braintrust.load_prompt` without blocking the event loop (it runs in a thread).

    Returns:
        The :class:`braintrust.Prompt`.
    """
    import asyncio  # here: importing asyncio (and ssl with it) costs every program ~15 ms

    from ._prompt import load_prompt

    return await asyncio.to_thread(
        load_prompt, project=project, slug=slug, version=version, project_id=project_id,
        id=id, defaults=defaults, no_trace=no_trace, environment=environment,
        app_url=app_url, api_key=api_key, org_name=org_name)
