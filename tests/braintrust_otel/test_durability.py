"""Durability faults: the store deleted mid-run, exit without flush, the service unreachable."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import braintrust
from braintrust import _state
from braintrust_otel import diagnostics
from braintrust_otel.sinks.local import LocalSink
from tests.conftest import StoreHelper, run_python, stored_rows


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def nested_store(tmp_path: Path) -> Iterator[LocalSink]:
    braintrust.flush()
    sink = LocalSink(tmp_path / "data" / "store.sqlite", notice=False)
    _state.exporter().sink = sink
    _state.current_logger = None
    diagnostics.reset()
    braintrust.flush()
    yield sink
    braintrust.flush()
    _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
    _state.current_logger = None


def test_deleted_store_file_is_recreated_reported_once_and_flush_says_false(
    store: StoreHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    braintrust.flush()
    logger = braintrust.init_logger(project="p")
    logger.log(input="before")
    assert braintrust.flush() is True
    _remove_db(store.path)
    logger.log(input="after")
    # The row stored before the deletion is gone: this flush must not say all is well.
    assert braintrust.flush() is False
    assert [r["input"] for r in stored_rows(store.path, "p")] == ["after"]
    _remove_db(store.path)
    logger.log(input="again")
    braintrust.flush()
    assert [r["input"] for r in stored_rows(store.path, "p")] == ["again"]
    logger.log(input="calm")
    assert braintrust.flush() is True
    err = capsys.readouterr().err
    assert err.count("was deleted or replaced while in use") == 1, err
    assert diagnostics.counts()["store_lost"] >= 2


def test_removed_store_folder_is_recreated_with_the_objects_in_use(
    nested_store: LocalSink,
) -> None:
    path = nested_store.store.path
    exp = braintrust.init(project="p", experiment="e")
    ds = braintrust.init_dataset(project="p", name="d")
    logger = braintrust.init_logger(project="p")
    logger.log(input="before")
    assert braintrust.flush() is True
    shutil.rmtree(path.parent)
    exp.log(input=1, output=1, scores={"s": 1})
    ds.insert(input="q", expected="a")
    ds.flush()
    logger.log(input="after")
    assert braintrust.flush() is False
    assert path.exists()
    # The experiment, the dataset and the project are known to the new store,
    # so every view of them works as before.
    store = nested_store.store
    assert store.find_experiment(id=exp.id) is not None
    assert [r["input"] for r in ds.fetch()] == ["q"]
    assert [r["input"] for r in stored_rows(path, "p")] == ["after"]
    assert exp.summarize().scores["s"].score == 1


def test_flush_is_false_after_rows_rejected_by_the_service(tmp_path: Path) -> None:
    from braintrust_otel.api import ApiConnection
    from braintrust_otel.sinks.http import HttpSink
    from braintrust_otel.spool import Spool
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust() as fake:
        braintrust.flush()
        conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
        _state.exporter().sink = HttpSink(conn, Spool(tmp_path / "spool"), backoff_base=0.01)
        try:
            logger = braintrust.init_logger(project="p")
            logger.log(input="ok")
            assert braintrust.flush() is True
            fake.fail("/logs3", 400)
            logger.log(input="refused")
            assert braintrust.flush() is False
            logger.log(input="fine again")
            assert braintrust.flush() is True
        finally:
            braintrust.flush()
            _state.exporter().sink = LocalSink(tmp_path / "after.sqlite", notice=False)
            _state.current_logger = None


# -- item: everything buffered is delivered at exit ----------------------------------------

def test_dataset_inserts_and_attachments_are_stored_at_exit_without_flush(
    tmp_path: Path,
) -> None:
    proc = run_python("""
        import gc
        import braintrust

        ds = braintrust.init_dataset(project="p", name="kept")
        for i in range(5):
            ds.insert(input=i, expected=i * 2)

        def out_of_scope():
            gone = braintrust.init_dataset(project="p", name="dropped-ref")
            gone.insert(input="x")

        out_of_scope()
        gc.collect()
        exp = braintrust.init(project="p", experiment="e")
        row = exp.log(input=1, output=1, scores={"s": 1})
        exp.log_feedback(row, scores={"human": 0.5})
        logger = braintrust.init_logger(project="p")
        logger.log(input={"file": braintrust.Attachment(b"exit bytes", "a.txt", "text/plain")})
        print(exp.id)
    """, tmp_path, env={"OTEL_BSP_SCHEDULE_DELAY": "3600000"})
    assert proc.returncode == 0, proc.stderr
    from braintrust_otel.store import Store

    store = Store(tmp_path / "sub.sqlite")
    project = store.find_project(name="p")
    assert project is not None
    kept = store.ensure_dataset(project["id"], "kept")
    assert sorted(r["input"] for r in store.dataset_rows(kept["id"])) == [0, 1, 2, 3, 4]
    gone = store.ensure_dataset(project["id"], "dropped-ref")
    assert [r["input"] for r in store.dataset_rows(gone["id"])] == ["x"]
    exp_rows = [r.data for r in store.rows("experiment", proc.stdout.strip())]
    assert exp_rows and exp_rows[0]["scores"] == {"s": 1, "human": 0.5}
    logged = stored_rows(tmp_path / "sub.sqlite", "p")
    ref = logged[0]["input"]["file"]
    assert store.get_attachment(ref["key"]) == b"exit bytes"


def test_dataset_inserts_reach_the_service_at_exit(tmp_path: Path) -> None:
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust() as fake:
        proc = run_python("""
            import braintrust
            ds = braintrust.init_dataset(project="p", name="d")
            for i in range(7):
                ds.insert(input=i, expected=i)
        """, tmp_path, env={"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": fake.url,
                            "BRAINTRUST_SPOOL_DIR": str(tmp_path / "spool"),
                            "OTEL_BSP_SCHEDULE_DELAY": "3600000",
                            "BRAINTRUST_EXIT_FLUSH_SECONDS": "5"})
        assert proc.returncode == 0, proc.stderr
        ds_id = fake.datasets[0]["id"]
        assert sorted(r["input"] for r in fake.rows.values()
                      if r.get("dataset_id") == ds_id) == list(range(7))


def test_exit_flush_of_a_dataset_with_a_hung_service_stays_in_the_budget(
    tmp_path: Path,
) -> None:
    from braintrust_otel.spool import Spool
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust() as fake:
        fake.delay("/logs3", 20.0, times=50)
        # Without the budget, exit would wait 4 tries x 20 s per request: the
        # subprocess timeout (25 s) would fire.
        proc = run_python("""
            import braintrust
            ds = braintrust.init_dataset(project="p", name="d")
            for i in range(20):
                ds.insert(input=i)
        """, tmp_path, env={"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": fake.url,
                            "BRAINTRUST_SPOOL_DIR": str(tmp_path / "spool"),
                            "BRAINTRUST_HTTP_TIMEOUT": "30",
                            "BRAINTRUST_EXIT_FLUSH_SECONDS": "1"}, timeout=25)
        assert proc.returncode == 0, proc.stderr
    assert Spool(tmp_path / "spool").pending_rows() + len(fake.rows) >= 20


def test_attachment_uploads_cut_off_by_the_exit_budget_are_reported(tmp_path: Path) -> None:
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust() as fake:
        fake.delay("/attachment", 20.0, times=10)
        proc = run_python("""
            import braintrust
            logger = braintrust.init_logger(project="p")
            braintrust.login()
            logger.log(input={"f": braintrust.Attachment(b"bytes", "a.txt", "text/plain")})
        """, tmp_path, env={"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": fake.url,
                            "BRAINTRUST_SPOOL_DIR": str(tmp_path / "spool"),
                            "BRAINTRUST_HTTP_TIMEOUT": "30",
                            "BRAINTRUST_EXIT_FLUSH_SECONDS": "1"}, timeout=25)
        assert proc.returncode == 0, proc.stderr
        assert "1 attachment uploads did not finish within the exit budget" in proc.stderr
        assert len(fake.rows) == 1  # the row itself was delivered in time


# -- item: the service unreachable at init/Eval ---------------------------------------------

def _service_env(url: str, tmp_path: Path) -> dict[str, str]:
    from tests.fake_braintrust import GOOD_KEY

    return {"BRAINTRUST_API_KEY": GOOD_KEY, "BRAINTRUST_APP_URL": url,
            "BRAINTRUST_SPOOL_DIR": str(tmp_path / "spool"), "BRAINTRUST_HTTP_TIMEOUT": "5",
            "BRAINTRUST_EXIT_FLUSH_SECONDS": "2"}


_OFFLINE_EVAL = """
    import braintrust

    def exact(output, expected):
        return output == expected

    result = braintrust.Eval(
        "offline-project",
        data=[{"input": i, "expected": i if i < 3 else -1} for i in range(4)],
        task=lambda x: x,
        scores=[exact],
        experiment_name="run-1",
    )
    print("MEAN", result.summary.scores["exact"].score)
    ds = braintrust.init_dataset(project="offline-project", name="kept-offline")
    ds.insert(input="q", expected="a")
