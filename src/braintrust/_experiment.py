"""Experiments: init/init_experiment, Experiment (registration and reads through the backend)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Optional, overload
from urllib.parse import quote

from braintrust_otel import diagnostics

from . import _state
from ._logger import GLOBAL_PROJECT, SpanTarget
from ._slugs import EXPERIMENT, SpanRef, app_url, encode_slug
from ._span import _MISSING, check_text
from ._summary import CaseStats, ExperimentSummary, cases_from_rows, summarize_cases

if TYPE_CHECKING:
    from ._compat import ReadonlyExperiment

__all__ = ["Experiment", "init", "init_experiment"]


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


class Experiment(SpanTarget):
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
        self.project: dict[str, str] = dict(project)
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


@overload
def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    update: bool = False,
    base_experiment: str | None = None,
    is_public: bool = False,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    project_id: str | None = None,
    base_experiment_id: str | None = None,
    set_current: bool = True,
    tags: Sequence[str] | None = None,
    open: Literal[False] = False,
) -> Experiment: ...


@overload
def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    update: bool = False,
    base_experiment: str | None = None,
    is_public: bool = False,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    project_id: str | None = None,
    base_experiment_id: str | None = None,
    set_current: bool = True,
    tags: Sequence[str] | None = None,
    *,
    open: Literal[True],
) -> ReadonlyExperiment: ...


def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    update: bool = False,
    base_experiment: str | None = None,
    is_public: bool = False,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    project_id: str | None = None,
    base_experiment_id: str | None = None,
    set_current: bool = True,
    tags: Sequence[str] | None = None,
    open: bool = False,
) -> Experiment | ReadonlyExperiment:
    """Creates (or with ``update=True`` reopens) an experiment.

    Args:
        project: The project name (``project_id`` wins).
        experiment: The experiment name; generated when None. A taken name
            gets a suffix unless ``update``.
        description: A description.
        dataset: A dataset the experiment evaluates (recorded by id).
        update: Continue the experiment with this name instead of making a new one.
        base_experiment: The name of the experiment to compare with; by
            default the project's previous experiment.
        is_public: Accepted for compatibility.
        app_url, api_key, org_name: As for :func:`braintrust.init_logger`.
        metadata: Metadata about the experiment (model, prompt version, ...).
        project_id: The project id.
        base_experiment_id: The id of the experiment to compare with.
        set_current: Make it the current experiment: spans started with no
            current span go there (before the current logger), and
            ``braintrust.current_experiment()`` returns it.
        tags: Tags for the experiment.
        open: Open the existing experiment ``experiment`` for reading instead
            (a :class:`ReadonlyExperiment`).

    Returns:
        The :class:`Experiment` (a :class:`ReadonlyExperiment` with ``open=True``).

    Raises:
        ValueError: With ``open``: no experiment name, ``update`` too, or no
            such experiment.
    """
    for arg, value in (("project", project), ("experiment", experiment),
                       ("project_id", project_id), ("base_experiment", base_experiment),
                       ("base_experiment_id", base_experiment_id)):
        check_text(value, arg, "init()")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError("init(): metadata must be a dict")
    from ._logger import _connect

    if open:
        if update:
            raise ValueError("init(): open and update cannot both be set")
        if not experiment:
            raise ValueError("init(): open=True needs the experiment's name")
        _connect(api_key, app_url, org_name, False)
        from ._compat import open_experiment

        return open_experiment(project, project_id, experiment)
    _connect(api_key, app_url, org_name, False)
    info: dict[str, Any] = {}
    if description is not None:
        info["description"] = description
    if metadata:
        info["metadata"] = dict(metadata)
    if tags:
        info["tags"] = list(tags)
    if base_experiment_id:
        info["base_exp_id"] = base_experiment_id
    dataset_id = getattr(dataset, "id", None)
    if isinstance(dataset_id, str):
        info["dataset_id"] = dataset_id
    proj, exp = _state.backend().register_experiment(project, project_id, experiment, info,
                                                     update)
    if not proj.get("name"):
        proj["name"] = project or GLOBAL_PROJECT
    made = Experiment(proj, exp, base_experiment_id=base_experiment_id,
                      base_experiment_name=base_experiment)
    if set_current:
        _state.current_experiment = made
    return made


init_experiment = init
