"""The embedded-store backend: objects and rows in the local SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Optional

from ..sinks.local import LocalSink
from ..store import Store
from . import NotFound, SinkRows

__all__ = ["LocalBackend", "save_function"]

#: Registered when a call names no project (the official SDK's default).
GLOBAL_PROJECT = "Global"


class LocalBackend(SinkRows):
    """Everything in one :class:`~braintrust_otel.store.Store`, rows through its sink.

    Args:
        sink: The :class:`~braintrust_otel.sinks.local.LocalSink` rows go to.
    """

    sink: LocalSink

    @property
    def store(self) -> Store:
        """The store behind the sink."""
        return self.sink.store

    def __repr__(self) -> str:
        return f"<LocalBackend {self.store.location!r}>"

    # -- identity ---------------------------------------------------------------

    def object_ids(self, parent: str) -> dict[str, str]:
        """The ids the sink files a row with this parent under."""
        return dict(self.sink.target(parent)[2])

    def ensure_project(self, name: str | None = None, id: str | None = None,
                       group: str | None = None) -> dict[str, str]:
        """The project by id or name, created when missing (the store has no groups)."""
        return self.store.ensure_project(name=name, id=id)

    def cached_project_id(self, name: str) -> Optional[str]:
        """Always known: the store is local."""
        return self.store.ensure_project(name=name)["id"]

    def link_defaults(self) -> tuple[Optional[str], Optional[str]]:
        """No login: links point at ``braintrust serve``."""
        return None, None

    # -- experiments ------------------------------------------------------------

    def _project(self, project: Optional[str], project_id: Optional[str]) -> dict[str, str]:
        return self.store.ensure_project(
            name=project or GLOBAL_PROJECT if project_id is None else None, id=project_id)

    def register_experiment(self, project: Optional[str], project_id: Optional[str],
                            name: Optional[str], info: dict[str, Any], update: bool
                            ) -> tuple[dict[str, str], dict[str, Any]]:
        """Creates the experiment (a taken name gets a suffix unless ``update``)."""
        proj = self._project(project, project_id)
        return proj, self.store.create_experiment(proj["id"], name, info, ensure_new=not update)

    def find_experiment(self, project_id: str, id: Optional[str] = None,
                        name: Optional[str] = None) -> Optional[dict[str, Any]]:
        """By id, or by name in the project."""
        if id is not None:
            return self.store.find_experiment(id=id)
        return self.store.find_experiment(project_id=project_id, name=name)

    def list_experiments(self, project_id: str) -> list[dict[str, Any]]:
        """In creation order."""
        return self.store.experiments(project_id)

    # -- datasets ---------------------------------------------------------------

    def register_dataset(self, project: Optional[str], project_id: Optional[str], name: str,
                         info: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """The dataset with this name in the project, created when missing."""
        proj = self._project(project, project_id)
        return proj, self.store.ensure_dataset(proj["id"], name, info)

    def dataset_version(self, dataset_id: str) -> Optional[str]:
        """The latest transaction that wrote the dataset (deletes included)."""
        found = self.store.dataset_version(dataset_id)
        return str(found) if found is not None else None

    def find_dataset(self, dataset_id: str
                     ) -> Optional[tuple[dict[str, str], dict[str, Any]]]:
        """Looked up project by project: a store has few projects."""
        for proj in self.store.projects():
            for found in self.store.datasets(proj["id"]):
                if found["id"] == dataset_id:
                    # ensure_dataset returns the full record (description, metadata).
                    full = self.store.ensure_dataset(proj["id"], found["name"])
                    return {"id": proj["id"], "name": proj["name"]}, full
        return None

    def rows(self, object_type: str, object_id: str,
             version: Optional[str] = None) -> list[dict[str, Any]]:
        """Stored rows; a dataset read as of ``version`` takes each record's last write."""
        if object_type == "dataset":
            return self.store.dataset_rows(object_id,
                                           int(version) if version is not None else None)
        return [dict(r.data, _xact_id=str(r.xact_id))
                for r in self.store.rows(object_type, object_id)]

    # -- prompts and functions --------------------------------------------------

    def find_prompt(self, project: Optional[str] = None, project_id: Optional[str] = None,
                    slug: Optional[str] = None, id: Optional[str] = None,
                    version: Optional[str] = None, environment: Optional[str] = None
                    ) -> Optional[dict[str, Any]]:
        """By id, or by (project, slug); environments are a service feature (ignored)."""
        if id is None and project_id is None:
            found = self.store.find_project(name=project)
            if found is None:
                raise NotFound(f"no project named {project!r}")
            project_id = found["id"]
        if version is not None and not str(version).isdigit():
            return None
        return self.store.find_prompt(project_id=project_id, slug=slug, id=id,
                                      version=int(version) if version is not None else None)

    def find_function(self, project: Optional[str] = None, project_id: Optional[str] = None,
                      slug: Optional[str] = None, id: Optional[str] = None,
                      version: Optional[str] = None, environment: Optional[str] = None
                      ) -> Optional[dict[str, Any]]:
        """Every function type is kept in the store's prompts table: as :meth:`find_prompt`."""
        return self.find_prompt(project=project, project_id=project_id, slug=slug, id=id,
                                version=version, environment=environment)

    def prompt_versions(self, project_id: str, prompt_id: str) -> list[str]:
        """The transaction ids of the prompt's saved versions, oldest first."""
        return sorted((str(p["_xact_id"]) for p in self.store.prompts(project_id)
                       if p["id"] == prompt_id), key=int)

    def save_prompt(self, project_id: str, slug: str, data: dict[str, Any],
                    if_exists: str = "replace") -> dict[str, Any]:
        """A new version, unless the slug exists and ``if_exists`` says otherwise."""
        if if_exists != "replace":
            existing = self.store.find_prompt(project_id=project_id, slug=slug)
            if existing is not None:
                if if_exists == "error":
                    raise ValueError(f"prompt {slug!r} exists")
                return existing
        return self.store.save_prompt(project_id, slug, data)

    def invoke(self, request: Callable[[], dict[str, Any]], *,
               project_id: Optional[str] = None, org_name: Optional[str] = None) -> Any:
        """The store runs no functions: they run in process."""
        raise NotImplementedError("functions run in process")

    def save_functions(self, definitions: list[dict[str, Any]]) -> Any:
        """Saves each definition as a prompt version (:func:`save_function`); a slug
        given twice is saved once, as its last definition."""
        last = {(d["project_id"], d["slug"]): d for d in definitions}
        return {"functions": [save_function(self.store, d) for d in last.values()]}

    def upload_bundle(self, make_bundle: Callable[[], bytes],
                      runtime_context: dict[str, Any]) -> Optional[str]:
        """No bundle: code functions run from their files."""
        return None

    def list_sandbox_evals(self, request: dict[str, Any],
                           org_name: Optional[str] = None) -> dict[str, Any]:
        """The store has no sandbox runtime: sandboxes run on the service."""
        raise NotImplementedError("sandboxes run on the Braintrust service")


#: Definition fields kept with a function saved in the embedded store.
SAVED_FIELDS = ("name", "description", "function_type", "function_data", "prompt_data",
                "function_schema", "metadata", "tags")


def save_function(store: Store, definition: Mapping[str, Any]) -> dict[str, Any]:
    """Saves one function definition in the store, honouring its ``if_exists``.

    ``replace`` (and no ``if_exists``) saves a new version unless the latest is
    identical; ``ignore`` keeps an existing function; ``error`` raises.

    Returns:
        The saved (or kept) function.

    Raises:
        ValueError: When the slug exists and ``if_exists`` is ``error``.
    """
    slug = str(definition["slug"])
    project_id = str(definition["project_id"])
    data = {k: definition[k] for k in SAVED_FIELDS if definition.get(k) is not None}
    existing = store.find_prompt(project_id=project_id, slug=slug)
    if existing is not None:
        if definition.get("if_exists") == "error":
            raise ValueError(f"function {slug!r} exists in the project (if_exists='error')")
        same = {k: existing.get(k) for k in SAVED_FIELDS if existing.get(k) is not None}
        if definition.get("if_exists") == "ignore" or same == json.loads(json.dumps(data)):
            return dict(existing)
    return dict(store.save_prompt(project_id, slug, data))
