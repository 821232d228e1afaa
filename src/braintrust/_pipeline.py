"""Dataset pipelines: turn logged spans or traces into dataset rows.

``DatasetPipeline(...)`` defines one (and registers it, as the official SDK
does, for a runner to find). Here a definition also runs itself
(``definition.run(limit=...)``, or ``braintrust datasets pipeline run file.py``)
on whatever backend is installed: the embedded store, or the service.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Generic, Literal, Optional, Protocol, TypeVar, Union

from typing_extensions import NotRequired, TypeAlias, TypedDict

from . import _state
from ._pipeline_filter import compile_filter
from ._trace import EvalTrace

__all__ = [
    "DatasetPipeline", "DatasetPipelineDefinition", "DatasetPipelineRow", "DatasetPipelineScope",
    "DatasetPipelineSource", "DatasetPipelineTarget", "DatasetPipelineTransform",
    "DatasetPipelineTransformArgs", "DatasetPipelineTransformResult",
    "get_registered_dataset_pipelines",
]

DatasetPipelineScope: TypeAlias = Literal["span", "trace"]


class DatasetPipelineSource(TypedDict, total=False):
    """Which logs feed the pipeline.

    Keys: ``project_id`` (wins) or ``project_name``; ``org_name``; ``filter``
    (a SQL condition on the span rows, e.g. ``metadata.flagged = true``; all
    rows when omitted); ``scope``: ``"span"`` (each matching span, the default)
    or ``"trace"`` (each trace with a matching span).
    """

    project_id: str
    project_name: str
    org_name: str
    filter: str
    scope: DatasetPipelineScope


class DatasetPipelineTarget(TypedDict):
    """The dataset rows go to (created when missing).

    Keys: ``dataset_name``; ``project_id`` / ``project_name`` (default: the
    source's project); ``org_name``; ``description`` and ``metadata`` used
    when the dataset is created.
    """

    dataset_name: str
    project_id: NotRequired[str]
    project_name: NotRequired[str]
    org_name: NotRequired[str]
    description: NotRequired[str]
    metadata: NotRequired[dict[str, Any]]


class DatasetPipelineRow(TypedDict, total=False):
    """A dataset row a transform returns: ``id`` (default: the source span's row
    id, or the trace's root span id), ``input``, ``expected``, ``tags``,
    ``metadata``."""

    id: str
    input: Any
    expected: Any
    tags: Optional[Sequence[str]]
    metadata: Optional[dict[str, Any]]


Row = TypeVar("Row", bound=DatasetPipelineRow, covariant=True)


class DatasetPipelineTransformArgs(TypedDict, total=False):
    """What a transform may take by keyword: for a span, its ``id``, ``input``,
    ``output``, ``metadata`` and ``expected``; always the ``trace``."""

    id: str
    input: Any
    output: Any
    metadata: Optional[dict[str, Any]]
    expected: Any
    trace: EvalTrace


DatasetPipelineTransformResult: TypeAlias = Union[Row, Sequence[Row], None]


class DatasetPipelineTransform(Protocol[Row]):
    """A transform: takes any of the :class:`DatasetPipelineTransformArgs` by keyword
    and returns a row, a list of rows or None (skip); sync or async."""

    def __call__(self, id: str | None = None, input: Any | None = None,
                 output: Any | None = None, metadata: dict[str, Any] | None = None,
                 expected: Any | None = None, trace: Any | None = None,
                 ) -> Union[DatasetPipelineTransformResult[Row],
                            Awaitable[DatasetPipelineTransformResult[Row]]]:
        ...


@dataclasses.dataclass(frozen=True)
class DatasetPipelineDefinition(Generic[Row]):
    """A dataset pipeline, as :func:`DatasetPipeline` made it."""

    source: DatasetPipelineSource
    transform: DatasetPipelineTransform[Row]
    target: DatasetPipelineTarget
    name: Optional[str] = None

    def run(self, limit: int | None = None, max_concurrency: int = 16) -> list[dict[str, Any]]:
        """Runs the pipeline once: discovers up to ``limit`` spans (or traces),
        newest first, transforms them and writes the rows to the target dataset.

        Args:
            limit: How many spans or traces (by ``source["scope"]``); all by default.
            max_concurrency: Transforms running at once.

        Returns:
            The rows written (with their ids and origins).

        Raises:
            ValueError: A bad limit, filter, source or target, or a row that is
                not a dict.
        """
        import asyncio

        return asyncio.run(self.run_async(limit, max_concurrency))

    async def run_async(self, limit: int | None = None,
                        max_concurrency: int = 16) -> list[dict[str, Any]]:
        """Like :meth:`run`, from a running event loop."""
        return await _run(self, limit, max_concurrency)


_registered: list[DatasetPipelineDefinition[Any]] = []


def DatasetPipeline(
    name: str | None = None,
    *,
    source: DatasetPipelineSource,
    transform: DatasetPipelineTransform[DatasetPipelineRow],
    target: DatasetPipelineTarget,
) -> DatasetPipelineDefinition[DatasetPipelineRow]:
    """Defines a dataset pipeline: logged spans (or traces) of ``source``, turned
    into rows by ``transform``, written to the dataset ``target`` names.

    Run it with ``definition.run(limit=100)`` or ``braintrust datasets pipeline
    run file.py --limit 100`` (the official ``bt datasets pipeline run`` reads
    the same file).

    Args:
        name: Names the pipeline when a file defines several.
        source: A :class:`DatasetPipelineSource` (``scope`` defaults to ``"span"``).
        transform: A :class:`DatasetPipelineTransform`.
        target: A :class:`DatasetPipelineTarget`.

    Returns:
        The :class:`DatasetPipelineDefinition` (also registered for runners).

    Raises:
        TypeError, ValueError: On a malformed source, transform or target.
    """
    if name is not None and not isinstance(name, str):
        raise TypeError("DatasetPipeline(): name must be a str")
    if not isinstance(source, Mapping):
        raise TypeError("DatasetPipeline(): source must be a dict")
    if not isinstance(target, Mapping) or not isinstance(target.get("dataset_name"), str) \
            or not target.get("dataset_name"):
        raise TypeError("DatasetPipeline(): target must be a dict with a dataset_name")
    if not callable(transform):
        raise TypeError("DatasetPipeline(): transform must be callable")
    scope = source.get("scope", "span")
    if scope not in ("span", "trace"):
        raise ValueError(f"DatasetPipeline(): source scope must be 'span' or 'trace', "
                         f"got {scope!r}")
    compile_filter(source.get("filter"))  # a bad filter fails here, not at run time
    kept = DatasetPipelineSource(**source)
    kept["scope"] = scope
    definition: DatasetPipelineDefinition[DatasetPipelineRow] = DatasetPipelineDefinition(
        source=kept, transform=transform, target=DatasetPipelineTarget(**target),
        name=name)
    _registered.append(definition)
    return definition


def get_registered_dataset_pipelines() -> list[DatasetPipelineDefinition[Any]]:
    """Every pipeline :func:`DatasetPipeline` defined in this process, in order."""
    return list(_registered)


# -- running ---------------------------------------------------------------------------

def _project_id(where: Mapping[str, Any], what: str) -> tuple[str, str]:
    backend = _state.backend()
    if where.get("project_id"):
        found = backend.ensure_project(id=where["project_id"])
    elif where.get("project_name"):
        found = backend.ensure_project(name=where["project_name"])
    else:
        raise ValueError(f"dataset pipeline {what} needs project_id or project_name")
    return found["id"], found.get("name") or where.get("project_name") or ""


def _candidates(rows: list[dict[str, Any]], source: Mapping[str, Any],
                limit: int | None) -> list[tuple[Optional[dict[str, Any]], str]]:
    """``(span row or None, root span id)`` per span or trace, newest first."""
    keep = compile_filter(source.get("filter"))
    found: list[tuple[Optional[dict[str, Any]], str]] = []
    seen: set[str] = set()
    def newest(row: dict[str, Any]) -> tuple[str, int]:
        xact = str(row.get("_xact_id") or "0")
        return str(row.get("created") or ""), int(xact) if xact.isdigit() else 0

    # By when each span started: rows written in one request share a transaction id.
    for row in sorted(rows, key=newest, reverse=True):
        if not keep(row):
            continue
        root = str(row.get("root_span_id") or row.get("id"))
        if source.get("scope") == "trace":
            if root in seen:
                continue
            seen.add(root)
            found.append((None, root))
        else:
            found.append((row, root))
        if limit is not None and len(found) >= limit:
            break
    return found


async def _run(definition: DatasetPipelineDefinition[Any], limit: int | None,
               max_concurrency: int) -> list[dict[str, Any]]:
    import asyncio

    from ._dataset import init_dataset
    from ._workflow_util import _bind

    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ValueError("limit must be a positive int")
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int) \
            or max_concurrency < 1:
        raise ValueError("max_concurrency must be a positive int")
    source, target = definition.source, definition.target
    loop = asyncio.get_running_loop()
    project_id, project_name = await loop.run_in_executor(None, _project_id, source, "source")

    def read() -> list[dict[str, Any]]:
        _state.deliver()
        return _state.backend().rows("project_logs", project_id)

    rows = await loop.run_in_executor(None, read)
    candidates = _candidates(rows, source, limit)
    cache: list[dict[str, Any]] = rows

    def trace_rows() -> list[dict[str, Any]]:
        return cache

    sem = asyncio.Semaphore(max_concurrency)
    fn = definition.transform

    async def one(span: Optional[dict[str, Any]], root: str) -> list[dict[str, Any]]:
        trace = EvalTrace("project_logs", project_id, root, trace_rows)
        offered: dict[str, Any] = {"input": None, "output": None, "metadata": None,
                                   "expected": None, "trace": trace}
        if span is not None:
            offered = {"id": span["id"], "input": span.get("input"),
                       "output": span.get("output"), "metadata": span.get("metadata"),
                       "expected": span.get("expected"), "trace": trace}
        async with sem:
            result = fn(**_bind(fn, offered))
            if inspect.isawaitable(result):
                result = await result
        produced = [] if result is None else (list(result) if isinstance(result, (list, tuple))
                                              else [result])
        default_id = span["id"] if span is not None else root
        out = []
        for index, row in enumerate(produced):
            if not isinstance(row, Mapping):
                raise ValueError(f"dataset pipeline transform returned a "
                                 f"{type(row).__name__}; a row is a dict")
            made = dict(row)
            made.setdefault("id", default_id if len(produced) == 1
                            else f"{default_id}:{index}")
            if span is not None:
                made.setdefault("origin", {"object_type": "project_logs",
                                           "object_id": project_id, "id": span["id"]})
            out.append(made)
        return out

    batches = await asyncio.gather(*(one(span, root) for span, root in candidates))
    made = [row for batch in batches for row in batch]

    def write() -> None:
        dataset = init_dataset(
            project=target.get("project_name") or (None if target.get("project_id")
                                                   else project_name),
            project_id=target.get("project_id"), name=target["dataset_name"],
            description=target.get("description"), metadata=target.get("metadata"))
        import datetime

        for row in made:
            record = {"id": row["id"], "input": row.get("input"),
                      "expected": row.get("expected"),
                      "created": datetime.datetime.now(datetime.timezone.utc).isoformat()}
            for key in ("tags", "metadata", "origin"):
                if row.get(key) is not None:
                    record[key] = list(row[key]) if key == "tags" else row[key]
            dataset._add(record)
        dataset.flush()

    await loop.run_in_executor(None, write)
    return made
