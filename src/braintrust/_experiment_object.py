"""Experiment, the object :func:`braintrust.init` returns: logging, summaries and reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Optional
from urllib.parse import quote

from braintrust_otel import diagnostics

from . import _state
from ._objects import ObjectMetadata, StoredRecord
from ._slugs import EXPERIMENT, SpanRef, app_url, encode_slug
from ._span import _MISSING
from ._span_target import SpanTarget
from ._summary import CaseStats, ExperimentSummary, cases_from_rows, summarize_cases

if TYPE_CHECKING:
    from ._compat import ReadonlyExperiment

__all__ = ["Experiment", "ExperimentIdentifier", "experiment_url", "find_base", "rows_of"]


# -- reads through the backend ------------------------------------------------------

def rows_of(experiment_id: str) -> list[dict[str, Any]]:
    """Every row of an experiment, oldest first."""
    _state.deliver()  # the sink sends in the background: reads see what was written
    return _state.backend().rows("experiment", experiment_id)


def find_base(project_id: str, current_id: str | None, name: str | None = None,
              id: str | None = None) -> Optional[dict[str, Any]]:
    """The experiment to compare with: by id, by name, or the project's previous one
    (the latest created before ``current_id``)."""
    backend = _state.backend()
    if id is not None or name is not None:
        return backend.find_experiment(project_id, id=id, name=name)
    earlier = backend.list_experiments(project_id)
    ids = [e.get("id") for e in earlier]
    if current_id in ids:
        earlier = earlier[:ids.index(current_id)]
    return earlier[-1] if earlier else None


def experiment_url(project_name: str, experiment_name: str) -> str:
    """Where an experiment is shown: the service's app when logged in, else ``braintrust serve``."""
    org, url = _state.link_defaults()
    return (f"{url or app_url()}/app/{quote(org or 'local')}/p/{quote(project_name)}"
            f"/experiments/{quote(experiment_name)}")


# -- the public object ------------------------------------------------------------

class ExperimentIdentifier(NamedTuple):
    """An experiment's id and name."""

    id: str
    name: str


class Experiment(StoredRecord, SpanTarget):
    """An experiment: evaluated cases logged under one name in a project.

    Create it with :func:`init` (or let :func:`braintrust.Eval` do it).
    """

    root_type = "eval"

    def __init__(self, project: Mapping[str, str], info: Mapping[str, Any],
                 base_experiment_id: str | None = None,
                 base_experiment_name: str | None = None) -> None:
        super().__init__(f"experiment_id:{info['id']}")
        self.id: str = info["id"]
        self.name: str = info["name"]
        #: The project: ``.id``, ``.name``, ``.full_info`` (and ``["id"]`` as before).
        self.project = ObjectMetadata(project)
        self._info = dict(info)
        self._base_id = base_experiment_id
        self._base_name = base_experiment_name
        #: Created while the service could not be reached: registered later.
        self.offline = bool(info.get("offline"))

    def summarize(self, summarize_scores: bool = True,
                  comparison_experiment_id: str | None = None) -> ExperimentSummary:
        """Summarizes the experiment's scores and metrics, compared with a base.

        Args:
            summarize_scores: Compute score and metric summaries (else only names
                and links).
            comparison_experiment_id: The experiment to compare with; by default
                the base given at creation, else the project's previous one.

        Returns:
            The :class:`ExperimentSummary`.
        """
        _state.deliver()
        cases = cases_from_rows(rows_of(self.id)) if summarize_scores else []
        return self.summary_of(cases, comparison_experiment_id, summarize_scores)

    def summary_of(self, cases: list[CaseStats], comparison_experiment_id: str | None = None,
                   summarize_scores: bool = True) -> ExperimentSummary:
        """A summary of ``cases`` (this experiment's), compared with its base."""
        base = None
        try:
            # Offline, there is no base to read: the summary is this run's own.
            if not self.offline:
                base = find_base(self.project["id"], self.id,
                                 name=None if comparison_experiment_id else self._base_name,
                                 id=comparison_experiment_id or self._base_id)
        except Exception as exc:
            diagnostics.report("base_experiment", "could not look up the base experiment", exc)
        base_cases = None
        if base is not None and summarize_scores:
            try:
                base_cases = cases_from_rows(rows_of(base["id"]))
            except Exception as exc:
                diagnostics.report("base_experiment", "could not read the base experiment", exc)
        scores, metrics = summarize_cases(cases, base_cases) if summarize_scores else ({}, {})
        project_name = self.project.get("name") or ""
        return ExperimentSummary(
            project_name=project_name, project_id=self.project.get("id"),
            experiment_name=self.name, experiment_id=self.id,
            project_url=experiment_url(project_name, "").rsplit("/experiments/", 1)[0],
            experiment_url=experiment_url(project_name, self.name),
            comparison_experiment_name=base.get("name") if base_cases is not None and base
            else None,
            comparison_experiment_id=base.get("id") if base_cases is not None and base
            else None,
            scores=scores, metrics=metrics, errors=sum(1 for c in cases if c.error),
            # The official SDK's reason, word for word: code may compare it.
            skipped_reason=None if summarize_scores else "Score summarization was disabled",
        )

    def log(  # type: ignore[override]  # the official order: dataset_record_id before the flag
        self,
        input: Any = _MISSING,
        output: Any = _MISSING,
        expected: Any = _MISSING,
        error: Any = _MISSING,
        tags: Sequence[str] | None = None,
        scores: Mapping[str, float | None] | None = None,
        metadata: Mapping[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        id: str | None = None,
        dataset_record_id: str | None = None,
        allow_concurrent_with_spans: bool = False,
    ) -> str:
        """Logs one evaluated case as a single-span trace (see ``Logger.log``).

        Args:
            input, output, expected, error, tags, scores, metadata, metrics, id:
                As for ``Logger.log``.
            dataset_record_id: Accepted for compatibility (deprecated and
                unused in the official SDK too).
            allow_concurrent_with_spans: Accepted for compatibility.

        Returns:
            The row id.
        """
        return super().log(input, output, expected, error, tags, scores, metadata, metrics, id,
                           allow_concurrent_with_spans)

    def _reader(self) -> ReadonlyExperiment:
        from ._compat import ReadonlyExperiment

        return ReadonlyExperiment(self.project, {"id": self.id, "name": self.name})

    def fetch(self, batch_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Every row logged to the experiment so far (spans are delivered first).

        Args:
            batch_size: Accepted for compatibility.
        """
        return self._reader().fetch(batch_size)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.fetch()

    @property
    def fetched_data(self) -> list[dict[str, Any]]:
        """The experiment's rows, as a list."""
        return self._reader().fetched_data

    @property
    def version(self) -> str | None:
        """The newest transaction id among the experiment's rows."""
        return self._reader().version

    def fetch_base_experiment(self) -> Optional[ExperimentIdentifier]:
        """The experiment this one is compared with (``id``, ``name``), or None."""
        base = None
        if not self.offline:
            base = find_base(self.project["id"], self.id, name=self._base_name,
                             id=self._base_id)
        return ExperimentIdentifier(str(base["id"]), str(base.get("name") or "")) \
            if base else None

    def close(self) -> str:
        """Deprecated in the official SDK: delivers what is pending and returns the id."""
        _state.deliver()
        return self.id

    def export(self) -> str:
        """Returns a slug naming this experiment, usable as ``parent=``."""
        return encode_slug(SpanRef(EXPERIMENT, object_id=self.id))

    def __repr__(self) -> str:
        return f"<braintrust.Experiment {self.name!r} id={self.id}>"
