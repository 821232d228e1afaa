"""Process-wide facade state: the tracer, the processor, the current logger, and the
one backend every object operation goes through (this module is the composition root)."""

from __future__ import annotations

import atexit
import contextvars
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any, Optional, Protocol

from opentelemetry import trace

from braintrust_otel import BraintrustSpanProcessor, attachments, diagnostics, ensure_installed
from braintrust_otel import attributes as A
from braintrust_otel._version import VERSION
from braintrust_otel.backends import Backend, backend_for
from braintrust_otel.exporter import BraintrustSpanExporter
from braintrust_otel.settings import get_settings

from ._environment import current_environment

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from braintrust_otel.api import ApiConnection
    from braintrust_otel.sinks import RowSink

    from ._experiment import Experiment
    from ._logger import Logger

TRACER_NAME = A.FACADE_SCOPE

_lock = threading.Lock()
_tracer: Optional[trace.Tracer] = None
_processor: Optional[BraintrustSpanProcessor] = None
current_logger: Optional[Logger] = None
#: The experiment ``init()`` made current; spans with no other parent go there first.
current_experiment: Optional[Experiment] = None
#: ``init_logger(environment=)``, else detected from the environment variables (as the
#: official SDK): recorded on every span as ``context.span_origin.environment``.
span_environment: Optional[dict[str, str]] = current_environment()
#: The parent slug ``parent_context()`` set for spans started with no current span.
current_parent: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar(
    "braintrust_current_parent", default=None)

#: Parents of loggers made with ``async_flush=False``: their spans flush on end.
sync_parents: set[str | None] = set()


class Buffered(Protocol):
    """An object holding rows it has not written yet (a dataset's pending inserts)."""

    def flush(self) -> None:
        """Writes the held rows."""


#: Objects with unwritten rows; held strongly so their rows are written at exit.
buffered: set[Buffered] = set()


def _default_parent() -> str | None:
    target = current_experiment or current_logger
    return target.parent if target is not None else None


def tracer() -> trace.Tracer:
    """The tracer every facade span comes from; installs the pipeline on first use."""
    global _tracer, _processor
    found = _tracer
    if found is not None:
        return found
    with _lock:
        if _tracer is None:
            provider, _processor = ensure_installed(default_parent=_default_parent)
            _tracer = provider.get_tracer(TRACER_NAME, VERSION)
            _install_sigterm_flush()
            # Registered after the processor's exit hook, so it runs first.
            atexit.register(flush_at_exit)
            attachments.set_target(backend)
        return _tracer


def processor() -> BraintrustSpanProcessor:
    """The Braintrust processor on the active provider."""
    tracer()
    assert _processor is not None
    return _processor


def exporter() -> BraintrustSpanExporter:
    """The Braintrust exporter behind the processor."""
    exp: Any = processor().exporter
    if not isinstance(exp, BraintrustSpanExporter):
        raise RuntimeError("the Braintrust processor is not using a BraintrustSpanExporter")
    return exp


#: ``diagnostics.dropped()`` when :func:`flush` last returned.
_drops_seen = 0


#: Flushes of rows the facade holds back to write in batches (log records).
pending_rows: list[Callable[[], None]] = []


def deliver(timeout: float = 30.0) -> bool:
    """Delivers every finished span, held row and queued attachment; False if not
    done in time."""
    for flush_rows in pending_rows:
        try:
            flush_rows()
        except Exception as exc:
            diagnostics.report("dropped", "could not write held rows", exc)
    if _processor is None:
        return True
    done = _processor.force_flush(int(timeout * 1000))
    return attachments.flush(timeout) and done


def flush(timeout: float = 30.0) -> bool:
    """``braintrust.flush()``: :func:`deliver`, then whether anything was lost.

    Returns:
        False if delivery did not finish in time, or if any row was dropped
        (counted by diagnostics) since the previous call.
    """
    global _drops_seen
    done = deliver(timeout)
    drops = diagnostics.dropped()
    lost, _drops_seen = drops != _drops_seen, drops
    return done and not lost


