"""One store on SQLite and PostgreSQL: concurrent writers, merges, transaction-id order,
several ``braintrust serve`` processes (and workers) on one database."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from braintrust_otel.store import Store
from tests.conftest import ROOT
from tests.served import serve_process

WRITERS = 4
MERGES = 40


def _merge_into_shared(location: str, writer: int) -> None:
    store = Store(location)
    for i in range(MERGES):
        store.write([("project_logs", "p", {"id": "shared", "_is_merge": True,
                                            "metadata": {f"w{writer}-{i}": i}})])


def test_concurrent_merges_from_several_processes_lose_no_update(store_location: str) -> None:
    Store(location := store_location).write([("project_logs", "p", {"id": "shared",
                                                                    "metadata": {}})])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_merge_into_shared, args=(location, w)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    [row] = list(Store(location).rows("project_logs", "p"))
    # A merge that read the row before another's commit would drop that one's key.
    assert len(row.data["metadata"]) == WRITERS * MERGES
    assert row.xact_id == WRITERS * MERGES + 1


def _write_batches(location: str, writer: int, batches: int) -> None:
    store = Store(location)
    for b in range(batches):
        store.write([("project_logs", "p", {"id": f"{writer}-{b}-{i}", "input": i})
                     for i in range(20)])


def test_transaction_ids_appear_in_order_to_a_concurrent_reader(store_location: str) -> None:
    # Ids are handed out in commit order: a reader never sees id n+1 before n,
    # so "everything after the last id I saw" is a safe way to follow a log.
    location = store_location
    reader = Store(location)
    reader.write([("project_logs", "p", {"id": "first"})])
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_batches, args=(location, w, 25)) for w in range(WRITERS)]
    for proc in procs:
        proc.start()
    snapshots = 0
    while any(proc.is_alive() for proc in procs) or snapshots == 0:
        seen = sorted({r.xact_id for r in reader.rows("project_logs", "p")})
        assert seen == list(range(seen[0], seen[0] + len(seen))), "a gap in transaction ids"
        snapshots += 1
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    assert reader.count("project_logs", "p") == 1 + WRITERS * 25 * 20


@pytest.fixture
def two_servers(postgres: Any) -> Iterator[tuple[str, list[str]]]:
    """Two ``braintrust serve`` processes on one PostgreSQL database, one with 2 workers."""
    location = postgres.new_database()
    started = [serve_process(location, 2), serve_process(location, 1)]
    yield location, [url for _, url in started]
    for proc, _ in started:
        proc.send_signal(signal.SIGTERM)
    for proc, _ in started:
        # uvicorn shuts down, then re-raises the signal it caught.
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        if proc.stderr:
            proc.stderr.close()


def _client(urls: list[str], project_id: str, client: int) -> None:
    session = requests.Session()
    for b in range(10):
        base = urls[b % len(urls)]
        other = urls[(b + 1) % len(urls)]
        rows = [{"id": f"c{client}-{b}-{i}", "project_id": project_id, "log_id": "g",
                 "input": i} for i in range(25)]
        session.post(base + "/logs3", json={"rows": rows, "api_version": 2},
                     timeout=60).raise_for_status()
        # The merge goes to the other server: it must see the first's commit.
        merges = [{"id": r["id"], "project_id": project_id, "log_id": "g", "_is_merge": True,
                   "output": f"o{client}"} for r in rows]
        session.post(other + "/logs3", json={"rows": merges, "api_version": 2},
                     timeout=60).raise_for_status()


def test_several_servers_and_workers_share_one_postgres_database(
        two_servers: tuple[str, list[str]]) -> None:
    location, urls = two_servers
    project = requests.post(urls[0] + "/v1/project", json={"name": "team"}, timeout=10).json()
    # The same project, found by name through the other process.
    again = requests.post(urls[1] + "/v1/project", json={"name": "team"}, timeout=10).json()
    assert again["id"] == project["id"]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_client, args=(urls, project["id"], c)) for c in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    rows = list(Store(location).rows("project_logs", project["id"]))
    assert len(rows) == 4 * 10 * 25
    for row in rows:
        client = row.data["id"].split("-")[0][1:]
        assert row.data["input"] is not None and row.data["output"] == f"o{client}"
    xacts = [r.xact_id for r in rows]
    assert xacts == sorted(xacts)  # rows() is write order
    # Every batch was one transaction: 80 merges, each its own id.
    assert len(set(xacts)) == 4 * 10
    # And each server reads back what the other wrote.
    for url in urls:
        fetched = requests.post(f"{url}/v1/project_logs/{project['id']}/fetch", json={},
                                timeout=30)
        fetched.raise_for_status()
        assert len(fetched.json()["events"]) == 4 * 10 * 25


def test_listings_filters_versions_and_attachments_on_both_engines(store_location: str) -> None:
    # The parts spelled per engine: JSON fields, text search, row order, blobs.
    store = Store(store_location)
    pid = store.ensure_project(name="p")["id"]
    store.write([("project_logs", pid, {
        "id": f"r{i}", "span_id": f"s{i}", "root_span_id": f"s{i}", "span_parents": None,
        "created": f"2026-01-01T00:00:0{i}Z", "input": "Hello 100% Done" if i == 1 else i,
        "error": "boom" if i == 2 else None,
        "span_attributes": {"type": "llm" if i == 3 else "task"}}) for i in range(5)])
    rows, total = store.roots("project_logs", pid, limit=2)
    assert total == 5 and [r["id"] for r in rows] == ["r4", "r3"]
    assert [r["id"] for r in store.roots("project_logs", pid, search="hello 100%")[0]] == ["r1"]
    assert [r["id"] for r in store.roots("project_logs", pid, errors_only=True)[0]] == ["r2"]
    assert [r["id"] for r in store.roots("project_logs", pid, span_type="llm")[0]] == ["r3"]
    assert store.recent_traces("project_logs", pid, limit=1) == ["s4"]
    assert [r["id"] for r in store.trace("project_logs", pid, "s1")] == ["r1"]
    store.write([("project_logs", pid, {"id": f"c{i}", "created": f"2026-01-02T00:00:0{i}Z",
                                        "origin": {"id": "r1"}, "comment": {"text": f"note {i}"}})
                 for i in (2, 1)])
    assert store.comments("project_logs", pid, ["r1", "r2"]) == {"r1": [
        {"text": "note 1", "created": "2026-01-02T00:00:01Z"},
        {"text": "note 2", "created": "2026-01-02T00:00:02Z"}]}
    assert store.roots("project_logs", pid)[1] == 5  # comments are not traces
    ds = store.ensure_dataset(pid, "d")
    store.write([("dataset", ds["id"], {"id": "a", "input": 1}),
                 ("dataset", ds["id"], {"id": "b", "input": 2})])
    version = store.dataset_version(ds["id"])
    assert version is not None
    store.write([("dataset", ds["id"], {"id": "a", "_object_delete": True})])
    assert [r["id"] for r in store.dataset_rows(ds["id"], version)] == ["a", "b"]
    assert [r["id"] for r in store.dataset_rows(ds["id"])] == ["b"]
    assert store.datasets(pid)[0]["name"] == "d"
    store.put_attachment("k", b"\x00bytes", "f.bin", "application/octet-stream")
    assert store.get_attachment("k") == b"\x00bytes" and store.has_attachment("k")
    assert store.attachment_info("k")["size"] == 6
    prompt = store.save_prompt(pid, "slug", {"name": "n"})
    assert store.prompts(pid)[0]["_xact_id"] == prompt["_xact_id"]
    exp = store.create_experiment(pid, "e")
    assert store.create_experiment(pid, "e")["name"] == "e-2"
    assert [e["id"] for e in store.experiments(pid)] == [exp["id"], store.experiments(pid)[1]["id"]]


def test_a_database_url_is_shown_without_its_password() -> None:
    store = Store("postgresql://team:s3cret@db.example:5432/bt")  # never connected
    assert store.location == "postgresql://team:***@db.example:5432/bt"
    assert Store("postgresql://team@db.example/bt").location == "postgresql://team@db.example/bt"


def _ids(location: str, object_id: str) -> list[str]:
    return [r.data["id"] for r in Store(location).rows("project_logs", object_id)]


def test_the_store_reconnects_after_postgres_restarts(postgres: Any) -> None:
    # The connection a store holds dies with the server; the next write must
    # open a new one rather than fail, and nothing written before is lost.
    location = postgres.new_database()
    store = Store(location)
    store.write([("project_logs", "p", {"id": "before"})])
    postgres.halt()
    postgres.resume()
    store.write([("project_logs", "p", {"id": "after"})])
    store.write([("project_logs", "p", {"id": "after", "_is_merge": True, "output": 1})])
    assert _ids(location, "p") == ["before", "after"]
    assert [r.data.get("output") for r in store.rows("project_logs", "p")] == [None, 1]


def test_the_server_answers_503_while_postgres_is_down_then_stores_the_retry(
        postgres: Any) -> None:
    # While the database is away a write cannot be stored: the client is told to
    # retry (503 with Retry-After, as the SDKs do), never a 200 for lost rows.
    from tests.served import Running

    location = postgres.new_database()
    running = Running(Store(location))
    try:
        url = running.url
        project = requests.post(f"{url}/v1/project", json={"name": "p"}, timeout=10).json()

        def post(row_id: str) -> requests.Response:
            return requests.post(f"{url}/logs3", timeout=30, json={"rows": [
                {"id": row_id, "project_id": project["id"], "log_id": "g"}]})

        assert post("one").status_code == 200
        postgres.halt()
        try:
            down = post("two")
            assert down.status_code == 503 and "Retry-After" in down.headers
            assert "database" in down.json()["error"]
        finally:
            postgres.resume()
        assert post("two").status_code == 200
        assert _ids(location, project["id"]) == ["one", "two"]
    finally:
        running.stop()


def test_the_embedded_sdk_writes_into_postgres_named_by_the_env(postgres: Any,
                                                                tmp_path: Any) -> None:
    # BRAINTRUST_LOCAL_STORE may name a team's PostgreSQL database: the SDK's
    # embedded backend (no API key) logs, runs evals and reads back through it.
    location = postgres.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRAINTRUST_", "OTEL_"))}
    env.update(BRAINTRUST_LOCAL_STORE=location, PYTHONPATH=str(ROOT / "src"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    script = (
        "import braintrust\n"
        "logger = braintrust.init_logger(project='team')\n"
        "with logger.start_span(name='root') as span:\n"
        "    span.log(input='q', output='a')\n"
        "braintrust.Eval('team', data=[{'input': 1, 'expected': 2}], task=lambda x: x + 1,\n"
        "                scores=[lambda output, expected: float(output == expected)],\n"
        "                experiment_name='e1')\n"
        "assert braintrust.flush()\n")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "postgresql://postgres@127.0.0.1" in done.stderr  # the notice names the database
    store = Store(location)
    project = store.find_project(name="team")
    assert project is not None
    logged = [r.data for r in store.rows("project_logs", project["id"])]
    assert [(r["input"], r["output"]) for r in logged] == [("q", "a")]
    experiment = store.find_experiment(project_id=project["id"], name="e1")
    assert experiment is not None
    assert any(r.data.get("scores") for r in store.rows("experiment", experiment["id"]))
    # Nothing went to a file named after the URL, nor to the default file.
    assert not list(tmp_path.glob("postgresql*"))
    assert not (tmp_path / "data" / "braintrust" / "store.sqlite").exists()


def test_a_batch_copied_into_postgres_sets_aside_only_its_bad_row(postgres: Any) -> None:
    # Batches of 16 rows or more reach PostgreSQL by COPY: a row it refuses (a NUL
    # in an id, which its text cannot hold) still fails alone, found by bisecting,
    # and merges in the same batch keep their meaning.
    location = postgres.new_database()
    store = Store(location)
    store.write([("project_logs", "p", {"id": "m", "metadata": {"a": 1}})])
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("project_logs", "p", {"id": f"r{i}", "input": i}) for i in range(40)]
    rows[17] = ("project_logs", "p", {"id": "bad\x00id", "input": 17})
    rows.append(("project_logs", "p", {"id": "m", "_is_merge": True, "metadata": {"b": 2}}))
    rejected = store.write_each(rows)
    assert [row["id"] for (_, _, row), _ in rejected] == ["bad\x00id"]
    stored = {r.data["id"]: r.data for r in store.rows("project_logs", "p")}
    assert len(stored) == 40 and "r16" in stored and "r18" in stored
    assert stored["m"]["metadata"] == {"a": 1, "b": 2}
