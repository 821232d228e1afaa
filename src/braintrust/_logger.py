"""init_logger, Logger, current_logger and flush."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar

from braintrust_otel.parent import format_parent

from . import _logs, _state
from ._checks import _event, check_text
from ._environment import current_environment
from ._slugs import PROJECT_LOGS, SpanRef, encode_slug
from ._span_object import Span
from ._span_target import SpanTarget

__all__ = ["Logger", "current_logger", "flush", "init_logger", "login"]

GLOBAL_PROJECT = "Global"

F = TypeVar("F", bound=Callable[..., Any])


class Logger(_logs.LogRecords, SpanTarget):
    """Logs traces to a project. Create it with :func:`init_logger`."""

    def __init__(
        self,
        project: str | None,
        project_id: str | None,
        async_flush: bool = True,
        api_key: str | None = None,
        app_url: str | None = None,
        org_name: str | None = None,
    ) -> None:
        super().__init__(
            format_parent("project_id", project_id)
            if project_id is not None
            else format_parent("project_name", project or GLOBAL_PROJECT)
        )
        self._project_name = project if project_id is None else None
        self._project_id = project_id
        self.async_flush = async_flush
        self._api_key = api_key
        self.app_url = app_url
        self.org_name = org_name
        self._log_trace_id = uuid.uuid4().hex

    @property
    def project(self) -> dict[str, str]:
        """The project as ``{"id", "name"}`` (registered if new; may need the network)."""
        if self._project_id is None:
            return _state.backend().ensure_project(name=self._project_name or GLOBAL_PROJECT)
        return _state.backend().ensure_project(name=self._project_name, id=self._project_id)

    @property
    def id(self) -> str:
        """The project id."""
        return self.project["id"]

    @property
    def org_id(self) -> str:
        """The id of the organization logged in to (empty with the embedded store)."""
        return _state.org_id() or ""

    def export(self) -> str:
        """Returns a slug naming this project's logs, usable as ``parent=``."""
        project_id = self._project_id or _state.resolve_project_id(
            self._project_name or GLOBAL_PROJECT
        )
        args = None if project_id else {"project_name": self._project_name, "project_id": None}
        return encode_slug(SpanRef(PROJECT_LOGS, object_id=project_id,
                                   compute_object_metadata_args=args))

    def start_span(  # type: ignore[override]  # the official list: span ids before internal
        self,
        name: str | None = None,
        type: str | None = None,
        span_attributes: Mapping[str, Any] | None = None,
        start_time: float | None = None,
        set_current: bool | None = None,
        parent: str | Mapping[str, str] | None = None,
        propagated_event: Mapping[str, Any] | None = None,
        span_id: str | None = None,
        root_span_id: str | None = None,
        internal: Mapping[str, Any] | None = None,
        *,
        event: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Span:
        """Starts a span in this project: a child of the current span when that span
        belongs here too, else the root of a new trace.

        Arguments are as for :func:`braintrust.start_span`, plus:

        Args:
            span_id: The row's ``span_id`` (any string) instead of the OTel span id.
            root_span_id: The row's ``root_span_id`` when this span starts a trace
                (below a parent the trace's root wins, as in the official SDK).

        Chosen ids go on the row (and children started through this SDK name them
        as parent and root); the OTel span keeps ids of OTel's making, since OTel
        ids are numbers a chosen string need not be.

        Returns:
            A :class:`Span`.
        """
        return self._start_here(name, type, span_attributes, start_time, set_current, parent,
                                _event(event, fields), propagated_event, internal,
                                span_id=span_id, root_span_id=root_span_id)

    def __repr__(self) -> str:
        return f"<braintrust.Logger {self._parent}>"


def _check_optional_str(value: Any, arg: str) -> None:
    check_text(value, arg, "init_logger()")


def init_logger(
    project: str | None = None,
    project_id: str | None = None,
    async_flush: bool = True,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    force_login: bool = False,
    set_current: bool = True,
    state: Any = None,
    environment: Mapping[str, str] | None = None,
) -> Logger:
    """Creates a logger that records traces in a project.

    With an API key (``api_key`` or ``BRAINTRUST_API_KEY``) rows go to the
    Braintrust service; login happens in the background on first delivery
    (call :func:`braintrust.login` to log in at once and see errors). Without
    one, rows go to the embedded local store; view them with ``braintrust logs``.

    Args:
        project: The project name; the ``Global`` project when neither this
            nor ``project_id`` is given.
        project_id: The project id; wins over ``project``.
        async_flush: When False, every span is delivered as it ends.
        app_url: The Braintrust app URL (links and login).
        api_key: The Braintrust API key.
        org_name: The organization, when the key belongs to several.
        force_login: Log in now, synchronously, even if already logged in.
        set_current: Make this the current logger, used by :func:`traced`
            and :func:`start_span` when no span is active.
        state: The official SDK's internal login state; there is one state
            here, so it is accepted and ignored.
        environment: Where the code runs, ``{"type": ..., "name": ...}``
            (``{"type": "ci", "name": "github_actions"}``): recorded as
            ``context.span_origin.environment`` on every span started
            afterwards, in any logger (as the official SDK, a process-wide
            setting that each ``init_logger`` call replaces). By default it is
            detected from environment variables, as the official SDK does:
            ``BRAINTRUST_ENVIRONMENT_TYPE``/``_NAME``, then CI systems
            (``GITHUB_ACTIONS``, ``CI``, ...), hosting platforms (``VERCEL``,
            ``AWS_LAMBDA_FUNCTION_NAME``, ``KUBERNETES_SERVICE_HOST``, ...),
            then ``PYTHON_ENV``.

    Returns:
        The :class:`Logger`.

    Raises:
        TypeError: When an argument has the wrong type.
    """
    for arg, value in (("project", project), ("project_id", project_id), ("app_url", app_url),
                       ("api_key", api_key), ("org_name", org_name)):
        _check_optional_str(value, arg)
    if project == "" or project_id == "":
        raise ValueError("init_logger(): project and project_id must not be empty strings")
    if environment is not None and not (
            isinstance(environment, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items())):
        raise TypeError("init_logger(): environment must be a dict of str "
                        "(\"type\", \"name\")")
    logger = Logger(project, project_id, async_flush=async_flush, api_key=api_key,
                    app_url=app_url, org_name=org_name)
    _connect(api_key, app_url, org_name, force_login)
    _state.span_environment = (dict(environment) if environment
                               else current_environment())
    if not async_flush:
        _state.sync_parents.add(logger.parent)
    if set_current:
        _state.current_logger = logger
    return logger


def _connect(api_key: str | None, app_url: str | None, org_name: str | None,
             force_login: bool) -> None:
    # Installs the pipeline now (not inside the first span).
    _state.connect(api_key, app_url, org_name, force_login)


def login(
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
    force_login: bool = False,
) -> None:
    """Logs in to Braintrust now; from then on rows go to the Braintrust service.

    Arguments win over ``BRAINTRUST_API_KEY``, ``BRAINTRUST_APP_URL`` and
    ``BRAINTRUST_ORG_NAME``; the data API URL comes from the login answer
    unless ``BRAINTRUST_API_URL`` is set. Without an API key (no argument, no
    ``BRAINTRUST_API_KEY``) it does nothing: rows stay in the embedded store.

    Args:
        app_url: The app URL (``https://www.braintrust.dev`` by default).
        api_key: The Braintrust API key.
        org_name: The organization to use when the key belongs to several.
        force_login: Log in again even if this process already did.

    Raises:
        braintrust.LoginError: When the key is rejected, the organization is
            unknown, or the app cannot be reached. The message never contains
            the key.
    """
    for arg, value in (("app_url", app_url), ("api_key", api_key), ("org_name", org_name)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"login(): {arg} must be a str, got {type(value).__name__}")
    _state.login(api_key, app_url, org_name, force_login)


def current_logger() -> Optional[Logger]:
    """Returns the current logger (the last one made with ``set_current=True``), or None."""
    return _state.current_logger


def flush(timeout: float = 30.0) -> bool:
    """Delivers every finished span of this process and waits until it is stored.

    Args:
        timeout: Seconds to wait at most.

    Returns:
        True when everything was handed on in time and no row was dropped
        (see ``braintrust_otel.diagnostics``) since the previous ``flush()``.
    """
    return _state.flush(timeout)