def exit_budget() -> float:
    """``BRAINTRUST_EXIT_FLUSH_SECONDS`` (10): how long exit may spend delivering."""
    return get_settings().exit_flush_seconds


def flush_at_exit(budget: float | None = None) -> bool:
    """Writes every buffered object's rows, then delivers spans and attachments.

    Runs at exit and on SIGTERM; the whole of it fits in ``budget`` seconds
    (:func:`exit_budget` by default) as far as the sink allows (the HTTP
    sink, in exit mode, sends each request once within what is left).

    Returns:
        True when everything was delivered in time.
    """
    import time

    deadline = time.monotonic() + (exit_budget() if budget is None else budget)
    # Exit mode first (SIGTERM comes here without the sink's own atexit hook):
    # what cannot be sent in time is spooled rather than left in memory.
    sink = getattr(_processor.exporter, "_sink", None) if _processor is not None else None
    getattr(sink, "_start_closing", lambda: None)()
    done = True
    for obj in list(buffered):
        try:
            obj.flush()
        except Exception as exc:
            done = False
            diagnostics.report("dropped", "could not write buffered rows at exit", exc)
    if _processor is not None:
        done = deliver(max(0.0, deadline - time.monotonic())) and done
    left = attachments.pending()
    if left:
        # Their bytes live only in this process: past the budget they are lost.
        diagnostics.report("attachment", f"{left} attachment uploads did not finish within "
                           "the exit budget (BRAINTRUST_EXIT_FLUSH_SECONDS)", n=left)
    return done


def write_rows(rows: list[dict[str, Any]], after_spans: bool = True) -> None:
    """Writes rows that are not spans straight to the backend.

    Args:
        rows: The rows.
        after_spans: Deliver the finished spans first, for rows that must land
            after them (merges into a span's row); log records need not wait.
    """
    try:
        if after_spans:
            deliver()
        backend().write(rows)
    except Exception as exc:
        diagnostics.report("dropped", f"could not write {len(rows)} rows", exc, n=len(rows))



def sink_for(key: str | None, key_given: bool, api_url: str | None = None,
             headers: Mapping[str, str] | None = None) -> RowSink | None:
    """A sink of its own for a standalone processor (``braintrust.otel``), or None to
    let the exporter choose from the environment.

    Args:
        key: The API key in force (argument, else environment), or None.
        key_given: Whether the caller passed ``api_key`` itself.
        api_url, headers: Where the service is, and extra request headers.
    """
    if key is None:
        if not key_given:
            return None
        from braintrust_otel.sinks.local import LocalSink

        return LocalSink()
    if not key_given and api_url is None and not headers:
        return None
    from braintrust_otel.api import ApiConnection
    from braintrust_otel.sinks.http import HttpSink

    return HttpSink(ApiConnection(api_key=key, api_url=api_url, headers=dict(headers or {})))


def backend() -> Backend:
    """The backend behind the installed sink: every object operation of the facade
    goes through it, whichever kind it is (embedded store, REST API, a user's sink)."""
    global _backend
    sink = exporter().sink
    found = _backend
    if found is None or found[0] is not sink:
        found = _backend = (sink, backend_for(sink))
    return found[1]


#: ``(sink, its backend)``: rebuilt when someone installs another sink.
_backend: Optional[tuple[Any, Backend]] = None


def _api_connection() -> ApiConnection | None:
    # The composition root is the one place that knows sinks by type.
    http = sys.modules.get("braintrust_otel.sinks.http")  # never imported: no HTTP sink
    sink = exporter().sink
    return sink.conn if http is not None and isinstance(sink, http.HttpSink) else None


def use_api(conn: ApiConnection) -> None:
    """Sends every row from now on to the Braintrust API through ``conn``."""
    from braintrust_otel.sinks.http import HttpSink

    deliver()
    exp = exporter()
    old = exp._sink
    exp.sink = HttpSink(conn)
    if old is not None:
        old.shutdown()