"""


def test_eval_with_the_service_unreachable_runs_spools_and_delivers_later(
    tmp_path: Path,
) -> None:
    from braintrust_otel.spool import Spool
    from tests.fake_braintrust import FakeBraintrust

    fake = FakeBraintrust().start()
    port, env = fake.port, _service_env(fake.url, tmp_path)
    fake.stop()  # connections are refused from here on
    proc = run_python(_OFFLINE_EVAL, tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "MEAN 0.75" in proc.stdout
    assert "SUMMARY" in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("braintrust:")]
    assert len(warnings) == 1, proc.stderr
    assert "could not reach the Braintrust service" in warnings[0]
    assert "Traceback" not in proc.stderr
    spool = Spool(tmp_path / "spool")
    assert spool.pending_rows() == 4 * 3 + 1  # eval, task, score spans per case; the insert

    fake = FakeBraintrust()
    fake.port = port
    with fake:
        later = run_python("""
            import braintrust
            braintrust.login()
            assert braintrust.flush()
        """, tmp_path, env=env)
        assert later.returncode == 0, later.stderr
        assert [e["name"] for e in fake.experiments] == ["run-1"]
        exp_id = fake.experiments[0]["id"]
        exp_rows = [r for r in fake.rows.values() if r.get("experiment_id") == exp_id]
        assert len(exp_rows) == 12
        assert [d["name"] for d in fake.datasets] == ["kept-offline"]
        ds_rows = [r for r in fake.rows.values()
                   if r.get("dataset_id") == fake.datasets[0]["id"]]
        assert [r["input"] for r in ds_rows] == ["q"]
    assert spool.pending_rows() == 0


def test_a_service_answering_503_counts_as_unreachable(tmp_path: Path) -> None:
    from tests.fake_braintrust import FakeBraintrust

    with FakeBraintrust() as fake:
        fake.fail("/api/apikey/login", 503, times=1000)
        proc = run_python(_OFFLINE_EVAL, tmp_path, env=_service_env(fake.url, tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "MEAN 0.75" in proc.stdout
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("braintrust:")]
    assert len(warnings) == 1 and "HTTP 503" in warnings[0], proc.stderr


def test_a_wrong_key_is_still_a_clear_error_at_init_and_eval(tmp_path: Path) -> None:
    from tests.fake_braintrust import FakeBraintrust

    with FakeBraintrust() as fake:
        env = dict(_service_env(fake.url, tmp_path), BRAINTRUST_API_KEY="sk-wrong-key")
        for call in ('braintrust.init(project="p")',
                     'braintrust.init_dataset(project="p", name="d")',
                     'braintrust.Eval("p", data=[1], task=lambda x: x, scores=[])'):
            proc = run_python(f"""
                import braintrust
                try:
                    {call}
                except braintrust.LoginError as exc:
                    print("LOGIN ERROR", exc)
            """, tmp_path, env=env)
            assert "LOGIN ERROR" in proc.stdout and "check the API key" in proc.stdout, (
                call, proc.stdout, proc.stderr)
            assert "sk-wrong-key" not in proc.stdout + proc.stderr
