"""The starlette application: the REST subset the Braintrust SDKs use, OTLP ingest and
the web UI, assembled from one router module per area."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from braintrust_otel.store import Store

from ._attachments import attachment_routes
from ._auth import RequireToken
from ._btql import btql_routes
from ._bundles import bundle_routes
from ._compare import compare_routes
from ._extras import extra_routes
from ._function_list import function_list_routes
from ._guard import Guard
from ._http import HTTPError, error
from ._ingest import ingest_routes
from ._invoke import invoke_routes
from ._objects import PAYLOAD_LIMIT, object_routes
from ._prompts import prompt_routes
from ._uploads import UploadSpool

__all__ = ["PAYLOAD_LIMIT", "create_app"]


async def _on_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPError)
    return error(exc.status, exc.message, exc.headers)


async def _on_database_failure(request: Request, exc: Exception) -> Response:
    # The database, not the request, failed (PostgreSQL away or restarting, SQLite
    # busy past its timeout, a full disk): nothing was stored, and the client
    # should send the same request again (the SDKs retry a 503).
    return error(503, f"the database failed ({type(exc).__name__}: {str(exc)[:200]}); "
                 "nothing was stored: retry", {"Retry-After": "2"})


def _database_failures() -> dict[Any, Any]:
    failures: list[type[Exception]] = [sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:  # no PostgreSQL support installed: only SQLite's
        pass
    else:
        failures.append(psycopg.OperationalError)
    return {cls: _on_database_failure for cls in failures}


def create_app(store: Store, token: Optional[str] = None, *, public_hosts: Iterable[str] = (),
               upload_dir: Optional[Path] = None, upload_ttl: float = 600.0,
               upload_max_bytes: int = 512 * 1024 * 1024) -> Starlette:
    """The server's application over ``store``.

    Args:
        store: The embedded store it reads and writes.
        token: When set, every request needs ``Authorization: Bearer <token>``.
        public_hosts: Host names it answers to besides loopback names and IP addresses
            (any other ``Host`` is refused: a DNS rebinding guard).
        upload_dir: Where overflow uploads wait for their claim (a temporary folder if None).
        upload_ttl: Seconds an unclaimed overflow upload is kept.
        upload_max_bytes: Bytes of unclaimed overflow uploads kept at once.
    """
    from ._ui import ui_routes

    uploads = UploadSpool(upload_dir, ttl=upload_ttl, max_bytes=upload_max_bytes)
    routes = [
        *object_routes(store),
        *ingest_routes(store, uploads, token),
        *prompt_routes(store),
        *attachment_routes(store, token),
        *compare_routes(store),
        *btql_routes(store),
        *invoke_routes(store),
        *extra_routes(store),
        *bundle_routes(store, token),
        *function_list_routes(store),
        *ui_routes(store),
    ]
    middleware = [Middleware(Guard, public_hosts=tuple(public_hosts))]
    if token is not None:
        middleware.append(Middleware(RequireToken, token=token))
    return Starlette(routes=routes, middleware=middleware,
                     exception_handlers={HTTPError: _on_error, **_database_failures()})