def connect(api_key: str | None, app_url: str | None, org_name: str | None,
            force_login: bool) -> None:
    """Installs the pipeline; explicit connection arguments switch it to the API.

    Without them the environment decides (``BRAINTRUST_API_KEY``) when the sink
    is first used.
    """
    tracer()
    conn = _api_connection()
    if api_key is not None or (conn is None and (app_url or org_name)
                               and get_settings().api_key):
        from braintrust_otel.api import ApiConnection

        conn = ApiConnection(api_key=api_key, app_url=app_url, org_name=org_name)
        use_api(conn)
    if force_login and conn is not None:
        conn.login(force=True)


def login(api_key: str | None, app_url: str | None, org_name: str | None,
          force_login: bool) -> None:
    """Logs in now (the current connection when no argument is given) and
    sends rows to the API from then on; without any API key, does nothing.

    Raises:
        LoginError: When the key is rejected, the organization is unknown, or
            the app cannot be reached.
    """
    conn = _api_connection()
    if conn is None and api_key is None and not get_settings().api_key:
        tracer()  # no key: the embedded store is the backend
        return
    same = conn is not None and api_key is None and app_url is None and org_name is None
    if not same:
        from braintrust_otel.api import ApiConnection

        conn = ApiConnection(api_key=api_key, app_url=app_url, org_name=org_name)
    assert conn is not None
    conn.login(force=force_login)
    if not same:
        use_api(conn)


def resolve_project_id(name: str) -> str | None:
    """The id of a project by name, when it can be known without a network call."""
    try:
        return backend().cached_project_id(name)
    except Exception:
        return None


def org_id() -> str | None:
    """The logged-in organization's id (logging in if needed), or None without the service."""
    conn = _api_connection()
    if conn is None:
        return None
    conn.login()
    return conn.org_id


def link_defaults() -> tuple[str | None, str | None]:
    """``(org_name, app_url)`` for links: from the login when there is one."""
    return backend().link_defaults()


def _install_sigterm_flush() -> None:
    # Only when the application has no handler of its own, and only from the
    # main thread (signal handlers cannot be set elsewhere).
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None):
            return

        def on_sigterm(signum: int, frame: Any) -> None:
            try:
                flush_at_exit()
            finally:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.kill(os.getpid(), signal.SIGTERM)

        signal.signal(signal.SIGTERM, on_sigterm)
    except (ValueError, OSError, AttributeError):
        pass


class LoggingState:
    """What ``logger.logging_state`` (and the same member of experiments and datasets)
    returns: a view of this process's one logging state.

    The official SDK returns its internal ``BraintrustState`` there, and code passes
    it on as ``state=`` (``init_logger(state=...)``, ``start_span(state=...)``).
    Here every such ``state`` argument is accepted and ignored, since a process has
    one state; this object makes that round trip work and answers the questions
    code asks of it.
    """

    @property
    def org_id(self) -> str | None:
        """The logged-in organization's id (logging in if needed); None with the store."""
        return org_id()

    @property
    def org_name(self) -> str | None:
        """The organization links name (the logged-in one), or None."""
        return link_defaults()[0]

    @property
    def app_url(self) -> str | None:
        """The app URL links use: the service's when logged in, else None."""
        return link_defaults()[1]

    @property
    def logged_in(self) -> bool:
        """Whether rows go to the Braintrust service (an API connection is installed)."""
        return _api_connection() is not None

    def login(self, app_url: str | None = None, api_key: str | None = None,
              org_name: str | None = None, force_login: bool = False) -> None:
        """Logs in now, as :func:`braintrust.login`."""
        login(api_key, app_url, org_name, force_login)

    def flush(self) -> None:
        """Delivers every finished span and row of this process."""
        deliver()

    def __repr__(self) -> str:
        return "<braintrust LoggingState (one per process)>"


#: The one state object; ``logging_state`` members return it.
STATE = LoggingState()


class StateHolder:
    """Gives the official SDK's ``logging_state`` member to loggers, experiments and datasets."""

    @property
    def logging_state(self) -> LoggingState:
        """This process's logging state (see :class:`LoggingState`); pass it on as
        ``state=`` where the official SDK takes one."""
        return STATE
