"""A fake Braintrust service on 127.0.0.1 for delivery tests.

It implements what the SDK uses (login, project registration, /version,
/logs3 with merges, the overflow upload), records every request, and
injects faults on demand: scripted statuses, delays, dropped connections,
stopping and restarting on the same port, and lasting modes (answer 429 to
every request, or hang on every request) until set back to healthy.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs, urlparse

from braintrust_otel.merge import merge_row

GOOD_KEY = "sk-test-good-key"
ORG_ID = "00000000-0000-4000-8000-00000000000a"

Fault = Callable[["Handler"], bool]  # returns True when it answered the request


def pretty_xact(xact_id: str) -> str:
    """A transaction id as the service shows versions (scrambled, 16 hex digits)."""
    return format(int(xact_id) * 205891132094649 % 2**64, "016x")


class FakeBraintrust:
    """The fake service. Use as a context manager; ``url`` is its base URL."""

    def __init__(self, payload_limit: Optional[int] = 6 * 1024 * 1024,
                 orgs: Optional[list[str]] = None, record_bodies: bool = True) -> None:
        self.payload_limit = payload_limit
        self.orgs = orgs or ["test-org"]
        self.record_bodies = record_bodies
        self.requests: list[dict[str, Any]] = []
        self.rows: dict[str, dict[str, Any]] = {}  # row id -> merged row
        self.row_writes = 0
        #: The transaction counter: each /logs3 request is one transaction, and every
        #: row it writes carries its ``_xact_id`` (as the service's rows do).
        self.xact = 1000
        #: Every write of every row: row id -> [(xact, the row as of then)], for versions.
        self.history: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.logs3_requests = 0
        self.projects: dict[str, str] = {}
        self.experiments: list[dict[str, Any]] = []
        self.datasets: list[dict[str, Any]] = []
        self.prompts: list[dict[str, Any]] = []
        self.functions: list[dict[str, Any]] = []  # /insert-functions definitions
        # Every saved function version (prompts too), with its id and _xact_id.
        self.saved: list[dict[str, Any]] = []
        #: What /function/sandbox-list answers: eval name -> evaluator definition (the
        #: service asks the sandbox which evals its entrypoints define).
        self.sandbox_evals: dict[str, Any] = {}
        self.attachment_status: dict[str, Any] = {}
        self.uploads: dict[str, bytes] = {}
        self.faults: list[tuple[str, Fault]] = []
        # A /logs3 request holding a row with this input is refused whole (400),
        # as a service refuses a batch with one invalid row.
        self.poison: Any = None
        self.lock = threading.Lock()
        self.connections: set[Any] = set()
        self.mode = "healthy"  # or "429" / "hang": see set_mode()
        self.retry_after = "60"
        self.hung = 0  # requests held by the "hang" mode so far
        self.throttled = 0  # requests answered 429 by the "429" mode
        self._unhang = threading.Event()
        self.port = 0
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeBraintrust:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._unhang.set()  # hung requests end (their connections are dropped below)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        # Keep-alive connections would go on answering: a stopped service drops them.
        with self.lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.connections.clear()

    def __enter__(self) -> FakeBraintrust:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults -------------------------------------------------------------

    def fail(self, path: str, status: int, times: int = 1, headers: Optional[dict[str, str]]
             = None, body: str = '{"error": "injected"}') -> None:
        """The next ``times`` requests to ``path`` get ``status``."""
        for _ in range(times):
            def answer(h: Handler, status: int = status) -> bool:
                h.reply(status, body.encode(), headers or {})
                return True
            self.faults.append((path, answer))

    def delay(self, path: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` are answered late (after the work)."""
        for _ in range(times):
            def late(h: Handler) -> bool:
                time.sleep(seconds)
                return False
            self.faults.append((path, late))

    def set_mode(self, mode: str, retry_after: str = "60") -> None:
        """A lasting fault for every request but the ``/_*`` control paths.

        ``"429"`` answers 429 with ``Retry-After: <retry_after>``; ``"hang"``
        holds each request unanswered until the mode changes or the service
        stops, then drops the connection; ``"healthy"`` ends either.
        """
        if mode not in ("healthy", "429", "hang"):
            raise ValueError(f"unknown mode {mode!r}")
        with self.lock:
            self.mode, self.retry_after = mode, retry_after
            if mode == "hang":
                self._unhang.clear()
            else:
                self._unhang.set()

    def take_fault(self, path: str) -> Optional[Fault]:
        with self.lock:
            for i, (p, fault) in enumerate(self.faults):
                if p == path:
                    del self.faults[i]
                    return fault
        return None

    # -- views --------------------------------------------------------------

    def paths(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]

    def logs3_bodies(self) -> list[Any]:
        return [r["body"] for r in self.requests if r["path"] == "/logs3"]


