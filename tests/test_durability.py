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

from .conftest import StoreHelper, stored_rows


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

    from .fake_braintrust import GOOD_KEY, FakeBraintrust

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
