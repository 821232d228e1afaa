"""The Braintrust REST API backend: objects through ``/v1/...``, rows through the HTTP sink.

Delivery (login, ``/logs3`` batching, overflow, retries, spool, replay,
signed-URL attachment uploads) stays in :class:`~braintrust_otel.sinks.http.HttpSink`
and :class:`~braintrust_otel.api.ApiConnection`; this module is the object
operations. Registering an experiment or a dataset while the service does
not answer defers it (:mod:`braintrust_otel.deferred`): the object gets a
local id, and every read or row resolves that id to the service's through
:meth:`RestBackend.object_ids`, the same resolver the sink uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

import requests

from .. import diagnostics
from ..api import ApiConnection, ServiceUnreachableError
from ..api_errors import (
    http_error,
    json_answer,
    transport_error,
)
from ..parent import format_parent
from ..serialize import dumps
from ..settings import get_settings
from . import FunctionError, NotFound, SinkRows
from ._prompt_cache import _cache_key, _cached, _keep, _prompt_cache_dir

if TYPE_CHECKING:
    from ..sinks.http import HttpSink

__all__ = ["RestBackend", "is_unreachable"]

GLOBAL_PROJECT = "Global"


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the service did not answer (as opposed to refusing)."""
    return isinstance(exc, (ServiceUnreachableError, requests.ConnectionError,
                            requests.Timeout))


#: How long a read waits for this process's own writes to reach the service.
_READ_AFTER_WRITE_SECONDS = 10.0