def main() -> None:
    """Runs the fake service in its own process (for benchmarks); prints its URL.

    An optional argument is the starting mode (see :meth:`FakeBraintrust.set_mode`);
    ``POST /_mode`` with ``{"mode": ..., "retry_after": ...}`` changes it.
    """
    import sys

    server = FakeBraintrust(record_bodies=False).start()
    if len(sys.argv) > 1:
        server.set_mode(sys.argv[1])
    print(server.url, flush=True)
    sys.stdin.read()  # until the parent closes stdin
    server.stop()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.fake.lock:
            self.fake.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.fake.lock:
            self.fake.connections.discard(self.connection)

    def handle(self) -> None:
        try:
            super().handle()
        except OSError:
            pass  # the client or a stop() closed the connection

    @property
    def fake(self) -> FakeBraintrust:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def reply(self, status: int, body: bytes, headers: Optional[dict[str, str]] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def reply_page(self, events: list[dict[str, Any]], body: Any) -> None:
        """One page of a ``/fetch``, as the service pages: latest ``_xact_id`` first,
        ``limit`` rows (each row its own trace here), ``cursor`` to the next page."""
        events.sort(key=lambda r: int(r.get("_xact_id") or 0), reverse=True)
        query = body if isinstance(body, dict) else {}
        start = int(query.get("cursor") or 0)
        limit = int(query.get("limit") or len(events) or 1)
        page = events[start:start + limit]
        more = start + limit < len(events)
        self.reply_json({"events": page, "cursor": str(start + limit) if more else None})

    def reply_json(self, obj: Any, status: int = 200) -> None:
        self.reply(status, json.dumps(obj).encode())

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        fake = self.fake
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        with fake.lock:
            fake.requests.append({
                "method": self.command, "path": path, "headers": dict(self.headers),
                "body": body if fake.record_bodies or path != "/logs3" else None,
                "size": len(raw), "t": time.time(),
            })
        if path == "/_mode":
            fake.set_mode(body["mode"], str(body.get("retry_after", "60")))
            self.reply_json({"mode": fake.mode})
            return
        if not path.startswith("/_") and fake.mode != "healthy":
            if fake.mode == "429":
                with fake.lock:
                    fake.throttled += 1
                self.reply(429, b'{"error": "slow down"}', {"Retry-After": fake.retry_after})
                return
            with fake.lock:
                fake.hung += 1
            fake._unhang.wait(600)
            # Never answered, never processed: the client sees a dropped connection.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        fault = fake.take_fault(path)
        if fault is not None and fault(self):
            return
        if path == "/_stats":
            self.reply_json({"rows": len(fake.rows), "row_writes": fake.row_writes,
                             "logs3_requests": fake.logs3_requests, "hung": fake.hung,
                             "throttled": fake.throttled})
            return
        if path.startswith("/download/"):
            data = fake.uploads.get(path.rsplit("/", 1)[1], b"")
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        if path.startswith("/upload/"):
            fake.uploads[path.rsplit("/", 1)[1]] = raw
            self.reply(200, b"")
            return
        if self.headers.get("Authorization") != f"Bearer {GOOD_KEY}":
            self.reply_json({"error": "Invalid API key"}, 401)
            return
        if path == "/api/apikey/login":
            self.reply_json({"org_info": [
                {"id": ORG_ID if i == 0 else str(uuid.uuid4()), "name": name,
                 "api_url": fake.url, "proxy_url": fake.url, "realtime_url": None,
                 "git_metadata": None, "is_universal_api": False}
                for i, name in enumerate(fake.orgs)]})
        elif path == "/v1/project":
            with fake.lock:
                pid = fake.projects.setdefault(body["name"], str(uuid.uuid4()))
            self.reply_json({"id": pid, "name": body["name"], "org_id": ORG_ID})
        elif path == "/v1/experiment" and self.command == "POST":
            with fake.lock:
                taken = {e["name"] for e in fake.experiments
                         if e["project_id"] == body["project_id"]}
                name = body.get("name") or f"exp-{len(fake.experiments)}"
                if name in taken and not body.get("ensure_new"):
                    exp = next(e for e in fake.experiments if e["name"] == name)
                else:
                    while name in taken:
                        name += "-1"
                    exp = {"id": str(uuid.uuid4()), "name": name,
                           "project_id": body["project_id"],
                           "created": f"2026-01-01T00:00:{len(fake.experiments):02d}Z"}
                    fake.experiments.append(exp)
            self.reply_json(exp)
        elif path == "/v1/experiment" and self.command == "GET":
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            found = [e for e in fake.experiments if e["project_id"] == query.get("project_id")
                     and query.get("experiment_name", e["name"]) == e["name"]]
            self.reply_json({"objects": found})
        elif path == "/attachment" and self.command == "POST":
            self.reply_json({"signedUrl": f"{fake.url}/upload/{body['key']}",
                             "headers": {"Content-Type": body.get("content_type") or ""}})
        elif path == "/attachment" and self.command == "GET":
            key = parse_qs(urlparse(self.path).query)["key"][0]
            self.reply_json({"downloadUrl": f"{fake.url}/download/{key}"})
        elif path == "/attachment/status":
            fake.attachment_status[body["key"]] = body["status"]
            self.reply_json({})
        elif path == "/function/invoke":
            if body.get("slug") == "missing":
                self.reply_json({"error": "function not found"}, 404)
            elif body.get("function_type") == "preprocessor":
                # A trace's thread (trace.get_thread): messages naming the trace asked for.
                self.reply_json([{"role": "user", "content": body.get("input")}])
            elif body.get("stream"):
                events = [("text_delta", "Hello "), ("text_delta", "world"), ("done", "")]
                text = "".join(f"event: {n}\ndata: {json.dumps(d)}\n\n" for n, d in events)
                raw_out = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(raw_out)))
                self.end_headers()
                self.wfile.write(raw_out)
            else:
                self.reply_json({"echo": body.get("input"), "slug": body.get("slug")})
        elif path == "/insert-functions":
            answered = []
            with fake.lock:
                for definition in body["functions"]:
                    fake.functions.append(definition)
                    ids = {(p["project_id"], p["slug"]): p["id"]
                           for p in [*fake.prompts, *fake.saved]}
                    xact = str(1000 + len(fake.prompts) + len(fake.saved))
                    saved = {**definition, "_xact_id": xact,
                             "id": ids.get((definition["project_id"], definition["slug"]),
                                           str(uuid.uuid4()))}
                    fake.saved.append(saved)
                    if definition["function_data"]["type"] == "prompt":
                        fake.prompts.append(saved)
                    # As the service answers: each saved function's id and slug.
                    answered.append({"id": saved["id"], "slug": definition.get("slug"),
                                     "project_id": definition.get("project_id"),
                                     "name": definition.get("name")})
            self.reply_json({"status": "success", "functions": answered})
        elif path == "/function/sandbox-list":
            self.reply_json(fake.sandbox_evals)
        elif path == "/function/code":
            key = uuid.uuid4().hex
            self.reply_json({"url": f"{fake.url}/upload/{key}", "bundleId": key})
        elif path == "/v1/prompt" and self.command in ("POST", "PUT"):
            with fake.lock:
                ids = {(p["project_id"], p["slug"]): p["id"] for p in fake.prompts}
                same_slug = [p for p in fake.prompts
                             if (p["project_id"], p["slug"]) == (body["project_id"], body["slug"])]
                if self.command == "POST" and same_slug:
                    # POST creates; an existing slug comes back unmodified (PUT adds a version).
                    self.reply_json(same_slug[-1])
                    return
                prompt = {**body, "id": ids.get((body["project_id"], body["slug"]),
                                                str(uuid.uuid4())),
                          "_xact_id": str(1000 + len(fake.prompts) + len(fake.saved))}
                fake.prompts.append(prompt)
            self.reply_json(prompt)
        elif path == "/v1/prompt" and self.command == "GET":
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            names = {v: k for k, v in fake.projects.items()}
            found = [p for p in fake.prompts if p["slug"] == query.get("slug")
                     and (names.get(p["project_id"]) == query.get("project_name")
                          or p["project_id"] == query.get("project_id"))
                     and query.get("version", p["_xact_id"]) in (p["_xact_id"],
                                                                 pretty_xact(p["_xact_id"]))]
            self.reply_json({"objects": found[-1:]})
        elif path == "/btql":
            # Only the prompt-history query get_prompt_versions sends: every saved
            # version of one prompt, as audit entries.
            query = body["query"]
            project_id = query["from"]["args"][0]["value"]
            prompt_id = query["filter"]["right"]["value"]
            versions = [{**p, "audit_data": {"action": "upsert"}} for p in fake.prompts
                        if p["project_id"] == project_id and p["id"] == prompt_id]
            self.reply_json({"data": versions})
        elif path == "/v1/function" and self.command == "GET":
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            names = {v: k for k, v in fake.projects.items()}
            found = [f for f in fake.saved if f["slug"] == query.get("slug")
                     and (names.get(f["project_id"]) == query.get("project_name")
                          or f["project_id"] == query.get("project_id"))
                     and query.get("version", f["_xact_id"]) in (f["_xact_id"],
                                                                 pretty_xact(f["_xact_id"]))]
            self.reply_json({"objects": found[-1:]})
        elif path.startswith("/v1/function/") and self.command == "GET":
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            found = [f for f in fake.saved if f["id"] == path.split("/")[3]
                     and query.get("version", f["_xact_id"]) in (f["_xact_id"],
                                                                 pretty_xact(f["_xact_id"]))]
            self.reply_json(found[-1] if found else {"error": "not found"},
                            200 if found else 404)
        elif path.startswith("/v1/prompt/") and self.command == "GET":
            found = [p for p in fake.prompts if p["id"] == path.split("/")[3]]
            self.reply_json(found[-1] if found else {"error": "not found"},
                            200 if found else 404)
        elif path == "/v1/dataset":
            with fake.lock:
                dataset = next((d for d in fake.datasets if d["project_id"] == body["project_id"]
                                and d["name"] == body["name"]), None)
                if dataset is None:
                    dataset = {"id": str(uuid.uuid4()), "name": body["name"],
                               "project_id": body["project_id"]}
                    fake.datasets.append(dataset)
            self.reply_json(dataset)
        elif path.startswith("/v1/dataset/") and path.endswith("/fetch"):
            ds_id = path.split("/")[3]
            version = body.get("version") if isinstance(body, dict) else None
            with fake.lock:
                if version is None:
                    rows = list(fake.rows.values())
                else:  # each record's last write at or before the version
                    rows = [w[-1][1] for h in fake.history.values()
                            if (w := [x for x in h if x[0] <= int(version)])]
                records = [dict(r) for r in rows
                           if r.get("dataset_id") == ds_id and not r.get("_object_delete")]
            self.reply_page(records, body)
        elif path.startswith("/v1/dataset/") and self.command == "GET":
            ds = next((d for d in fake.datasets if d["id"] == path.split("/")[3]), None)
            self.reply_json(ds or {"error": "not found"}, 200 if ds else 404)
        elif path.startswith("/v1/project/") and self.command == "GET":
            name = next((n for n, i in fake.projects.items() if i == path.split("/")[3]), None)
            self.reply_json({"id": path.split("/")[3], "name": name} if name
                            else {"error": "not found"}, 200 if name else 404)
        elif path.startswith("/v1/experiment/") and path.endswith("/summarize"):
            self.reply_json({"project_name": "p", "experiment_name": "e",
                             "project_url": fake.url, "experiment_url": fake.url,
                             "comparison_experiment_name": None, "scores": {}, "metrics": {}})
        elif path.startswith("/v1/project_logs/") and path.endswith("/fetch"):
            project_id = path.split("/")[3]
            with fake.lock:
                log_rows = [dict(r) for r in fake.rows.values()
                            if r.get("project_id") == project_id and r.get("log_id") == "g"]
            self.reply_page(log_rows, body)
        elif path.startswith("/v1/experiment/") and path.endswith("/fetch"):
            exp_id = path.split("/")[3]
            with fake.lock:
                exp_rows = [dict(r) for r in fake.rows.values()
                            if r.get("experiment_id") == exp_id]
            self.reply_page(exp_rows, body)
        elif path.startswith("/v1/experiment/"):
            one = next((e for e in fake.experiments if e["id"] == path.split("/")[3]), None)
            self.reply_json(one or {"error": "not found"}, 200 if one else 404)
        elif path == "/version":
            out: dict[str, Any] = {"version": "fake"}
            if fake.payload_limit:
                out["logs3_payload_max_bytes"] = fake.payload_limit
            self.reply_json(out)
        elif path == "/logs3/overflow":
            key = uuid.uuid4().hex
            self.reply_json({"method": "PUT", "signedUrl": f"{fake.url}/upload/{key}",
                             "headers": {"Content-Type": "application/json"}, "key": key})
        elif path == "/logs3":
            if fake.payload_limit and len(raw) > fake.payload_limit:
                self.reply_json({"error": "payload too large"}, 413)
                return
            rows = body["rows"]
            if isinstance(rows, dict) and rows.get("type") == "logs3_overflow":
                rows = json.loads(fake.uploads[rows["key"]])["rows"]
            if fake.poison is not None and any(r.get("input") == fake.poison for r in rows):
                self.reply_json({"error": "invalid row in batch"}, 400)
                return
            with fake.lock:
                fake.logs3_requests += 1
                fake.xact += 1
                xact = str(fake.xact)
                for row in rows:
                    fake.row_writes += 1
                    current = fake.rows.get(row["id"])
                    if row.get("_is_merge") and current is not None:
                        # As the service merges: objects (scores, metadata) key by key.
                        merge_row(current, copy.deepcopy(row))
                    else:
                        current = fake.rows[row["id"]] = copy.deepcopy(row)
                        current.pop("_is_merge", None)
                    current["_xact_id"] = xact
                    fake.history.setdefault(row["id"], []).append(
                        (fake.xact, copy.deepcopy(current)))
            self.reply_json({"ids": [r["id"] for r in rows], "xact_id": xact})
        else:
            self.reply_json({"error": f"no route {path}"}, 404)

    do_GET = do_POST = do_PUT = _handle


if __name__ == "__main__":
    main()
