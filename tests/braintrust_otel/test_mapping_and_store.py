"""The store's merges and transaction ids, and folding merge rows (on SQLite and PostgreSQL).

The mapping tests moved to tests/braintrust_otel/mapping/ (tables per convention).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from braintrust_otel.store import Store


def test_store_merges_rows_and_numbers_transactions(store_location: str) -> None:
    store = Store(store_location)
    project = store.ensure_project(name="p")
    assert store.ensure_project(name="p") == project
    assert store.ensure_project(id=project["id"]) == project
    base = {"id": "r1", "span_id": "a", "root_span_id": "b", "span_parents": None,
            "created": "2024-01-01T00:00:00+00:00", "input": 1, "metadata": {"a": {"x": 1}}}
    x1 = store.write([("project_logs", project["id"], base)])
    x2 = store.write([("project_logs", project["id"], {
        "id": "r1", "_is_merge": True, "output": 2, "created": "later",
        "metadata": {"a": {"y": 2}, "b": 3}})])
    assert x2 > x1
    [stored] = list(store.rows("project_logs", project["id"]))
    assert stored.data["input"] == 1 and stored.data["output"] == 2
    assert stored.data["metadata"] == {"a": {"x": 1, "y": 2}, "b": 3}
    assert stored.data["created"] == "2024-01-01T00:00:00+00:00"
    assert "_is_merge" not in stored.data
    assert stored.xact_id == x2
    assert store.recent_traces("project_logs", project["id"]) == ["b"]
    assert [r["id"] for r in store.trace("project_logs", project["id"], "b")] == ["r1"]


def test_default_store_path_honours_env(monkeypatch: object, tmp_path: Path) -> None:

    from braintrust_otel.store import default_store_path

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.setenv("BRAINTRUST_LOCAL_STORE", str(tmp_path / "x.db"))
    assert default_store_path() == tmp_path / "x.db"
    mp.delenv("BRAINTRUST_LOCAL_STORE")
    mp.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_store_path() == tmp_path / "data" / "braintrust" / "store.sqlite"


def test_combine_rows_folds_merges_into_earlier_writes() -> None:
    from braintrust_otel.merge import combine_rows

    rows = [
        {"id": "a", "project_id": "p", "input": 1, "metadata": {"x": 1}},
        {"id": "b", "project_id": "p", "_is_merge": True, "output": 1},
        {"id": "a", "project_id": "p", "_is_merge": True, "output": 2, "metadata": {"y": 2}},
        {"id": "a", "project_id": "other", "_is_merge": True, "output": 3},
        {"id": "b", "project_id": "p", "_is_merge": True, "scores": {"s": 1}},
    ]
    out = combine_rows(rows)
    assert out == [
        {"id": "a", "project_id": "p", "input": 1, "output": 2, "metadata": {"x": 1, "y": 2}},
        {"id": "b", "project_id": "p", "_is_merge": True, "output": 1, "scores": {"s": 1}},
        {"id": "a", "project_id": "other", "_is_merge": True, "output": 3},
    ]


def test_a_batch_applies_in_order(store_location: str) -> None:
    store = Store(store_location)
    store.write([
        ("project_logs", "p", {"id": "a", "input": 1, "metadata": {"x": 1}}),
        ("project_logs", "p", {"id": "a", "_is_merge": True, "output": 2,
                               "metadata": {"y": 2}}),
        ("project_logs", "p", {"id": "b", "input": "gone"}),
        ("project_logs", "p", {"id": "b", "_object_delete": True}),
        ("project_logs", "p", {"id": "c", "_object_delete": True}),
        ("project_logs", "p", {"id": "c", "input": "back"}),
    ])
    rows = {r.data["id"]: r.data for r in store.rows("project_logs", "p")}
    assert set(rows) == {"a", "c"}
    assert rows["a"]["input"] == 1 and rows["a"]["output"] == 2
    assert rows["a"]["metadata"] == {"x": 1, "y": 2}
    assert rows["c"]["input"] == "back"


def test_a_rolled_back_batch_does_not_leave_stale_object_ids(store_location: str) -> None:
    import pytest

    db = store_location
    a, b = Store(db), Store(db)
    with pytest.raises(KeyError):
        a.write([("experiment", "e1", {"no": "id"})])  # rolls back, e1 never stored
    b.write([("experiment", "e2", {"id": "r2", "input": 2})])
    a.write([("experiment", "e1", {"id": "r1", "input": 1})])
    fresh = Store(db)
    assert [r.data["id"] for r in fresh.rows("experiment", "e1")] == ["r1"]
    assert [r.data["id"] for r in fresh.rows("experiment", "e2")] == ["r2"]


def test_a_new_store_file_uses_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    # 16 KiB pages make span writes about 1.5x faster (benchmarks/pipeline.py
    # --store-only); the writing connection's own checkpoint (a backstop behind
    # the checkpoint thread) comes at 128 MiB of WAL whatever the page size.
    import sqlite3

    new = Store(tmp_path / "new.sqlite")
    new.write([("project_logs", "p", {"id": "a", "input": "x" * 5000})])
    conn = new._connection().raw
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 8192  # 128 MiB
    old_path = tmp_path / "old.sqlite"
    with sqlite3.connect(old_path) as made_before:  # a store from an earlier version
        made_before.execute("PRAGMA page_size=4096")
        made_before.execute("PRAGMA journal_mode=WAL")
        made_before.execute("CREATE TABLE t (x)")
    old = Store(old_path)
    old.write([("project_logs", "p", {"id": "a", "input": "x" * 5000})])
    conn = old._connection().raw
    assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 32768
    assert [r.data["input"] for r in old.rows("project_logs", "p")] == ["x" * 5000]


def test_the_wal_is_checkpointed_by_a_thread_of_its_own_not_the_writing_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A checkpoint (the WAL copied into the database file, both synced) took
    # tens of milliseconds of the export worker's time per 32 MiB of WAL; a
    # thread of its own runs it now, and the writer's own is only a backstop.
    import threading

    from braintrust_otel.store import _db

    monkeypatch.setattr(_db, "_CHECKPOINT_TEXT", 256 * 1024)
    ran_in: list[str] = []
    checkpoint = _db._checkpoint

    def noted(path: Path) -> None:
        ran_in.append(threading.current_thread().name)
        checkpoint(path)

    monkeypatch.setattr(_db, "_checkpoint", noted)
    path = tmp_path / "s.sqlite"
    store = Store(path)
    for batch in range(4):
        store.write([("project_logs", "p", {"id": f"r{batch}-{i}", "input": "x" * 2000})
                     for i in range(100)])  # 200 KB of row text each
    thread = store._checkpointer
    assert thread is not None
    thread.join()
    assert ran_in and set(ran_in) == {"braintrust-store-checkpoint"}
    # The rows are in the database file itself now, not only in the WAL.
    assert path.stat().st_size > 600 * 1024
    assert len(list(store.rows("project_logs", "p"))) == 400
    store.close()
    assert not Path(f"{path}-wal").exists()


def test_the_writer_copies_the_wal_tail_after_a_checkpoint_so_the_wal_starts_over(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The WAL starts over only when a write begins with all of it copied; a
    # checkpoint thread racing back-to-back writes never leaves it so (here,
    # one that copies nothing). After each such checkpoint the writer copies
    # what is left before its next write, so the WAL file stays short.
    from braintrust_otel.store import _db

    monkeypatch.setattr(_db, "_CHECKPOINT_TEXT", 256 * 1024)
    monkeypatch.setattr(_db, "_checkpoint", lambda path: None)
    path = tmp_path / "s.sqlite"
    store = Store(path)
    for batch in range(30):
        store.write([("project_logs", "p", {"id": f"r{batch}-{i}", "input": "x" * 2000})
                     for i in range(100)])  # 200 KB of row text each
        if store._checkpointer is not None:
            store._checkpointer.join()
    assert Path(f"{path}-wal").stat().st_size < 2 << 20  # 6 MB of rows went through it
    assert len(list(store.rows("project_logs", "p"))) == 3000


def test_the_checkpoint_thread_does_not_make_a_deleted_store_again(tmp_path: Path) -> None:
    # The store can be deleted while in use (the handle notices and reports
    # it, see store_lost): a checkpoint starting after that must not leave an
    # empty database file behind at the path.
    from braintrust_otel.store._db import _checkpoint

    path = tmp_path / "s.sqlite"
    store = Store(path)
    store.write([("project_logs", "p", {"id": "a"})])
    store.close()
    path.unlink()
    _checkpoint(path)
    assert not path.exists()


def test_a_store_connection_keeps_the_id_indexes_of_a_large_store_in_its_page_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Random row and trace ids put each batch's index inserts all over both id
    # indexes; with SQLite's default 2 MiB cache a store of 100,000 rows read
    # their pages back for every batch, with 16 MiB one of 200,000
    # (benchmarks/store_writes.py --prefill): the cache grows with the file.
    from braintrust_otel.store import _db
    from braintrust_otel.store._db import _cache_kib

    store = Store(tmp_path / "s.sqlite")
    store.write([("project_logs", "p", {"id": "a"})])
    assert store._connection().raw.execute("PRAGMA cache_size").fetchone()[0] == -16 * 1024
    assert _cache_kib(0) == _cache_kib(256 << 20) == 16 * 1024
    assert _cache_kib(680 << 20) == 42.5 * 1024  # a store of about 200,000 span rows of 3 KB
    assert _cache_kib(4 << 30) == 64 * 1024
    # Opened again once the file has grown, a connection takes a larger cache
    # (the floor lowered here, so that 16 MB of rows show it).
    monkeypatch.setattr(_db, "_CACHE_KIB", 1024)
    big = Store(tmp_path / "big.sqlite")
    big.write([("project_logs", "p", {"id": f"r{i}", "input": "x" * 100_000})
               for i in range(240)])
    assert big._connection().raw.execute("PRAGMA cache_size").fetchone()[0] == -1024
    big.close()
    size = (tmp_path / "big.sqlite").stat().st_size
    assert size > 20 << 20
    cache = Store(tmp_path / "big.sqlite")._connection().raw.execute(
        "PRAGMA cache_size").fetchone()[0]
    assert cache == -(size // 16 // 1024) < -1024
    # And a handle that keeps writing grows its cache with the file (checked
    # as each checkpoint starts).
    monkeypatch.setattr(_db, "_CHECKPOINT_TEXT", 1 << 20)
    growing = Store(tmp_path / "growing.sqlite")
    for batch in range(24):
        growing.write([("project_logs", "p", {"id": f"r{batch}-{i}", "input": "x" * 100_000})
                       for i in range(10)])
        if growing._checkpointer is not None:
            growing._checkpointer.join()
    cache = growing._connection().raw.execute("PRAGMA cache_size").fetchone()[0]
    assert -_cache_kib((tmp_path / "growing.sqlite").stat().st_size) <= cache < -1024


def test_a_large_batch_reaches_sqlite_in_a_few_statements_not_one_per_row(
        tmp_path: Path) -> None:
    # A statement per row costs more instructions, and sqlite3 gives up the GIL
    # around each step: one per row then (docs/design.md, "The store's write
    # path"). The batch crosses the chunk sizes (1,300 = 512 + 512 + 256 + 16
    # + 4), with a repeated id.
    store = Store(tmp_path / "s.sqlite")
    store.write([("project_logs", "p", {"id": "warm"})])
    statements: list[str] = []
    store._connection().raw.set_trace_callback(statements.append)
    rows = [("project_logs", "p", {"id": f"r{i}", "root_span_id": f"t{i % 7}",
                                   "span_id": f"s{i}", "span_parents": [f"s{i - 1}"] if i % 7
                                   else None, "created": f"2026-01-01T00:00:{i % 60:02d}Z",
                                   "input": i})
            for i in range(1300)]
    rows.append(("project_logs", "p", {"id": "r5", "root_span_id": "t5", "span_id": "s5",
                                       "input": "last write wins"}))
    store.write(rows)
    inserts = [s for s in statements if s.startswith("INSERT INTO rows")]
    assert 1 <= len(inserts) <= 6
    stored = {r.data["id"]: r.data for r in store.rows("project_logs", "p")}
    assert len(stored) == 1301 and stored["r5"]["input"] == "last write wins"
    assert stored["r1299"]["input"] == 1299
    assert sorted(r["id"] for r in store.trace("project_logs", "p", "t3")) == sorted(
        f"r{i}" for i in range(1300) if i % 7 == 3)
    roots = sum(1 for i in range(1300) if i % 7 == 0) + 2  # with "warm" and the new r5
    assert len(store.recent_traces("project_logs", "p", limit=1000)) == roots


def test_rows_per_statement_stays_under_the_builds_parameter_limit() -> None:
    # SQLite builds before 3.32 allow 999 parameters per statement (8 per row).
    from braintrust_otel.store._db import _rows_per_statement

    class Limited:
        def __init__(self, limit: int) -> None:
            self.limit = limit

        def getlimit(self, category: int) -> int:
            return self.limit

    assert _rows_per_statement(Limited(999)) == 64  # type: ignore[arg-type]
    assert _rows_per_statement(Limited(32766)) == 512  # type: ignore[arg-type]
    assert _rows_per_statement(Limited(8)) == 1  # type: ignore[arg-type]


def test_large_rows_go_fewer_to_a_statement(tmp_path: Path) -> None:
    # SQLite copies every bound value: 64 rows of 1 MB in one statement would
    # hold 64 MB more at once; about 8 MB of row text goes per statement.
    store = Store(tmp_path / "s.sqlite")
    store.write([("project_logs", "p", {"id": "warm"})])
    statements: list[str] = []
    store._connection().raw.set_trace_callback(statements.append)
    big = "x" * (1 << 20)
    store.write([("project_logs", "p", {"id": f"r{i}", "input": big}) for i in range(64)])
    inserts = [s for s in statements if s.startswith("INSERT INTO rows")]
    assert len(inserts) == 16  # 4 rows (4 MB) each
    assert len(list(store.rows("project_logs", "p"))) == 65
