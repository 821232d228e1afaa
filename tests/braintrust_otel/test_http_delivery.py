"""Delivery to the Braintrust REST API, against a fake service on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests

import braintrust
from braintrust_otel import diagnostics
from braintrust_otel.api import ApiConnection, LoginError
from braintrust_otel.sinks.http import HttpSink
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.spool import Spool
from tests.conftest import use_sink
from tests.fake_braintrust import GOOD_KEY, FakeBraintrust


def _log_rows(n: int, project: str = "p") -> set[str]:
    logger = braintrust.init_logger(project=project)
    return {logger.log(input={"i": i}, output=i) for i in range(n)}


def test_request_sequence_headers_and_bodies(api: HttpSink, fake: FakeBraintrust) -> None:
    logger = braintrust.init_logger(project="p")
    row_id = logger.log(input={"q": "hi"}, output={"a": "yo"}, scores={"acc": 0.5},
                        metadata={"m": 1}, tags=["t1"])
    with logger.start_span(name="root") as root, root.start_span(name="child", type="llm"):
        pass
    assert braintrust.flush() is True
    assert fake.paths() == ["POST /api/apikey/login", "POST /v1/project", "GET /version",
                            "POST /logs3"]
    login, project, _, logs3 = fake.requests
    assert all(r["headers"]["Authorization"] == f"Bearer {GOOD_KEY}" for r in fake.requests)
    assert login["body"] is None
    assert project["body"] == {"name": "p", "org_name": "test-org"}
    body = logs3["body"]
    assert set(body) == {"rows", "api_version"} and body["api_version"] == 2
    rows = {r["span_attributes"]["name"]: r for r in body["rows"]}
    assert len(body["rows"]) == 3
    pid = fake.projects["p"]
    logged = next(r for r in body["rows"] if r["id"] == row_id)
    assert logged["project_id"] == pid and logged["log_id"] == "g"
    assert logged["input"] == {"q": "hi"} and logged["output"] == {"a": "yo"}
    assert logged["scores"] == {"acc": 0.5} and logged["metadata"] == {"m": 1}
    assert logged["tags"] == ["t1"]
    assert logged["span_parents"] is None and "_parent" not in logged
    assert logged["created"].endswith("+00:00")
    assert {"start", "end"} <= set(logged["metrics"])
    assert rows["child"]["span_parents"] == [rows["root"]["span_id"]]
    assert rows["child"]["root_span_id"] == rows["root"]["root_span_id"]


def test_5xx_is_retried_and_every_row_arrives_once(api: HttpSink, fake: FakeBraintrust) -> None:
    fake.fail("/logs3", 503, times=2)
    ids = _log_rows(50)
    assert braintrust.flush() is True
    assert set(fake.rows) == ids
    assert fake.logs3_requests == 1
    assert len(fake.logs3_bodies()) == 3


def test_429_honours_retry_after(api: HttpSink, fake: FakeBraintrust,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("braintrust_otel.sinks.http.time.sleep", slept.append)
    fake.fail("/logs3", 429, headers={"Retry-After": "7"})
    ids = _log_rows(5)
    braintrust.flush()
    assert slept == [7.0]
    assert set(fake.rows) == ids


def test_4xx_is_not_retried_and_is_reported_with_the_message(
    api: HttpSink, fake: FakeBraintrust, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("/logs3", 403, body='{"error": "row schema mismatch"}')
    _log_rows(3)
    braintrust.flush()
    assert len(fake.logs3_bodies()) == 1  # a 403 refuses every half alike: not halved
    assert diagnostics.counts()["rejected"] == 3
    err = capsys.readouterr().err
    assert "HTTP 403" in err and "row schema mismatch" in err
    kept = list((api.spool.directory / "rejected").iterdir())
    assert len(kept) == 1 and len(kept[0].read_text().splitlines()) == 3


def test_timeout_is_retried_idempotently(fake: FakeBraintrust, tmp_path: Path) -> None:
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=0.3)
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, backoff_cap=0.02)
    use_sink(sink)
    try:
        conn.login()
        conn.project_id("p")
        conn.payload_limit()
        fake.delay("/logs3", 1.0)
        ids = _log_rows(20)
        assert braintrust.flush() is True
        # The slow request was stored too, so the server saw those rows twice, by id.
        assert set(fake.rows) == ids
        assert fake.row_writes >= 20
    finally:
        use_sink(LocalSink(tmp_path / "x.sqlite", notice=False))


def test_service_down_spools_then_delivers_when_back(api: HttpSink,
                                                     fake: FakeBraintrust) -> None:
    api.conn.login()
    api.conn.project_id("p")
    fake.stop()
    ids = _log_rows(200)
    assert braintrust.flush(2) is False  # cannot deliver now: rows wait on disk
    assert api.spool.pending_rows() == 200
    assert diagnostics.counts()["service_down"] >= 1
    fake.start()  # same port
    assert braintrust.flush() is True
    assert set(fake.rows) == ids
    assert api.spool.pending_rows() == 0


def test_server_stopping_mid_run_loses_nothing(api: HttpSink, fake: FakeBraintrust) -> None:
    logger = braintrust.init_logger(project="p")
    ids = set()
    for i in range(600):
        if i == 200:
            braintrust.flush()
            fake.stop()
        if i == 400:
            fake.start()
        ids.add(logger.log(input=i))
    braintrust.flush()
    for _ in range(50):
        if braintrust.flush(1):
            break
    assert set(fake.rows) == ids


def test_connection_refused_from_the_start(tmp_path: Path) -> None:
    with FakeBraintrust() as server:
        url = server.url
    conn = ApiConnection(api_key=GOOD_KEY, app_url=url, timeout=1)
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, cooldown_cap=0.1)
    use_sink(sink)
    try:
        _log_rows(10)
        assert braintrust.flush(1) is False
        assert sink.spool.pending_rows() == 10
    finally:
        use_sink(LocalSink(tmp_path / "x.sqlite", notice=False))


def test_requests_respect_the_payload_limit(tmp_path: Path) -> None:
    with FakeBraintrust(payload_limit=4000) as server:
        conn = ApiConnection(api_key=GOOD_KEY, app_url=server.url)
        use_sink(HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01))
        try:
            ids = _log_rows(100)
            big = braintrust.init_logger(project="p").log(input="x" * 20_000)
            assert braintrust.flush() is True
        finally:
            use_sink(LocalSink(tmp_path / "x.sqlite", notice=False))
        logs3 = [r for r in server.requests if r["path"] == "/logs3"]
        assert len(logs3) > 1 and all(r["size"] <= 4000 for r in logs3)
        assert set(server.rows) == ids | {big}
        assert server.rows[big]["input"] == "x" * 20_000
        overflow = [r for r in server.requests if r["path"] == "/logs3/overflow"]
        assert len(overflow) == 1
        meta = overflow[0]["body"]
        assert meta["content_type"] == "application/json" and meta["size_bytes"] > 20_000
        assert meta["rows"][0]["object_ids"] == {"project_id": server.projects["p"],
                                                 "log_id": "g"}
        upload = next(r for r in server.requests if r["path"].startswith("/upload/"))
        assert upload["method"] == "PUT" and "Authorization" not in upload["headers"]
        ref = next(b for b in server.logs3_bodies() if isinstance(b["rows"], dict))
        assert ref["rows"]["type"] == "logs3_overflow" and ref["api_version"] == 2


def test_413_splits_the_request(api: HttpSink, fake: FakeBraintrust) -> None:
    fake.fail("/logs3", 413)
    ids = _log_rows(10)
    assert braintrust.flush() is True
    assert set(fake.rows) == ids
    sizes = [len(b["rows"]) for b in fake.logs3_bodies()]
    assert sizes == [10, 5, 5]


def test_wrong_api_key_is_a_clear_error_and_the_app_keeps_running(
    fake: FakeBraintrust, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "sk-wrong-secret-value"
    with pytest.raises(LoginError, match="check the API key") as info:
        braintrust.login(api_key=bad, app_url=fake.url)
    assert bad not in str(info.value)
    conn = ApiConnection(api_key=bad, app_url=fake.url)
    sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01, cooldown_cap=0.1)
    use_sink(sink)
    diagnostics.reset()
    try:
        logger = braintrust.init_logger(project="p")
        logger.log(input=1)
        braintrust.flush(1)
        assert sink.spool.pending_rows() == 1
        err = capsys.readouterr().err
        assert "login" in err and bad not in err
        assert bad not in repr(conn) and bad not in repr(sink)
        for path in sink.spool.directory.rglob("*"):
            if path.is_file():
                assert bad not in path.read_text()
    finally:
        use_sink(LocalSink(tmp_path / "x.sqlite", notice=False))


def test_org_is_chosen_by_name(tmp_path: Path) -> None:
    with FakeBraintrust(orgs=["first", "second"]) as server:
        conn = ApiConnection(api_key=GOOD_KEY, app_url=server.url, org_name="second")
        assert conn.login()["name"] == "second"
        conn.project_id("p")
        assert server.requests[-1]["body"] == {"name": "p", "org_name": "second"}
        default = ApiConnection(api_key=GOOD_KEY, app_url=server.url)
        assert default.login()["name"] == "first"
        with pytest.raises(LoginError, match=r"organization 'third' not found.*first, second"):
            ApiConnection(api_key=GOOD_KEY, app_url=server.url, org_name="third").login()


def test_arguments_win_over_environment(fake: FakeBraintrust,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_API_KEY", "sk-env")
    monkeypatch.setenv("BRAINTRUST_APP_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BRAINTRUST_ORG_NAME", "env-org")
    conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, org_name="test-org")
    assert conn.login()["name"] == "test-org"
    from_env = ApiConnection()
    assert from_env.app_url == "http://127.0.0.1:9" and from_env.org_name == "env-org"
    monkeypatch.setenv("BRAINTRUST_API_URL", fake.url + "/")
    assert ApiConnection().api_url == fake.url


def test_set_http_adapter_is_used(api: HttpSink, fake: FakeBraintrust) -> None:
    sent: list[str] = []

    class Counting(requests.adapters.HTTPAdapter):
        def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(request.url)
            return super().send(request, *args, **kwargs)

    braintrust.set_http_adapter(Counting())
    try:
        _log_rows(2)
        braintrust.flush()
    finally:
        braintrust.set_http_adapter(None)
    assert any(url.endswith("/logs3") for url in sent)
    with pytest.raises(TypeError, match="adapter"):
        braintrust.set_http_adapter("nope")  # type: ignore[arg-type]


def test_async_flush_false_delivers_on_span_end(api: HttpSink, fake: FakeBraintrust) -> None:
    logger = braintrust.init_logger(project="p", async_flush=False)
    with logger.start_span(name="now") as span:
        pass
    assert span.id in fake.rows  # no flush() call


def test_permalink_uses_the_login(api: HttpSink, fake: FakeBraintrust) -> None:
    logger = braintrust.init_logger(project="p")
    logger.log(input=1)
    braintrust.flush()
    with logger.start_span(name="s") as span:
        pass
    link = span.permalink()
    assert link.startswith(f"{fake.url}/app/test-org/object?object_type=project_logs")
    assert f"object_id={fake.projects['p']}" in link


def test_spool_is_bounded_and_drops_are_counted(tmp_path: Path) -> None:
    diagnostics.reset()
    spool = Spool(tmp_path / "s", max_bytes=3000)
    for i in range(10):
        spool.put([{"id": str(i), "input": "x" * 500}])
    assert 0 < spool.pending_rows() < 10
    assert diagnostics.counts()["dropped"] == 10 - spool.pending_rows()


def _run(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=full,
                          capture_output=True, text=True, timeout=timeout)


def _sub_env(fake_url: str, tmp_path: Path) -> dict[str, str]:
    return {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": fake_url,
            "BRAINTRUST_SPOOL_DIR": str(tmp_path / "spool"),
            "OTEL_BSP_SCHEDULE_DELAY": "3600000", "BRAINTRUST_EXIT_FLUSH_SECONDS": "3"}


def test_flush_at_exit(fake: FakeBraintrust, tmp_path: Path) -> None:
    proc = _run("""
        import braintrust
        logger = braintrust.init_logger(project="exit")
        for i in range(700):
            logger.log(input=i)
    """, _sub_env(fake.url, tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert len(fake.rows) == 700


def test_flush_on_sigterm(fake: FakeBraintrust, tmp_path: Path) -> None:
    proc = _run("""
        import os, signal, time
        import braintrust
        logger = braintrust.init_logger(project="term")
        for i in range(300):
            logger.log(input=i)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
    """, _sub_env(fake.url, tmp_path))
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert len(fake.rows) == 300


def test_spool_from_a_dead_process_is_sent_by_the_next(fake: FakeBraintrust,
                                                       tmp_path: Path) -> None:
    env = _sub_env(fake.url, tmp_path)
    port = fake.port
    fake.stop()
    first = _run("""
        import braintrust
        logger = braintrust.init_logger(project="later")
        for i in range(50):
            logger.log(input=i)
        braintrust.flush(1)
    """, dict(env, BRAINTRUST_EXIT_FLUSH_SECONDS="0.5"))
    assert first.returncode == 0, first.stderr
    assert Spool(tmp_path / "spool").pending_rows() == 50
    fake.port = port
    fake.start()
    second = _run("""
        import braintrust
        braintrust.init_logger(project="later")
        assert braintrust.flush()
    """, env)
    assert second.returncode == 0, second.stderr
    assert len(fake.rows) == 50
    assert Spool(tmp_path / "spool").pending_rows() == 0


def test_fork_child_delivers_its_own_rows_and_nothing_twice(fake: FakeBraintrust,
                                                           tmp_path: Path) -> None:
    proc = _run("""
        import os
        import braintrust
        logger = braintrust.init_logger(project="fork")
        logger.log(input="before")
        braintrust.flush()
        logger.log(input="queued-at-fork")
        pid = os.fork()
        if pid == 0:
            logger.log(input="child")
            braintrust.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        logger.log(input="after")
        braintrust.flush()
    """, _sub_env(fake.url, tmp_path))
    assert proc.returncode == 0, proc.stderr
    inputs = sorted(r["input"] for r in fake.rows.values())
    assert inputs == ["after", "before", "child", "queued-at-fork"]
    sent = [r["id"] for b in fake.logs3_bodies() for r in b["rows"]]
    assert len(sent) == len(set(sent)) == 4


def test_exit_with_a_hung_service_is_bounded_and_rows_are_spooled(tmp_path: Path) -> None:
    with FakeBraintrust() as server:
        env = _sub_env(server.url, tmp_path)
        server.delay("/logs3", 20.0, times=50)  # the service hangs on every logs3
        proc = _run("""
            import braintrust
            logger = braintrust.init_logger(project="hung")
            braintrust.login()
            for i in range(30):
                logger.log(input=i)
        """, dict(env, BRAINTRUST_EXIT_FLUSH_SECONDS="1", BRAINTRUST_HTTP_TIMEOUT="30"),
            timeout=25)  # unbounded, exit would wait 4 tries x 20 s
        assert proc.returncode == 0, proc.stderr
    # Nothing was lost: whatever the hung service did not take waits in the spool.
    assert Spool(tmp_path / "spool").pending_rows() + len(server.rows) >= 30


def test_late_fields_are_merged_into_the_row_before_sending(api: HttpSink,
                                                            fake: FakeBraintrust) -> None:
    api.conn.login()
    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="late")
    span.log(input="in")
    span.end()
    span.log(output="out", scores={"s": 1})
    braintrust.flush()
    assert fake.rows[span.id]["input"] == "in"
    assert fake.rows[span.id]["output"] == "out" and fake.rows[span.id]["scores"] == {"s": 1}
    merges = [r for b in fake.logs3_bodies() for r in b["rows"] if r.get("_is_merge")]
    assert len(merges) == 1 and "created" not in merges[0]


def test_eval_against_the_service(api: HttpSink, fake: FakeBraintrust) -> None:
    data = [{"input": "a", "expected": "A"}, {"input": "b", "expected": "X"}]

    def exact(output: str, expected: str) -> bool:
        return output == expected

    first = braintrust.Eval("svc", data=data, task=str.upper, scores=[exact],
                            experiment_name="one", quiet=True)
    second = braintrust.Eval("svc", data=data, task=lambda s: "X" if s == "b" else s.upper(),
                             scores=[exact], quiet=True)
    created = [r for r in fake.requests if r["path"] == "/v1/experiment"
               and r["method"] == "POST"]
    assert created[0]["body"] == {"project_id": fake.projects["svc"], "ensure_new": True,
                                  "public": False, "name": "one"}
    assert first.summary is not None and first.summary.experiment_name == "one"
    assert second.summary is not None
    assert second.summary.comparison_experiment_name == "one"
    score = second.summary.scores["exact"]
    assert score.score == 1.0 and score.diff == pytest.approx(0.5)
    assert (score.improvements, score.regressions) == (1, 0)
    exp_rows = [r for r in fake.rows.values() if r.get("experiment_id") == first.summary
                .experiment_id]
    assert len(exp_rows) == 6
    assert first.summary.experiment_url == f"{fake.url}/app/test-org/p/svc/experiments/one"


def test_a_rejected_half_of_a_split_does_not_hold_back_the_other(
    api: HttpSink, fake: FakeBraintrust
) -> None:
    fake.fail("/logs3", 413)  # the whole batch is too large: split in halves
    fake.fail("/logs3", 403)  # the first half is rejected
    ids = {f"row-{i}" for i in range(8)}
    api.write([{"id": f"row-{i}", "input": i, "_parent": "project_name:p"} for i in range(8)])
    assert api.flush() is True  # write() only hands the rows to the sender thread
    sent = [b["rows"] for b in fake.logs3_bodies()]
    assert [len(rows) for rows in sent] == [8, 4, 4]
    assert set(fake.rows) == {r["id"] for r in sent[2]}
    assert len(fake.rows) == 4 and set(fake.rows) < ids
    assert diagnostics.counts()["rejected"] == 4