class RestBackend(SinkRows):
    """Objects on the Braintrust service, rows through an :class:`HttpSink`.

    Args:
        sink: The HTTP sink (its connection, spool and deferred registrations
            are used as they are).
    """

    sink: HttpSink

    @property
    def conn(self) -> ApiConnection:
        """The API connection."""
        return self.sink.conn

    def __repr__(self) -> str:
        return f"<RestBackend {self.conn!r}>"

    # -- identity ---------------------------------------------------------------

    def object_ids(self, parent: str) -> dict[str, str]:
        """The service's ids for a parent; a deferred object is registered now."""
        return dict(self.sink.object_ids(parent))

    def _service_id(self, kind: str, object_id: str) -> str:
        return self.object_ids(format_parent(kind, object_id))[kind]

    def ensure_project(self, name: str | None = None, id: str | None = None,
                       group: str | None = None) -> dict[str, str]:
        """The given id as is; a name is registered (once per process, in ``group``)."""
        if id is not None:
            return {"id": id, "name": name or ""}
        name = name or GLOBAL_PROJECT
        return {"id": self.conn.project_id(name, group), "name": name}

    def cached_project_id(self, name: str) -> Optional[str]:
        """Known once registered in this process."""
        return self.conn.cached_project_id(name)

    def link_defaults(self) -> tuple[Optional[str], Optional[str]]:
        """The organization and app URL of the login, once logged in."""
        if not self.conn.logged_in:
            return None, None
        return self.conn.org_name, self.conn.app_url

    # -- registration -----------------------------------------------------------

    def _register(self, kind: str, project: Optional[str], project_id: Optional[str],
                  body: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        # kind is "experiment" or "dataset"; body is the request without project_id.
        try:
            pid = project_id or self.conn.project_id(project or GLOBAL_PROJECT)
            got = self.conn.register_object(kind, {"project_id": pid, **body})
        except Exception as exc:
            if not is_unreachable(exc):
                raise
            # The run goes on; the object is registered when its rows are delivered.
            if kind == "experiment":
                body["name"] = body.get("name") or time.strftime("offline-%Y%m%d-%H%M%S")
            local_id = self.sink.deferred.add(f"{kind}_id", project or GLOBAL_PROJECT,
                                              project_id, body)
            diagnostics.report(
                "service_down",
                f"could not reach the Braintrust service ({exc}); {kind} {body.get('name')!r} "
                f"goes on offline: its rows wait in {self.sink.spool.directory} and are sent, "
                f"with the {kind} registered, when the service answers (or by a later run)")
            return ({"id": project_id or "", "name": project or ""},
                    {"id": local_id, "name": body["name"], "offline": True})
        return {"id": pid, "name": project or ""}, got

    def register_experiment(self, project: Optional[str], project_id: Optional[str],
                            name: Optional[str], info: dict[str, Any], update: bool
                            ) -> tuple[dict[str, str], dict[str, Any]]:
        """``POST /v1/experiment``; deferred when the service does not answer."""
        body: dict[str, Any] = {"ensure_new": not update, "public": bool(info.get("public"))}
        if name:
            body["name"] = name
        for key in ("description", "metadata", "tags", "base_exp_id", "dataset_id",
                    "dataset_version", "repo_info", "parameters_id", "parameters_version"):
            if info.get(key) is not None:
                body[key] = info[key]
        proj, got = self._register("experiment", project, project_id, body)
        return proj, {**info, **got}

    def find_experiment(self, project_id: str, id: Optional[str] = None,
                        name: Optional[str] = None) -> Optional[dict[str, Any]]:
        """``GET /v1/experiment/{id}``, or by name in the project."""
        if id is not None:
            resp = self.conn.request("GET", f"/v1/experiment/{id}")
            return dict(resp.json()) if resp.ok else None
        found = self._experiments({"project_id": project_id, "experiment_name": name})
        return found[-1] if found else None

    def list_experiments(self, project_id: str) -> list[dict[str, Any]]:
        """``GET /v1/experiment?project_id=``, oldest first (by ``created``)."""
        return self._experiments({"project_id": project_id})

    def _experiments(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        resp = self.conn.request("GET", "/v1/experiment", params=params)
        if not resp.ok:
            return []
        found = [dict(e) for e in resp.json().get("objects") or []]
        found.sort(key=lambda e: str(e.get("created") or ""))
        return found

    def find_dataset(self, dataset_id: str
                     ) -> Optional[tuple[dict[str, str], dict[str, Any]]]:
        """``GET /v1/dataset/{id}``, then its project (``GET /v1/project/{id}``) for the name."""
        resp = self.conn.request("GET", f"/v1/dataset/{quote(dataset_id)}")
        if not resp.ok:
            return None
        found = dict(resp.json())
        pid = str(found.get("project_id") or "")
        proj = {"id": pid, "name": ""}
        got = self.conn.request("GET", f"/v1/project/{quote(pid)}") if pid else None
        if got is not None and got.ok:
            proj["name"] = str(got.json().get("name") or "")
        return proj, found

    def register_dataset(self, project: Optional[str], project_id: Optional[str], name: str,
                         info: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        """``POST /v1/dataset`` (returns the existing one); deferred when unreachable."""
        proj, got = self._register("dataset", project, project_id, {"name": name, **info})
        return proj, got

    # -- reading rows -----------------------------------------------------------

    def _written(self) -> None:
        # The sink sends from its own thread: a read waits (bounded) for what
        # this process wrote, so it sees its own writes.
        self.sink.flush(_READ_AFTER_WRITE_SECONDS)

    def dataset_version(self, dataset_id: str) -> Optional[str]:
        """One row: the service's fetch pages from the latest ``_xact_id`` down, so
        the first row of a one-record page carries the version."""
        self._written()
        resp = self.conn.request("POST", f"/v1/dataset/{self._service_id('dataset_id', dataset_id)}"
                                 "/fetch", json={"limit": 1})
        if not resp.ok:
            raise http_error(resp, f"reading the version of dataset {dataset_id}")
        xacts = [int(x) for r in resp.json().get("events") or []
                 if (x := str(r.get("_xact_id", ""))).isdigit()]
        return str(max(xacts)) if xacts else None

    def rows(self, object_type: str, object_id: str,
             version: Optional[str] = None) -> list[dict[str, Any]]:
        """``/v1/{type}/{id}/fetch`` page by page (``project_logs``: by project id);
        oldest first, one row per id."""
        self._written()
        # A project's logs are named by the project id itself (never deferred).
        service_id = (object_id if object_type == "project_logs"
                      else self._service_id(f"{object_type}_id", object_id))
        rows = self.conn.fetch_rows(object_type, service_id, version)
        # Pages run latest first and may repeat a row at an earlier version.
        latest: dict[Any, dict[str, Any]] = {}
        for row in sorted(rows, key=_xact, reverse=True):
            latest.setdefault(row.get("id", id(row)), row)
        return sorted(latest.values(), key=_xact)

    # -- prompts and functions --------------------------------------------------

    def find_prompt(self, project: Optional[str] = None, project_id: Optional[str] = None,
                    slug: Optional[str] = None, id: Optional[str] = None,
                    version: Optional[str] = None, environment: Optional[str] = None
                    ) -> Optional[dict[str, Any]]:
        """``GET /v1/prompt``; a copy of each loaded prompt is kept on disk
        (``BRAINTRUST_PROMPT_CACHE_DIR``) and answers while the service does not.

        Raises:
            BraintrustHTTPError: When the service refuses (a 4xx answer), or fails
                with no copy kept.
            BraintrustTransportError: When the service does not answer and no
                copy is kept.
        """
        return self._find_saved("prompt", project, project_id, slug, id, version, environment)

    def find_function(self, project: Optional[str] = None, project_id: Optional[str] = None,
                      slug: Optional[str] = None, id: Optional[str] = None,
                      version: Optional[str] = None, environment: Optional[str] = None
                      ) -> Optional[dict[str, Any]]:
        """``GET /v1/function`` (by project and slug) or ``/v1/function/{id}``; cached
        on disk beside the prompts, and answered from there while the service does not.

        Raises:
            BraintrustHTTPError: When the service refuses, or fails with no copy kept.
            BraintrustTransportError: When it does not answer and no copy is kept.
        """
        return self._find_saved("function", project, project_id, slug, id, version,
                                environment)

    def _find_saved(self, kind: str, project: Optional[str], project_id: Optional[str],
                    slug: Optional[str], id: Optional[str], version: Optional[str],
                    environment: Optional[str]) -> Optional[dict[str, Any]]:
        params: dict[str, Any] = {}
        if id is None:
            params["slug"] = slug
            params["project_id" if project_id else "project_name"] = project_id or project
        if version is not None:
            params["version"] = str(version)
        if environment is not None:
            params["environment"] = environment
        path = f"/v1/{kind}/{quote(id, safe='')}" if id is not None else f"/v1/{kind}"
        # Prompts keep the key they always had; other functions' keys start with the kind.
        cached = _prompt_cache_dir() / _cache_key(*([kind] if kind != "prompt" else []),
                                                  id or project_id or project, slug,
                                                  version or "latest", environment or "")
        try:
            try:
                resp = self.conn.request("GET", path, params=params)
            except requests.RequestException as exc:
                raise transport_error("GET", f"{self.conn.api_url}{path}", exc) from None
            if not resp.ok:
                raise http_error(resp)
            answer = json_answer(resp)
        except Exception as exc:
            return _cached(exc, cached, kind, f"{self.conn.api_url}{path}")
        objects = [answer] if id is not None else (answer or {}).get("objects") or []
        if not objects:
            return None
        data = dict(objects[0])
        _keep(cached, data)
        return data

    def prompt_versions(self, project_id: str, prompt_id: str) -> list[str]:
        """The prompt's audit log through ``/btql`` (what the official SDK asks), as
        the service's version strings.

        Raises:
            BraintrustHTTPError: The service refused the query (also a RuntimeError).
        """
        query = {
            "from": {"op": "function", "name": {"op": "ident", "name": ["project_prompts"]},
                     "args": [{"op": "literal", "value": project_id}]},
            "select": [{"op": "star"}],
            "filter": {"op": "eq", "left": {"op": "ident", "name": ["id"]},
                       "right": {"op": "literal", "value": prompt_id}},
        }
        resp = self.conn.request("POST", "/btql", json={"query": query, "audit_log": True,
                                                         "use_columnstore": False,
                                                         "brainstore_realtime": True})
        if not resp.ok:
            raise http_error(resp, "the prompt-history query")
        return [_pretty_xact(entry["_xact_id"]) for entry in resp.json().get("data") or []
                if (entry.get("audit_data") or {}).get("action") in ("upsert", "merge")]

    def save_prompt(self, project_id: str, slug: str, data: dict[str, Any],
                    if_exists: str = "replace") -> dict[str, Any]:
        """``PUT /v1/prompt`` to add a version, ``POST`` to keep an existing one."""
        body = {"project_id": project_id, "slug": slug, **data}
        resp = self.conn.request("POST" if if_exists != "replace" else "PUT", "/v1/prompt",
                                 json=body)
        if not resp.ok:
            raise http_error(resp, f"saving {slug!r}")
        return dict(resp.json())

    def invoke(self, request: Callable[[], dict[str, Any]], *,
               project_id: Optional[str] = None, org_name: Optional[str] = None) -> Any:
        """``POST /function/invoke`` on the proxy URL (``BRAINTRUST_PROXY_URL``, else the
        login's, else the API URL); a 500 is the function's failure."""
        body = request()
        stream = bool(body.get("stream"))
        base = self._proxy_base()
        headers = {"Accept": "text/event-stream" if stream else "application/json",
                   "Content-Type": "application/json"}
        if project_id is not None:
            headers["x-bt-project-id"] = project_id
        if org_name is not None:
            headers["x-bt-org-name"] = org_name
        # Encoded by our encoder: inputs need not be plain JSON (dates, models...).
        try:
            resp = self.conn.request("POST", f"{base}/function/invoke",
                                     data=dumps(body).encode(), headers=headers, stream=stream)
        except requests.RequestException as exc:
            raise transport_error("POST", f"{base}/function/invoke", exc) from None
        if resp.status_code == 404:
            raise NotFound("no such function") from http_error(resp)
        if resp.status_code == 500:
            raise FunctionError(resp.text)
        if not resp.ok:
            raise http_error(resp)
        if stream:
            return _lines(resp, f"{base}/function/invoke")
        return json_answer(resp)

    def _proxy_base(self) -> str:
        # BRAINTRUST_PROXY_URL, else the login's proxy URL, else the API URL.
        org = self.conn.login()
        base = (get_settings().proxy_url or org.get("proxy_url")
                or self.conn.api_url).rstrip("/")
        return base[: -len("/v1/proxy")] if base.endswith("/v1/proxy") else base

    def list_sandbox_evals(self, request: dict[str, Any],
                           org_name: Optional[str] = None) -> dict[str, Any]:
        """``POST /function/sandbox-list`` on the proxy URL (the service starts the
        snapshot and reports the evals its entrypoints define)."""
        headers = {"x-bt-org-name": org_name} if org_name is not None else {}
        resp = self.conn.request("POST", f"{self._proxy_base()}/function/sandbox-list",
                                 json=request, headers=headers)
        if not resp.ok:
            raise RuntimeError(f"listing the sandbox's evals failed (HTTP {resp.status_code}: "
                               f"{resp.text[:300]})")
        found = resp.json()
        if not isinstance(found, dict):
            raise RuntimeError("the sandbox listing is not an object of evals")
        return found

    def save_functions(self, definitions: list[dict[str, Any]]) -> Any:
        """``POST /insert-functions``; the service applies each ``if_exists``."""
        resp = self.conn.request("POST", "/insert-functions", json={"functions": definitions})
        if not resp.ok:
            raise http_error(resp, "saving functions")
        return resp.json() if resp.content else None

    def upload_bundle(self, make_bundle: Callable[[], bytes],
                      runtime_context: dict[str, Any]) -> Optional[str]:
        """``POST /function/code`` on the proxy for a signed URL, then the zip to it."""
        org = self.conn.login()
        base = (org.get("proxy_url") or self.conn.api_url).rstrip("/")
        resp = self.conn.request("POST", f"{base}/function/code",
                                 json={"org_id": self.conn.org_id,
                                       "runtime_context": runtime_context})
        if not resp.ok:
            raise http_error(resp, "the bundle upload")
        answer = resp.json()
        # A signed URL carries its own authorization: no API key goes with it.
        put = requests.put(answer["url"], data=make_bundle(), timeout=self.conn.timeout)
        put.raise_for_status()
        return str(answer["bundleId"])


def _lines(resp: requests.Response, url: str) -> Iterator[str]:
    # A stream the service stops sending halfway is a transport failure too.
    try:
        yield from resp.iter_lines(decode_unicode=True)
    except requests.RequestException as exc:
        raise transport_error("POST", url, exc) from None


def _xact(row: dict[str, Any]) -> int:
    value = str(row.get("_xact_id", ""))
    return int(value) if value.isdigit() else -1


def _pretty_xact(value: Any) -> str:
    # The service's version strings: the transaction id scrambled by a fixed
    # odd multiplier modulo 2**64, as 16 hex digits (what load_prompt accepts).
    return format(int(value) * 205891132094649 % 2**64, "016x")
