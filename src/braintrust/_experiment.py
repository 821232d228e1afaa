"""Experiments: init/init_experiment, Experiment (registration and reads through the backend)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Optional, overload
from urllib.parse import quote

from braintrust_otel import diagnostics

from . import _state
from ._git import GitMetadataSettings, RepoInfo, collect_repo_info
from ._logger import GLOBAL_PROJECT, SpanTarget
from ._objects import ObjectMetadata, StoredRecord
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


@overload
def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    parameters: Any = None,
    open: Literal[False] = False,
    base_experiment: str | None = None,
    is_public: bool = False,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    git_metadata_settings: GitMetadataSettings | None = None,
    set_current: bool = True,
    update: bool | None = None,
    project_id: str | None = None,
    base_experiment_id: str | None = None,
    repo_info: RepoInfo | None = None,
) -> Experiment: ...

# Opening for reading takes only the arguments that find the experiment.
@overload
def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    parameters: Any = None,
    *,
    open: Literal[True],
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    update: bool | None = None,
    project_id: str | None = None,
) -> ReadonlyExperiment: ...


def init(
    project: str | None = None,
    experiment: str | None = None,
    description: str | None = None,
    dataset: Any = None,
    parameters: Any = None,
    open: bool = False,
    base_experiment: str | None = None,
    is_public: bool = False,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    git_metadata_settings: GitMetadataSettings | None = None,
    set_current: bool = True,
    update: bool | None = None,
    project_id: str | None = None,
    base_experiment_id: str | None = None,
    repo_info: RepoInfo | None = None,
) -> Experiment | ReadonlyExperiment:
    """Creates (or with ``update=True`` reopens) an experiment.

    Positions and names are the official SDK's.

    Args:
        project: The project name (``project_id`` wins).
        experiment: The experiment name; generated when None. A taken name
            gets a suffix unless ``update``.
        description: A description.
        dataset: The dataset the experiment evaluates: a :class:`Dataset`
            (its id and current version are recorded) or ``{"id", "version"}``.
        parameters: The saved parameters the run used: an object with ``id``
            (and ``version``) or ``{"id", "version"}``; recorded on the
            experiment as ``parameters_id`` / ``parameters_version``.
        open: Open the existing experiment ``experiment`` for reading instead
            (a :class:`ReadonlyExperiment`).
        base_experiment: The name of the experiment to compare with; by
            default the project's previous experiment.
        is_public: Recorded as the experiment's ``public`` flag (it matters
            only to the hosted service's sharing).
        app_url, api_key, org_name: As for :func:`braintrust.init_logger`.
        metadata: Metadata about the experiment (model, prompt version, ...).
        tags: Tags for the experiment.
        git_metadata_settings: Which git fields to record (``repo_info``);
            by default none, as the official SDK without organization settings.
        set_current: Make it the current experiment: spans started with no
            current span go there (before the current logger), and
            ``braintrust.current_experiment()`` returns it.
        update: Continue the experiment with this name instead of making a new one.
        project_id: The project id.
        base_experiment_id: The id of the experiment to compare with.
        repo_info: The git metadata to record, given (wins over
            ``git_metadata_settings``).

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
    if repo_info is not None and not isinstance(repo_info, RepoInfo):
        raise TypeError(f"init(): repo_info must be a braintrust.RepoInfo, "
                        f"got {type(repo_info).__name__}")
    if git_metadata_settings is not None and not isinstance(git_metadata_settings,
                                                           GitMetadataSettings):
        raise TypeError(f"init(): git_metadata_settings must be a braintrust.GitMetadataSettings, "
                        f"got {type(git_metadata_settings).__name__}")
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
    if is_public:
        info["public"] = True
    info.update(_dataset_ref(dataset))
    info.update(_parameters_ref(parameters))
    repo = repo_info or collect_repo_info(git_metadata_settings)
    if repo is not None:
        info["repo_info"] = {k: v for k, v in repo.as_dict().items() if v is not None}
    proj, exp = _state.backend().register_experiment(project, project_id, experiment, info,
                                                     bool(update))
    if not proj.get("name"):
        proj["name"] = project or GLOBAL_PROJECT
    made = Experiment(proj, exp, base_experiment_id=base_experiment_id,
                      base_experiment_name=base_experiment)
    if set_current:
        _state.current_experiment = made
    return made


def _dataset_ref(dataset: Any) -> dict[str, Any]:
    """``dataset_id`` (and ``dataset_version``) of a Dataset or an ``{"id", "version"}`` dict."""
    if dataset is None:
        return {}
    if isinstance(dataset, Mapping):
        ref_id, version = dataset.get("id"), dataset.get("version")
    else:
        ref_id = getattr(dataset, "id", None)
        try:
            version = getattr(dataset, "version", None)
        except Exception as exc:  # reading the version reads the backend
            diagnostics.report("dataset_version", "could not read the dataset's version", exc)
            version = None
    if not isinstance(ref_id, str):
        raise TypeError(f"init(): dataset must be a Dataset or a dict with an 'id', "
                        f"got {type(dataset).__name__}")
    out: dict[str, Any] = {"dataset_id": ref_id}
    if version is not None:
        out["dataset_version"] = str(version)
    return out


def _parameters_ref(parameters: Any) -> dict[str, Any]:
    """``parameters_id`` (and ``parameters_version``) of saved parameters."""
    if parameters is None:
        return {}
    if isinstance(parameters, Mapping):
        ref_id, version = parameters.get("id"), parameters.get("version")
    else:
        ref_id, version = getattr(parameters, "id", None), getattr(parameters, "version", None)
    if not isinstance(ref_id, str):
        raise TypeError(f"init(): parameters must have an 'id' (saved parameters), "
                        f"got {type(parameters).__name__}")
    out: dict[str, Any] = {"parameters_id": ref_id}
    if version is not None:
        out["parameters_version"] = str(version)
    return out


init_experiment = init


def framework_init_experiment(project_name: str | None = None,
                              experiment_name: str | None = None,
                              set_current: bool = False, **kwargs: Any) -> Experiment:
    """``braintrust.framework.init_experiment``: :func:`init` under the older argument
    names, not made current by default, and saying on stderr where the experiment is.

    Args:
        project_name: The project name (``init``'s ``project``).
        experiment_name: The experiment name (``init``'s ``experiment``).
        set_current: As for :func:`init`, but False by default.
        kwargs: Any other argument of :func:`init`.

    Returns:
        The :class:`Experiment`.
    """
    made = init(project=project_name, experiment=experiment_name, set_current=set_current,
                **kwargs)
    if not isinstance(made, Experiment):
        raise ValueError("framework.init_experiment(): open=True is not supported here")
    print(f"Experiment {made.name} is running at "
          f"{experiment_url(made.project.get('name') or '', made.name)}", file=sys.stderr)
    return made
