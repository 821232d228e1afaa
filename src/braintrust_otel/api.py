"""A connection to the Braintrust REST API: login, sessions, object registration.

One ``requests.Session`` per process (sessions must not cross ``fork()``);
a user's adapter from :func:`set_http_adapter` is mounted on every session.
The API key is held privately and never appears in a repr, a log line or an
exception message.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Optional

from .settings import MAX_REQUEST_SIZE, get_settings

# requests is imported on first use: most processes (the embedded store) never
# talk HTTP, and it is a quarter of the package's import time.
if TYPE_CHECKING:
    import requests
    from requests.adapters import BaseAdapter

__all__ = ["ApiConnection", "LoginError", "ServiceUnreachableError", "set_http_adapter"]

DEFAULT_APP_URL = "https://www.braintrust.dev"
#: Used when the server advertises no payload limit.
DEFAULT_MAX_REQUEST_SIZE = 6 * 1024 * 1024
#: Seconds :meth:`ApiConnection.post_bytes` reuses what it read from the
#: environment (proxies, CA bundle, ``.netrc``) before reading it again.
ENVIRONMENT_TTL = 10.0

_adapter: Optional[BaseAdapter] = None
_sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()


class LoginError(ValueError):
    """Login failed: a wrong API key, an unknown organization, or no answer."""


class ServiceUnreachableError(LoginError):
    """The service did not answer: no connection, a timeout, or a transient status
    (408, 429, 5xx). Unlike a rejected key, it may pass: callers may go on
    offline and let the spool deliver later."""


def set_http_adapter(adapter: BaseAdapter | None) -> None:
    """Mounts a ``requests`` adapter on every session the SDK uses.

    Use it to bring your own retries, timeouts, proxies or TLS settings.

    Args:
        adapter: A ``requests.adapters.BaseAdapter`` (for example
            ``HTTPAdapter(max_retries=...)``), or None for the default.

    Raises:
        TypeError: When ``adapter`` is not a ``requests`` adapter.
    """
    global _adapter
    from requests.adapters import BaseAdapter

    if adapter is not None and not isinstance(adapter, BaseAdapter):
        raise TypeError("set_http_adapter(): adapter must be a requests.adapters.BaseAdapter, "
                        f"got {type(adapter).__name__}")
    _adapter = adapter
    for session in list(_sessions):
        _mount(session)


def _mount(session: requests.Session) -> None:
    import requests

    adapter = _adapter if _adapter is not None else requests.adapters.HTTPAdapter(
        pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


def _message(resp: requests.Response) -> str:
    text = resp.text.strip()
    return f"HTTP {resp.status_code}: {text[:500]}" if text else f"HTTP {resp.status_code}"


class ApiConnection:
    """Where and how to reach Braintrust.

    Arguments win over environment variables (``BRAINTRUST_API_KEY``,
    ``BRAINTRUST_APP_URL``, ``BRAINTRUST_API_URL``, ``BRAINTRUST_ORG_NAME``,
    ``BRAINTRUST_HTTP_TIMEOUT``). Nothing is sent until :meth:`login`, which
    the sink calls lazily.

    Args:
        api_key: The Braintrust API key.
        app_url: The app URL, where login happens.
        api_url: The data API URL; by default the one login returns.
        org_name: The organization, when the key belongs to several.
        timeout: Seconds per request.
        headers: More headers sent with every request (a proxy's, say).
    """

    def __init__(self, api_key: str | None = None, app_url: str | None = None,
                 api_url: str | None = None, org_name: str | None = None,
                 timeout: float | None = None,
                 headers: dict[str, str] | None = None) -> None:
        env = get_settings()
        key = api_key or env.api_key
        if not key:
            raise LoginError("no Braintrust API key: pass api_key= or set BRAINTRUST_API_KEY")
        self.__key = key
        self.app_url = (app_url or env.app_url or DEFAULT_APP_URL).rstrip("/")
        self._api_url = (api_url or env.api_url or "").rstrip("/")
        self.org_name = org_name or env.org_name or None
        self.timeout = timeout or env.http_timeout
        self._lock = threading.RLock()
        self._org: dict[str, Any] | None = None
        self._projects: dict[str, str] = {}
        self._limit: int | None = None
        self._limit_known = False
        self._session: requests.Session | None = None
        self._session_pid = -1
        self._headers = dict(headers or {})
        # post_bytes, per content type and URL: the session, when the environment
        # was read, the prepared request to copy, and the environment's settings.
        self._posts: dict[str, tuple[requests.Session, float, requests.PreparedRequest,
                                     Any]] = {}

    def __repr__(self) -> str:
        return f"<ApiConnection app_url={self.app_url!r} org={self.org_name!r}>"

    # -- transport ----------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """This process's session, with the bearer token and the adapter mounted."""
        if self._session is None or self._session_pid != os.getpid():
            import requests

            session = requests.Session()
            session.headers.update(self._headers)
            session.headers["Authorization"] = f"Bearer {self.__key}"
            _mount(session)
            _sessions.add(session)
            self._session, self._session_pid = session, os.getpid()
        return self._session

    def request(self, method: str, path: str, *, timeout: float | None = None,
                **kwargs: Any) -> requests.Response:
        """One request to the data API (no retries; the caller decides)."""
        self.login()
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        return self.session.request(method, url, timeout=timeout or self.timeout, **kwargs)

    def post_bytes(self, path: str, body: bytes, *, timeout: float | None = None,
                   content_type: str = "application/json") -> requests.Response:
        """POSTs an encoded body to the data API: :meth:`request`'s answer, for less work.

        ``Session.request`` reads the whole environment for proxies twice and
        looks for a ``.netrc`` on every call, which cost as much as the rest
        of a request (about 200 us each, once per ``/logs3`` request). Here
        the request is prepared once per session and URL and copied, and the
        environment's settings are read again every ``ENVIRONMENT_TTL``
        seconds; the request still goes through ``Session.send``, so the
        mounted adapter, hooks, redirects and cookies work as before (a
        session holding cookies prepares each request afresh).

        Args:
            path: The path under the API URL (or a full URL).
            body: The request body.
            timeout: Seconds for the request; the connection's timeout by default.
            content_type: The ``Content-Type`` header.

        Returns:
            The response.
        """
        self.login()
        session = self.session
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        key = f"{content_type} {url}"
        found = self._posts.get(key)
        now = time.monotonic()
        if (found is None or found[0] is not session or now - found[1] > ENVIRONMENT_TTL
                or session.cookies):
            import requests

            found = (session, now, session.prepare_request(requests.Request(
                "POST", url, data=b"", headers={"Content-Type": content_type})),
                session.merge_environment_settings(url, {}, None, None, None))
            self._posts[key] = found
        prepared = found[2].copy()
        prepared.body = body
        prepared.headers["Content-Length"] = str(len(body))
        prepared.hooks = session.hooks  # as prepare_request merges them: hooks added later count
        return session.send(prepared, timeout=timeout or self.timeout, allow_redirects=True,
                            **found[3])

    # -- login --------------------------------------------------------------

    @property
    def logged_in(self) -> bool:
        """Whether login has succeeded."""
        return self._org is not None

    def login(self, force: bool = False) -> dict[str, Any]:
        """Logs in (once) and returns the chosen organization's info.

        Raises:
            LoginError: On a rejected key, an unknown ``org_name``, or no answer.
        """
        with self._lock:
            if self._org is not None and not force:
                return self._org
            import requests

            url = f"{self.app_url}/api/apikey/login"
            try:
                resp = self.session.post(url, timeout=self.timeout)
            except requests.RequestException as exc:
                raise ServiceUnreachableError(
                    f"could not reach {url} to log in: {type(exc).__name__}") from None
            if not resp.ok:
                from .retry import is_retryable_status

                if is_retryable_status(resp.status_code):
                    raise ServiceUnreachableError(f"login to {self.app_url} failed "
                                                  f"({_message(resp)})")
                raise LoginError(f"login to {self.app_url} failed, check the API key "
                                 f"({_message(resp)})")
            try:
                orgs = resp.json().get("org_info") or []
            except ValueError:
                raise LoginError(f"login to {self.app_url}: the answer is not JSON") from None
            if not orgs:
                raise LoginError(f"login to {self.app_url}: the key belongs to no organization")
            if self.org_name:
                chosen = next((o for o in orgs if o.get("name") == self.org_name), None)
                if chosen is None:
                    names = ", ".join(str(o.get("name")) for o in orgs)
                    raise LoginError(f"organization {self.org_name!r} not found for this key "
                                     f"(it belongs to: {names})")
            else:
                chosen = orgs[0]
            self._org = dict(chosen)
            self.org_name = str(chosen.get("name"))
            return self._org

    @property
    def api_url(self) -> str:
        """The data API URL (from the environment, or as login returned it)."""
        if self._api_url:
            return self._api_url
        org = self.login()
        return str(org.get("api_url") or "https://api.braintrust.dev").rstrip("/")

    @property
    def org_id(self) -> str | None:
        """The organization id, once logged in."""
        return str(self._org["id"]) if self._org and self._org.get("id") else None

    # -- objects ------------------------------------------------------------

    def cached_project_id(self, name: str) -> str | None:
        """The id of a project registered earlier by name, without a request."""
        return self._projects.get(name)

    def project_id(self, name: str, project_group_name: str | None = None) -> str:
        """Registers the project by name (once per process) and returns its id.

        Args:
            name: The project's name.
            project_group_name: A project group to create it in, when it is new.

        Raises:
            requests.RequestException, RuntimeError: When the server cannot be
                reached or refuses.
        """
        found = self._projects.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._projects.get(name)
            if found is not None:
                return found
            self.login()
            body: dict[str, Any] = {"name": name}
            if self.org_name:
                body["org_name"] = self.org_name
            if project_group_name is not None:
                body["project_group_name"] = project_group_name
            resp = self.request("POST", "/v1/project", json=body)
            if not resp.ok:
                from .retry import is_retryable_status

                if is_retryable_status(resp.status_code):
                    raise ServiceUnreachableError(
                        f"registering project {name!r} failed ({_message(resp)})")
                raise RuntimeError(f"registering project {name!r} failed ({_message(resp)})")
            project_id = str(resp.json()["id"])
            self._projects[name] = project_id
            return project_id

    def register_object(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """Registers an experiment or dataset (``POST /v1/{object_type}``).

        Args:
            object_type: ``experiment`` or ``dataset``.
            body: The request body, ``project_id`` included.

        Returns:
            The service's object (``id``, ``name``, ...).

        Raises:
            ServiceUnreachableError: On a transient status (408, 429, 5xx).
            RuntimeError: When the service refuses.
            requests.RequestException: When it cannot be reached.
        """
        resp = self.request("POST", f"/v1/{object_type}", json=body)
        if not resp.ok:
            from .retry import is_retryable_status

            error = (ServiceUnreachableError if is_retryable_status(resp.status_code)
                     else RuntimeError)
            raise error(f"registering {object_type} {body.get('name')!r} failed "
                        f"(HTTP {resp.status_code}: {resp.text[:300]})")
        return dict(resp.json())

    def fetch_rows(self, object_type: str, object_id: str,
                   version: str | None = None) -> list[dict[str, Any]]:
        """Every row of an experiment or dataset (``/v1/{type}/{id}/fetch``, page by page).

        Raises:
            RuntimeError: When the service refuses.
        """
        rows: list[dict[str, Any]] = []
        cursor = None
        for _ in range(10_000):
            body: dict[str, Any] = {"limit": 1000}
            if cursor:
                body["cursor"] = cursor
            if version is not None:
                body["version"] = version
            resp = self.request("POST", f"/v1/{object_type}/{object_id}/fetch", json=body)
            if not resp.ok:
                raise RuntimeError(f"fetching {object_type} {object_id} failed "
                                   f"({_message(resp)})")
            page = resp.json()
            rows += page.get("events") or []
            cursor = page.get("cursor")
            if not cursor:
                break
        return rows

    def payload_limit(self) -> int | None:
        """The server's advertised ``logs3`` payload limit, or None (asked once)."""
        if self._limit_known:
            return self._limit
        import requests

        with self._lock:
            if not self._limit_known:
                try:
                    resp = self.request("GET", "/version")
                    value = resp.json().get("logs3_payload_max_bytes") if resp.ok else None
                except (requests.RequestException, ValueError):
                    return None  # ask again next time
                self._limit = int(value) if isinstance(value, int) and value > 0 else None
                self._limit_known = True
        return self._limit

    def max_request_size(self) -> int:
        """The largest logs3 body to send: the server's limit, capped by
        ``BRAINTRUST_MAX_REQUEST_SIZE``."""
        limit = self.payload_limit() or DEFAULT_MAX_REQUEST_SIZE
        cap = MAX_REQUEST_SIZE.get()  # once per delivery: one lookup, not all settings
        if cap is not None:
            limit = min(limit, cap)
        return limit
