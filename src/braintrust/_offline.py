"""Going on offline when the Braintrust service cannot be reached.

``init``, ``init_dataset`` and ``Eval`` register objects with the service.
When it does not answer (a refused connection, a timeout, a transient
status), the object gets a local id and the program runs on: its rows wait
in the spool, and the registration is made by whichever process first
delivers them. A rejected key or an unknown organization still raises.
"""

from __future__ import annotations

from typing import Any

from braintrust_otel import diagnostics
from braintrust_otel.api import ServiceUnreachableError

from . import _state


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the service did not answer (as opposed to refusing)."""
    import requests

    return isinstance(exc, (ServiceUnreachableError, requests.ConnectionError,
                            requests.Timeout))


def defer(kind: str, project: str | None, project_id: str | None, body: dict[str, Any],
          exc: BaseException) -> str:
    """Records a registration to make later and returns the object's local id.

    Args:
        kind: ``experiment_id`` or ``dataset_id``.
        project, project_id: The project (the id wins).
        body: The registration request body, without ``project_id``.
        exc: Why the service could not be reached (for the warning).
    """
    from braintrust_otel.sinks.http import HttpSink

    sink = _state.exporter().sink
    assert isinstance(sink, HttpSink)
    local_id = sink.deferred.add(kind, project, project_id, body)
    what = kind.split("_")[0]
    diagnostics.report(
        "service_down",
        f"could not reach the Braintrust service ({exc}); {what} {body.get('name')!r} "
        f"goes on offline: its rows wait in {sink.spool.directory} and are sent, with the "
        f"{what} registered, when the service answers (or by a later run)")
    return local_id


def service_id(kind: str, object_id: str) -> str:
    """The service's id for an object that may have been created offline."""
    from braintrust_otel.sinks.http import HttpSink

    sink = _state.exporter().sink
    if isinstance(sink, HttpSink):
        return sink.deferred.resolve(sink.conn, kind, object_id)
    return object_id
