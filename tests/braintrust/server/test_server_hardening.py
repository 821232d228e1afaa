"""`braintrust serve` under hostile input: each test sends what an attacker (or a
broken client) would, to a real server on 127.0.0.1, and checks it is refused
while the legitimate paths keep working."""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from braintrust.server._uploads import UploadSpool
from braintrust_otel.store import Store
from tests.served import Running, free_port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Running, Store]]:
    store = Store(tmp_path / "served.sqlite")
    running = Running(store)
    yield running, store
    running.stop()


def _rows(store: Store, project_id: str) -> list[dict[str, Any]]:
    return [r.data for r in store.rows("project_logs", project_id)]


# -- 11. DNS rebinding --------------------------------------------------------

def test_a_rebound_host_name_is_refused_and_never_echoed(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    running = Running(store, public_hosts=["bt.example.internal"])
    try:
        url, port = running.url, running.port
        for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}",
                     f"localhost.evil.example:{port}"):
            resp = requests.post(f"{url}/api/apikey/login", headers={"Host": host}, timeout=10)
            assert resp.status_code == 400, (host, resp.text)
            assert "Host" in resp.json()["error"]
            assert "api_url" not in resp.text
            assert requests.get(f"{url}/ui-api/projects", headers={"Host": host},
                                timeout=10).status_code == 400
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}",
                     f"bt.example.internal:{port}", f"BT.Example.Internal.:{port}"):
            resp = requests.post(f"{url}/api/apikey/login", headers={"Host": host}, timeout=10)
            assert resp.status_code == 200, (host, resp.text)
            assert resp.json()["org_info"][0]["api_url"] == f"http://{host}"
    finally:
        running.stop()


# -- 12. Cross-site writes ----------------------------------------------------

def test_foreign_origins_and_simple_content_types_cannot_write(
    served: tuple[Running, Store]
) -> None:
    running, store = served
    url = running.url
    project = store.ensure_project(name="target")
    row = {"id": "r1", "project_id": project["id"], "log_id": "g", "input": "forged"}
    body = json.dumps({"rows": [row]})
    forged = [
        # What a page on any site can send without a CORS preflight.
        requests.post(f"{url}/logs3", data=body, headers={"Content-Type": "text/plain"},
                      timeout=10),
        requests.post(f"{url}/logs3", data={"rows": body}, timeout=10),  # a form
        requests.post(f"{url}/logs3", files={"rows": body}, timeout=10),  # multipart
        requests.post(f"{url}/otel/v1/traces", data=b"{}",
                      headers={"Content-Type": "text/plain;charset=UTF-8"}, timeout=10),
        # A foreign (or opaque) Origin, whatever the content type.
        requests.post(f"{url}/logs3", data=body, timeout=10,
                      headers={"Content-Type": "application/json",
                               "Origin": "http://evil.example"}),
        requests.post(f"{url}/logs3", data=body, timeout=10, headers={"Origin": "null"}),
        requests.post(f"{url}/v1/prompt", timeout=10, headers={
            "Origin": f"http://localhost:{running.port + 1}"},
            json={"project_id": project["id"], "slug": "hi", "prompt_data": {}}),
        requests.put(f"{url}/attachment/upload/k", data=b"x", timeout=10,
                     headers={"Origin": "https://evil.example"}),
    ]
    for resp in forged:
        assert resp.status_code in (403, 415), resp.text
        assert resp.json()["error"]
    assert _rows(store, project["id"]) == []
    assert store.find_prompt(project_id=project["id"], slug="hi") is None

    # Our own origin (the UI), and clients that send no Origin at all, still write.
    ok = requests.post(f"{url}/logs3", data=body, timeout=10,
                       headers={"Content-Type": "application/json",
                                "Origin": f"http://127.0.0.1:{running.port}"})
    assert ok.status_code == 200, ok.text
    no_type = requests.post(f"{url}/logs3", timeout=10, data=json.dumps(
        {"rows": [{**row, "id": "r2"}]}))  # the official SDK posts /logs3 without a type
    assert no_type.status_code == 200, no_type.text
    assert sorted(r["id"] for r in _rows(store, project["id"])) == ["r1", "r2"]


