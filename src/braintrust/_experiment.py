"""Experiments: init/init_experiment (registration through the backend); re-exports
Experiment and its reads from _experiment_object.py."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from braintrust_otel import diagnostics

from . import _state
from ._experiment_object import Experiment as Experiment
from ._experiment_object import ExperimentIdentifier as ExperimentIdentifier
from ._experiment_object import experiment_url as experiment_url
from ._experiment_object import find_base as find_base
from ._experiment_object import rows_of as rows_of
from ._git import GitMetadataSettings, RepoInfo, collect_repo_info
from ._logger import GLOBAL_PROJECT
from ._span import check_text

if TYPE_CHECKING:
    from ._compat import ReadonlyExperiment

__all__ = ["Experiment", "init", "init_experiment"]


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
