"""The seam between the facade and where data lives: one :class:`Backend` protocol.

A backend is a row sink (``write``, ``flush``, ``shutdown``, attachments)
plus the object operations the facade needs: projects, experiments,
datasets, reading rows back, prompts, functions. Two implementations:

- :class:`~braintrust_otel.backends.local.LocalBackend`: the embedded store
  (:class:`~braintrust_otel.sinks.local.LocalSink` and its ``Store``);
- :class:`~braintrust_otel.backends.rest.RestBackend`: the Braintrust REST
  API (:class:`~braintrust_otel.sinks.http.HttpSink`, its ``ApiConnection``
  and its deferred registrations).

A backend composes a sink; it does not replace it. The exporter keeps
writing spans to the sink directly (the hot path never sees a backend),
and :func:`backend_for` gives the backend of whatever sink is installed, so
the facade never asks which kind it has.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Optional, Protocol, runtime_checkable

__all__ = ["Backend", "FunctionError", "NotFound", "RowsOnlyBackend", "backend_for"]


class NotFound(LookupError):
    """An object the caller named does not exist; the message names it."""


class FunctionError(RuntimeError):
    """The backend failed while running an invoked function; the message is its answer."""


@runtime_checkable
class Backend(Protocol):
    """Everything the facade asks of the place data lives.

    Rows name their object by ``_parent`` (``project_name:``,
    ``project_id:``, ``experiment_id:``, ``dataset_id:``);
    :meth:`object_ids` is the one place such a parent becomes object ids.
    Object dicts carry at least ``id`` and ``name``.
    """

    # -- rows (the RowSink part) ----------------------------------------------

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Accepts rows (each naming its object by ``_parent``); never raises for bad rows."""

    def flush(self, timeout: float | None = None) -> bool:
        """Delivers what was accepted; False when not done in time."""

    def shutdown(self) -> None:
        """Flushes and releases resources."""

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Stores an attachment's bytes under its reference's key."""

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Reads an attachment's bytes back."""

    # -- identity -------------------------------------------------------------

    def object_ids(self, parent: str) -> dict[str, str]:
        """The object ids a parent string names (``{"experiment_id": ...}``, or
        ``{"project_id": ..., "log_id": "g"}``), registering what must be."""

    def ensure_project(self, name: str | None = None, id: str | None = None,
                       group: str | None = None) -> dict[str, str]:
        """The project with this id (wins) or name, created when missing (in the project
        group ``group``, where the backend has groups): ``{"id", "name"}``."""

    def cached_project_id(self, name: str) -> Optional[str]:
        """A project's id by name when it is known without a network call, else None."""

    def link_defaults(self) -> tuple[Optional[str], Optional[str]]:
        """``(org_name, app_url)`` for links, when logged in; else ``(None, None)``."""

    # -- experiments ----------------------------------------------------------

    def register_experiment(self, project: Optional[str], project_id: Optional[str],
                            name: Optional[str], info: dict[str, Any], update: bool
                            ) -> tuple[dict[str, str], dict[str, Any]]:
        """Registers an experiment (or with ``update`` reopens the one named ``name``).

        Returns:
            ``(project, experiment)``. An experiment registered while the
            service was unreachable carries ``"offline": True`` and a local id.
        """

    def find_experiment(self, project_id: str, id: Optional[str] = None,
                        name: Optional[str] = None) -> Optional[dict[str, Any]]:
        """The experiment with this id, or with this name in the project; None if absent."""

    def list_experiments(self, project_id: str) -> list[dict[str, Any]]:
        """A project's experiments, oldest first."""

    # -- datasets -------------------------------------------------------------

    def register_dataset(self, project: Optional[str], project_id: Optional[str], name: str,
                         info: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """Opens (creating when missing) a dataset: ``(project, dataset)``."""

    def dataset_version(self, dataset_id: str) -> Optional[str]:
        """The dataset's current version (its latest transaction id), or None when empty."""

    def find_dataset(self, dataset_id: str
                     ) -> Optional[tuple[dict[str, str], dict[str, Any]]]:
        """The dataset with this id and its project, ``(project, dataset)``; None if absent."""

    # -- reading rows ---------------------------------------------------------

    def rows(self, object_type: str, object_id: str,
             version: Optional[str] = None) -> list[dict[str, Any]]:
        """Every row of an experiment or dataset (as of ``version``), one per id, in
        order of each row's last write (``_xact_id``), oldest first."""

    # -- prompts and functions -----------------------------------------------

    def find_prompt(self, project: Optional[str] = None, project_id: Optional[str] = None,
                    slug: Optional[str] = None, id: Optional[str] = None,
                    version: Optional[str] = None, environment: Optional[str] = None
                    ) -> Optional[dict[str, Any]]:
        """A saved prompt (the given version, else the latest), or None.

        Raises:
            NotFound: When the named project does not exist.
        """

    def find_function(self, project: Optional[str] = None, project_id: Optional[str] = None,
                      slug: Optional[str] = None, id: Optional[str] = None,
                      version: Optional[str] = None, environment: Optional[str] = None
                      ) -> Optional[dict[str, Any]]:
        """A saved function of any type (prompt, tool, scorer, parameters...), the
        given version else the latest, or None; the caller checks its
        ``function_data.type``.

        Raises:
            NotFound: When the named project does not exist.
        """

    def prompt_versions(self, project_id: str, prompt_id: str) -> list[str]:
        """Every saved version of a prompt, oldest first, as ``find_prompt(version=)``
        accepts them."""

    def save_prompt(self, project_id: str, slug: str, data: dict[str, Any],
                    if_exists: str = "replace") -> dict[str, Any]:
        """Saves a prompt version; ``if_exists`` is ``replace``, ``ignore`` or ``error``.

        Raises:
            ValueError: When it exists and ``if_exists`` is ``error``, or saving failed.
        """

    def invoke(self, request: Callable[[], dict[str, Any]], *,
               project_id: Optional[str] = None, org_name: Optional[str] = None) -> Any:
        """Runs a function where the backend runs functions.

        Args:
            request: Builds the invoke request body (``input``, ``slug``,
                ``parent``, ``stream``...); called only when the backend runs it.
            project_id, org_name: Sent alongside, when given.

        Returns:
            The JSON answer, or when the body asks for ``stream`` an iterator
            of the answer's server-sent-event lines.

        Raises:
            NotImplementedError: When this backend runs no functions (the
                caller runs them in process).
            NotFound: When no such function exists.
            FunctionError: When running it failed.
        """

    def save_functions(self, definitions: list[dict[str, Any]]) -> Any:
        """Saves function definitions (prompts, tools, scorers; each with ``project_id``,
        ``slug``, ``function_data``, ``if_exists``...).

        Returns:
            The backend's answer (``{"functions": [...]}`` from the store).

        Raises:
            ValueError: When a slug exists and says ``if_exists="error"``, or
                the backend refuses.
        """

    def upload_bundle(self, make_bundle: Callable[[], bytes],
                      runtime_context: dict[str, Any]) -> Optional[str]:
        """Uploads a code bundle (a zip built by ``make_bundle``) for code functions.

        Returns:
            The bundle id, or None when the backend runs code from its files
            where they are (``make_bundle`` is then not called).
        """

    def list_sandbox_evals(self, request: dict[str, Any],
                           org_name: Optional[str] = None) -> dict[str, Any]:
        """The evals a sandbox snapshot defines (eval name -> evaluator definition),
        where the backend runs sandboxes.

        Args:
            request: ``sandbox_spec``, ``runtime_context``, ``entrypoints``,
                ``project_id``.
            org_name: Sent alongside, when given.

        Raises:
            NotImplementedError: The backend runs no sandboxes (the store).
            RuntimeError: The backend refused.
        """


class SinkRows:
    """What every backend does the same way: rows, flush, shutdown and
    attachments handed straight to its sink. Backends add the object operations.

    Args:
        sink: The sink rows go to.
    """

    sink: Any

    def __init__(self, sink: Any) -> None:
        self.sink = sink

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Hands rows to the sink (which may buffer or spool them)."""
        self.sink.write(rows)

    def flush(self, timeout: float | None = None) -> bool:
        """Delivers what the sink holds; False when it could not in time."""
        return bool(self.sink.flush(timeout))

    def shutdown(self) -> None:
        """Flushes and stops the sink."""
        self.sink.shutdown()

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Stores an attachment's bytes where the sink keeps them."""
        self.sink.upload_attachment(reference, data)

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Reads an attachment's bytes back through the sink."""
        return bytes(self.sink.read_attachment(reference))


class RowsOnlyBackend(SinkRows):
    """The backend of a sink that keeps no objects (a user's own ``RowSink``).

    Rows go to the sink; objects have no ids there, lookups find nothing,
    and operations that need stored objects raise ``RuntimeError``.
    """

    def upload_attachment(self, reference: dict[str, Any], data: bytes) -> None:
        """Passes the upload on when the sink takes attachments."""
        self._need("upload_attachment")(reference, data)

    def read_attachment(self, reference: dict[str, Any]) -> bytes:
        """Reads through the sink when it keeps attachments."""
        return bytes(self._need("read_attachment")(reference))

    def _need(self, name: str) -> Any:
        method = getattr(self.sink, name, None)
        if method is None:
            raise RuntimeError(f"the sink {type(self.sink).__name__} keeps no attachments")
        return method

    def _unsupported(self, what: str) -> RuntimeError:
        return RuntimeError(f"the sink {type(self.sink).__name__} keeps no objects: "
                            f"cannot {what}")

    def object_ids(self, parent: str) -> dict[str, str]:
        """No ids: the sink resolves ``_parent`` itself."""
        return {}

    def ensure_project(self, name: str | None = None, id: str | None = None,
                       group: str | None = None) -> dict[str, str]:
        """The project as named; its id is unknown ("") unless given."""
        return {"id": id or "", "name": name or ""}

    def cached_project_id(self, name: str) -> Optional[str]:
        """Never known."""
        return None

    def link_defaults(self) -> tuple[Optional[str], Optional[str]]:
        """No login."""
        return None, None

    def register_experiment(self, project: Optional[str], project_id: Optional[str],
                            name: Optional[str], info: dict[str, Any], update: bool
                            ) -> tuple[dict[str, str], dict[str, Any]]:
        """Unsupported."""
        raise self._unsupported("register an experiment")

    def find_experiment(self, project_id: str, id: Optional[str] = None,
                        name: Optional[str] = None) -> Optional[dict[str, Any]]:
        """Nothing is stored: None."""
        return None

    def list_experiments(self, project_id: str) -> list[dict[str, Any]]:
        """Nothing is stored: empty."""
        return []

    def register_dataset(self, project: Optional[str], project_id: Optional[str], name: str,
                         info: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """Unsupported."""
        raise self._unsupported("open a dataset")

    def dataset_version(self, dataset_id: str) -> Optional[str]:
        """Unsupported."""
        raise self._unsupported("read a dataset")

    def find_dataset(self, dataset_id: str
                     ) -> Optional[tuple[dict[str, str], dict[str, Any]]]:
        """Unsupported."""
        raise self._unsupported("open a dataset by id")

    def rows(self, object_type: str, object_id: str,
             version: Optional[str] = None) -> list[dict[str, Any]]:
        """Unsupported."""
        raise self._unsupported(f"read the rows of {object_type} {object_id}")

    def find_prompt(self, project: Optional[str] = None, project_id: Optional[str] = None,
                    slug: Optional[str] = None, id: Optional[str] = None,
                    version: Optional[str] = None, environment: Optional[str] = None
                    ) -> Optional[dict[str, Any]]:
        """Nothing is stored: None."""
        return None

    def find_function(self, project: Optional[str] = None, project_id: Optional[str] = None,
                      slug: Optional[str] = None, id: Optional[str] = None,
                      version: Optional[str] = None, environment: Optional[str] = None
                      ) -> Optional[dict[str, Any]]:
        """Nothing is stored: None."""
        return None

    def prompt_versions(self, project_id: str, prompt_id: str) -> list[str]:
        """None: a rows-only sink keeps no prompts."""
        return []

    def save_prompt(self, project_id: str, slug: str, data: dict[str, Any],
                    if_exists: str = "replace") -> dict[str, Any]:
        """Unsupported."""
        raise self._unsupported("save a prompt")

    def invoke(self, request: Callable[[], dict[str, Any]], *,
               project_id: Optional[str] = None, org_name: Optional[str] = None) -> Any:
        """Functions run in process."""
        raise NotImplementedError("functions run in process")

    def save_functions(self, definitions: list[dict[str, Any]]) -> Any:
        """Unsupported."""
        raise self._unsupported("save functions")

    def upload_bundle(self, make_bundle: Callable[[], bytes],
                      runtime_context: dict[str, Any]) -> Optional[str]:
        """No bundles: code runs from its files."""
        return None

    def list_sandbox_evals(self, request: dict[str, Any],
                           org_name: Optional[str] = None) -> dict[str, Any]:
        """No sandboxes: they run on the service."""
        raise NotImplementedError("sandboxes run on the Braintrust service")


def backend_for(sink: Any) -> Backend:
    """The backend over ``sink``: the sink itself when it is a backend already,
    the store's or the REST API's for our own sinks (and their subclasses), else
    a :class:`RowsOnlyBackend`."""
    if isinstance(sink, Backend):
        return sink
    from ..sinks.local import LocalSink

    if isinstance(sink, LocalSink):
        from .local import LocalBackend

        return LocalBackend(sink)
    # Looked up, not imported: a process with no HTTP sink never imports requests.
    http = sys.modules.get("braintrust_otel.sinks.http")
    if http is not None and isinstance(sink, http.HttpSink):
        from .rest import RestBackend

        return RestBackend(sink)
    return RowsOnlyBackend(sink)