def test_the_stock_otlp_exporter_with_gzip_still_delivers(served: tuple[Running, Store]) -> None:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    running, store = served
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{running.url}/otel/v1/traces", compression=Compression.Gzip,
        headers={"x-bt-parent": "project_name:gz"})))
    with provider.get_tracer("t").start_as_current_span("zipped"):
        pass
    provider.shutdown()
    project = store.find_project(name="gz")
    assert project is not None
    assert [r["span_attributes"]["name"] for r in _rows(store, project["id"])] == ["zipped"]


# -- 13. Decompression bombs --------------------------------------------------

def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}


def _serve_cli(port: int, *options: str) -> subprocess.Popen[bytes]:
    """``braintrust serve --port PORT OPTIONS`` as a process, without this process's
    BRAINTRUST_/OTEL_ settings, returned once it answers (or after 30 s)."""
    server = subprocess.Popen([sys.executable, "-m", "braintrust", "serve", "--port", str(port),
                               *options], stderr=subprocess.DEVNULL, env=_clean_env())
    try:
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/version", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
    except BaseException:
        server.kill()
        raise
    return server


def _memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _bomb(size: int, wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    zeros = b"\0" * (1 << 20)
    return b"".join([*(packer.compress(zeros) for _ in range(size >> 20)), packer.flush()])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_gzip_bomb_gets_413_with_bounded_memory(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _serve_cli(port, "--store", str(tmp_path / "bomb.sqlite"))
    try:
        before = _memory_kib(server.pid, "VmRSS")
        bomb = _bomb(1 << 30, 16 + zlib.MAX_WBITS)  # 1 GiB of zeros in about 1 MiB
        assert len(bomb) < 2 << 20
        for path, ctype in (("/logs3", "application/json"),
                            ("/otel/v1/traces", "application/x-protobuf")):
            resp = requests.post(url + path, data=bomb, timeout=120, headers={
                "Content-Type": ctype, "Content-Encoding": "gzip"})
            assert resp.status_code == 413, resp.text[:300]
            assert "decompressed" in resp.json()["error"]
        deflated = requests.post(url + "/logs3", data=_bomb(256 << 20, zlib.MAX_WBITS),
                                 headers={"Content-Encoding": "deflate"}, timeout=120)
        assert deflated.status_code == 413
        # At most the 64 MiB limit (plus slack for the allocator), never the gigabyte.
        grown_mib = (_memory_kib(server.pid, "VmHWM") - before) / 1024
        assert grown_mib < 400, f"the server grew by {grown_mib:.0f} MiB"
        assert requests.get(f"{url}/version", timeout=10).status_code == 200
        small = requests.post(url + "/v1/project", data=gzip.compress(b'{"name": "z"}'),
                              headers={"Content-Encoding": "gzip",
                                       "Content-Type": "application/json"}, timeout=10)
        assert small.status_code == 200 and small.json()["name"] == "z"
        bad = requests.post(url + "/v1/project", data=b"not gzip", timeout=10,
                            headers={"Content-Encoding": "gzip"})
        assert bad.status_code == 400
    finally:
        server.terminate()
        server.wait(timeout=30)


# -- 14. Unclaimed overflow uploads -------------------------------------------

def test_overflow_uploads_wait_on_disk_bounded_and_expire(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    spool = tmp_path / "uploads"
    running = Running(store, upload_dir=spool, upload_ttl=1.0, upload_max_bytes=3000)
    try:
        url = running.url
        project = store.ensure_project(name="big")

        def key() -> str:
            resp = requests.post(f"{url}/logs3/overflow", json={"size_bytes": 1}, timeout=10)
            assert resp.status_code == 200, resp.text
            assert resp.json()["signedUrl"] == f"{url}/upload/{resp.json()['key']}"
            return str(resp.json()["key"])

        def upload(k: str, n: int) -> requests.Response:
            rows = [{"id": f"r{n}", "project_id": project["id"], "log_id": "g",
                     "input": "x" * n}]
            return requests.put(f"{url}/upload/{k}", data=json.dumps({"rows": rows}),
                                timeout=10)

        # A claimed upload is written, and its file is gone.
        k1 = key()
        assert upload(k1, 100).status_code == 200
        [held] = list(spool.glob("*.body"))
        assert held.stat().st_size > 100  # the body waits on disk, not in memory
        claim = requests.post(f"{url}/logs3", timeout=10, json={
            "rows": {"type": "logs3_overflow", "key": k1}})
        assert claim.status_code == 200, claim.text
        assert [r["id"] for r in _rows(store, project["id"])] == ["r100"]
        assert list(spool.glob("*")) == []
        again = requests.post(f"{url}/logs3", json={"rows": {"type": "logs3_overflow",
                                                             "key": k1}}, timeout=10)
        assert again.status_code == 400

        # Keys are the server's: an upload to any other name is refused.
        assert requests.put(f"{url}/upload/{uuid.uuid4().hex}", data=b"{}",
                            timeout=10).status_code == 404

        # The bytes held at once are bounded; a full spool says so (507, retryable).
        k2, k3 = key(), key()
        assert upload(k2, 2000).status_code == 200
        full = upload(k3, 2000)
        assert full.status_code == 507 and "Retry-After" in full.headers
        assert len(list(spool.glob("*.body"))) == 1

        # Never claimed: expired, and the file removed (bounded wait, no timing asserted).
        # k3 was issued just after k2, so its time to live ends a little later: wait
        # past it too, not only until k2's body is swept.
        issued = time.monotonic()
        for _ in range(300):
            key()  # any request to the spool sweeps it
            if time.monotonic() - issued > 1.0 and not list(spool.glob("*.body")):
                break
            time.sleep(0.1)
        assert list(spool.glob("*.body")) == []
        late = requests.post(f"{url}/logs3", json={"rows": {"type": "logs3_overflow",
                                                            "key": k2}}, timeout=10)
        assert late.status_code == 400 and "expired" in late.json()["error"]
        assert upload(k3, 10).status_code == 404
    finally:
        running.stop()


def test_overflow_uploads_are_claimed_through_any_worker(tmp_path: Path) -> None:
    # With --workers N the three requests of an overflow upload (key, PUT, claim)
    # may each reach another worker: every one must know every key, and no
    # worker's sweep may remove another's live upload.
    from tests.served import serve_process

    proc, url = serve_process(str(tmp_path / "s.sqlite"), 3)
    try:
        project = requests.post(f"{url}/v1/project", json={"name": "big"}, timeout=10).json()
        # Sessions opened at once are spread over the workers by the kernel.
        sessions = [requests.Session() for _ in range(12)]
        with ThreadPoolExecutor(len(sessions)) as pool:
            list(pool.map(lambda s: s.get(f"{url}/version", timeout=10), sessions))
        for n in range(24):
            issued = sessions[n % 12].post(f"{url}/logs3/overflow", json={"size_bytes": 1},
                                           timeout=10)
            assert issued.status_code == 200, issued.text
            rows = [{"id": f"r{n}", "project_id": project["id"], "log_id": "g", "input": n}]
            put = sessions[(n + 1) % 12].put(issued.json()["signedUrl"],
                                             data=json.dumps({"rows": rows}), timeout=10)
            assert put.status_code == 200, put.text
            claim = sessions[(n + 5) % 12].post(f"{url}/logs3", timeout=10, json={
                "rows": {"type": "logs3_overflow", "key": issued.json()["key"]}})
            assert claim.status_code == 200, claim.text
        found = {r.data["id"] for r in Store(str(tmp_path / "s.sqlite")).rows(
            "project_logs", project["id"])}
        assert found == {f"r{n}" for n in range(24)}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()


def test_a_new_spool_keeps_live_uploads_of_others_in_its_folder(tmp_path: Path) -> None:
    # Another server (or a restarted worker) over the same folder must not delete
    # uploads that are still waiting for their claim.
    first = UploadSpool(tmp_path, ttl=600.0)
    key = first.issue()
    first.put(key, b'{"rows": []}')
    UploadSpool(tmp_path, ttl=600.0)
    assert first.claim(key) == b'{"rows": []}'


# -- 15. Idle connections -----------------------------------------------------

def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    # Closed if reading ends (after at most a 503 answer) before the deadline: a bound on
    # the wait, not a timing assertion.
    try:
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_idle_connections_are_closed_and_new_clients_still_served(tmp_path: Path) -> None:
    running = Running(Store(tmp_path / "s.sqlite"), max_connections=20, idle_timeout=1.0)
    sockets: list[socket.socket] = []
    try:
        for i in range(120):
            sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            if i % 3 == 1:  # half a request line and headers, then silence (slowloris)
                sock.sendall(b"GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            elif i % 3 == 2:  # a body that never finishes
                sock.sendall(b"POST /v1/project HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
            sockets.append(sock)
        # Far more idle sockets than the cap are open, and a new client is served.
        assert requests.get(f"{running.url}/version", timeout=10).status_code == 200
        deadline = time.monotonic() + 60
        closed = [_closed_by_server(s, deadline) for s in sockets]
        assert all(closed), f"{closed.count(False)} idle connections were left open"
        with requests.Session() as session:  # keep-alive clients work as before
            for _ in range(3):
                assert session.get(f"{running.url}/version", timeout=10).status_code == 200
    finally:
        for sock in sockets:
            sock.close()
        running.stop()



def test_when_every_connection_is_busy_a_new_one_gets_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import threading

    gate, arrived = threading.Event(), threading.Semaphore(0)

    class SlowModel(http.server.BaseHTTPRequestHandler):
        # An OpenAI-compatible endpoint that answers only once the gate opens.
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            arrived.release()
            gate.wait(60)
            body = json.dumps({"id": "c", "object": "chat.completion", "created": 0,
                               "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
                               "message": {"role": "assistant", "content": "ok"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    model = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowModel)
    threading.Thread(target=model.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{model.server_address[1]}/v1")
    store = Store(tmp_path / "s.sqlite")
    project = store.ensure_project(name="busy")
    store.save_prompt(project["id"], "p", {"name": "P", "prompt_data": {
        "prompt": {"type": "chat", "messages": [{"role": "user", "content": "hi"}]},
        "options": {"model": "m", "params": {}}}})
    running = Running(store, max_connections=2, idle_timeout=30)
    answers: list[Any] = []

    def invoke() -> None:
        answers.append(requests.post(f"{running.url}/function/invoke", timeout=60, json={
            "project_name": "busy", "slug": "p", "input": {}}).json())

    workers = [threading.Thread(target=invoke) for _ in range(2)]
    try:
        for worker in workers:
            worker.start()
        for _ in workers:
            assert arrived.acquire(timeout=60)  # both requests are being handled
        with socket.create_connection(("127.0.0.1", running.port), timeout=30) as third:
            answer = b""
            while chunk := third.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 503") and b"too many connections" in answer
    finally:
        gate.set()
        for worker in workers:
            worker.join(timeout=60)
        model.shutdown()
        running.stop()
    assert answers == ["ok", "ok"]  # busy requests are never cut

# -- 16. Malformed input: 400 with a message, never a 500 ---------------------

def test_malformed_bodies_and_parameters_get_400(served: tuple[Running, Store]) -> None:
    running, store = served
    url = running.url
    project = store.ensure_project(name="p")
    dataset = store.ensure_dataset(project["id"], "d")
    json_routes = ["/v1/project", "/v1/experiment", "/v1/dataset", "/logs3", "/logs3/overflow",
                   "/v1/prompt", "/attachment", "/attachment/status", "/function/invoke",
                   f"/v1/dataset/{dataset['id']}/fetch", "/v1/experiment/x/fetch"]
    cases: list[tuple[str, str, Any]] = []
    for path in json_routes:
        for body in ([], [1], "text", 3, None, True):
            cases.append(("POST", path, body))
    pid = project["id"]
    cases += [
        ("POST", "/logs3", {"rows": [{"id": {"a": 1}, "project_id": pid}]}),
        ("POST", "/logs3", {"rows": [{"id": 7, "project_id": pid}]}),
        ("POST", "/logs3", {"rows": [{"id": "a", "project_id": {"x": 1}}]}),
        ("POST", "/logs3", {"rows": [["not", "an", "object"]]}),
        ("POST", "/logs3", {"rows": {"type": "logs3_overflow", "key": {"k": 1}}}),
        ("POST", f"/v1/dataset/{dataset['id']}/fetch", {"version": "abc"}),
        ("POST", f"/v1/dataset/{dataset['id']}/fetch", {"version": {"v": 1}}),
        ("POST", f"/v1/dataset/{dataset['id']}/fetch", {"version": 1.5}),
        ("POST", "/v1/project", {"name": {"a": 1}}),
        ("POST", "/v1/experiment", {"project_id": 5}),
        ("POST", "/v1/experiment", {"project_id": pid, "name": ["x"]}),
        ("POST", "/v1/dataset", {"project_id": pid, "name": 3}),
        ("POST", "/v1/prompt", {"project_id": pid, "slug": {"s": 1}}),
        ("POST", "/function/invoke", {"function_id": {"x": 1}}),
        ("POST", "/function/invoke", {"project_name": ["p"], "slug": "s"}),
        ("POST", "/attachment", {"key": 5}),
        ("POST", "/attachment", {"key": "k", "filename": {"f": 1}}),
        ("GET", "/v1/prompt?project_id=x&slug=s&version=abc", None),
        ("GET", f"/ui-api/projects/{pid}/logs?limit=abc", None),
        ("GET", f"/ui-api/projects/{pid}/logs?limit=1e9", None),
        ("GET", f"/ui-api/projects/{pid}/logs?offset=-1", None),
        ("GET", f"/ui-api/datasets/{dataset['id']}?version=abc", None),
    ]
    failures = []
    for method, path, body in cases:
        kwargs: dict[str, Any] = {} if method == "GET" else {"data": json.dumps(body)}
        resp = requests.request(method, url + path, timeout=10, **kwargs)
        try:
            message = resp.json().get("error")
        except ValueError:
            message = None
        if resp.status_code != 400 or not message:
            failures.append((method, path, body, resp.status_code, resp.text[:100]))
    assert failures == []
    # Valid versions and limits still work (a huge limit is clamped, not refused).
    for query in ("limit=1000000000&offset=0", "offset=" + "9" * 5000):
        ok = requests.get(f"{url}/ui-api/projects/{pid}/logs?{query}", timeout=10)
        assert ok.status_code == 200 and ok.json()["rows"] == []
    assert requests.post(f"{url}/v1/dataset/{dataset['id']}/fetch", json={"version": "1"},
                         timeout=10).status_code == 200


# -- 17. Security headers -----------------------------------------------------

def test_security_headers_and_attachment_downloads(served: tuple[Running, Store]) -> None:
    running, store = served
    for path in ("/", "/version", "/ui-api/projects", "/static/app.js", "/no/such/page"):
        resp = requests.get(running.url + path, timeout=10)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    store.put_attachment("att-1", b"<script>alert(1)</script>", "page ü.html", "text/html")
    resp = requests.get(f"{running.url}/attachment/data/att-1", timeout=10)
    assert resp.status_code == 200 and resp.content == b"<script>alert(1)</script>"
    assert resp.headers["Content-Disposition"] == \
        "attachment; filename*=UTF-8''page%20%C3%BC.html"
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


# -- The command line ---------------------------------------------------------

def test_serve_options_reach_the_server(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from braintrust.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    helptext = capsys.readouterr().out
    for option in ("--public-host", "--max-connections", "--idle-timeout"):
        assert option in helptext
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = _serve_cli(port, "--store", str(tmp_path / "cli.sqlite"), "--idle-timeout", "1",
                        "--max-connections", "4", "--public-host", "bt.test")
    try:
        assert requests.get(f"{url}/version", headers={"Host": f"bt.test:{port}"},
                            timeout=10).status_code == 200
        assert requests.get(f"{url}/version", headers={"Host": f"other.test:{port}"},
                            timeout=10).status_code == 400
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(8)]
        assert requests.get(f"{url}/version", timeout=10).status_code == 200
        deadline = time.monotonic() + 60
        assert all(_closed_by_server(s, deadline) for s in idle)
        for sock in idle:
            sock.close()
        bad = subprocess.run([sys.executable, "-m", "braintrust", "serve", "--max-connections",
                              "0", "--store", str(tmp_path / "cli.sqlite")],
                             capture_output=True, text=True, env=_clean_env(), timeout=60)
        assert bad.returncode == 2 and "max_connections" in bad.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
