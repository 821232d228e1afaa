"""How each /logs3 request is made: the environment read once per interval, not per
request, with proxies, hooks and cookies still honoured (fake service on 127.0.0.1)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from braintrust_otel import api
from braintrust_otel.api import ApiConnection
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.spool import Spool
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP: records each absolute URL, then relays it."""

    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _relay(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=5)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection")}
        conn.request(self.command, target.path or "/", body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _relay


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Recording", (_Proxy,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def _sink(fake: FakeBraintrust, tmp_path: Path) -> HttpSink:
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
    return HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, backoff_cap=0.05,
                    cooldown_cap=0.2)


def _deliver(sink: HttpSink, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        sink.write([{"id": f"row-{i}", "input": i, "_parent": "project_name:p"}])
        assert sink.flush(10)


def _logs3(fake: FakeBraintrust) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["path"] == "/logs3"]


def test_logs3_requests_read_the_environment_once_not_each_time(
        fake: FakeBraintrust, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        no_proxy_env: None) -> None:
    # Session.request reads every environment variable twice for proxies (and
    # looks for a .netrc) on each call: as much work as the rest of a request.
    reads: list[str] = []
    merge = requests.Session.merge_environment_settings

    def counting(self: requests.Session, url: Any, *args: Any, **kwargs: Any) -> Any:
        reads.append(str(url))
        return merge(self, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "merge_environment_settings", counting)
    sink = _sink(fake, tmp_path)
    try:
        _deliver(sink, 5)
    finally:
        sink.shutdown()
    assert len(_logs3(fake)) == 5
    assert sum(url.endswith("/logs3") for url in reads) == 1


def test_a_proxy_set_in_the_environment_is_used_and_a_change_is_seen(
        fake: FakeBraintrust, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        proxy: tuple[str, list[str]], no_proxy_env: None) -> None:
    proxy_url, seen = proxy
    sink = _sink(fake, tmp_path)
    try:
        _deliver(sink, 1)
        assert not seen  # no proxy configured: straight to the service
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setattr(api, "ENVIRONMENT_TTL", 0.0)  # read again at once
        _deliver(sink, 2, start=1)
    finally:
        sink.shutdown()
    assert [line for line in seen if line.endswith("/logs3")] == [
        f"POST {fake.url}/logs3", f"POST {fake.url}/logs3"]
    assert len(_logs3(fake)) == 3
    assert set(fake.rows) >= {"row-0", "row-1", "row-2"}


def test_hooks_and_cookies_added_later_still_apply(
        fake: FakeBraintrust, tmp_path: Path, no_proxy_env: None) -> None:
    sink = _sink(fake, tmp_path)
    answered: list[int] = []
    try:
        _deliver(sink, 1)
        # After the first request: the session's hooks and cookie jar change.
        sink.conn.session.hooks["response"].append(
            lambda resp, **kw: answered.append(resp.status_code))
        host = urlsplit(fake.url).hostname
        sink.conn.session.cookies.set("lb", "sticky-1", domain=host, path="/")
        _deliver(sink, 1, start=1)
    finally:
        sink.shutdown()
    first, second = _logs3(fake)
    assert "Cookie" not in first["headers"]
    assert second["headers"].get("Cookie") == "lb=sticky-1"
    assert second["headers"]["Authorization"] == f"Bearer {GOOD_KEY}"
    assert second["headers"]["Content-Type"] == "application/json"
    assert answered == [200]
