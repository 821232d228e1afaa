"""Datasets on the embedded store and against the fake service."""

from __future__ import annotations

import pytest

import braintrust
from tests.conftest import StoreHelper


def test_insert_update_delete_and_iterate(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="qa", description="questions")
    a = ds.insert(input={"q": "1+1"}, expected="2", metadata={"src": "x"}, tags=["math"])
    b = ds.insert(input={"q": "2+2"}, expected="5")
    ds.insert(input="third", id="fixed-id")
    ds.update(b, expected="4", metadata={"checked": True})
    ds.delete("fixed-id")
    records = {r["id"]: r for r in ds}
    assert set(records) == {a, b}
    assert records[a] == {"id": a, "input": {"q": "1+1"}, "expected": "2",
                          "metadata": {"src": "x"}, "tags": ["math"],
                          "created": records[a]["created"], "_xact_id": records[a]["_xact_id"]}
    assert records[b]["expected"] == "4" and records[b]["metadata"] == {"checked": True}
    again = braintrust.init_dataset(project="p", name="qa")
    assert again.id == ds.id and len(list(again.fetch())) == 2
    assert ds.summarize()["data_summary"].as_dict() == {"new_records": 5, "total_records": 2}


def test_version_pinning_reads_the_dataset_as_of_then(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="versions")
    first = ds.insert(input="one", expected=1)
    ds.flush()
    v1 = ds.version
    second = ds.insert(input="two", expected=2)
    ds.update(first, expected=100)
    ds.flush()
    v2 = ds.version
    ds.delete(second)
    ds.flush()
    assert v1 is not None and v2 is not None and int(v2) > int(v1)
    at_v1 = braintrust.init_dataset(project="p", name="versions", version=v1)
    assert [(r["input"], r["expected"]) for r in at_v1] == [("one", 1)]
    at_v2 = braintrust.init_dataset(project="p", name="versions", version=v2)
    assert sorted((r["input"], r["expected"]) for r in at_v2) == [("one", 100), ("two", 2)]
    assert [(r["input"], r["expected"]) for r in ds] == [("one", 100)]
    with pytest.raises(ValueError, match="version must be a transaction id"):
        braintrust.init_dataset(project="p", name="versions", version="latest")


def test_dataset_drives_an_eval(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="for-eval")
    ds.insert(input="a", expected="A")
    ds.insert(input="b", expected="B")

    def exact(output: str, expected: str) -> bool:
        return output == expected

    result = braintrust.Eval("p", data=ds, task=str.upper, scores=[exact], quiet=True)
    assert result.summary is not None and result.summary.scores["exact"].score == 1.0
    exp = braintrust.init(project="p", experiment="with-dataset", dataset=ds)
    found = store.store.find_experiment(id=exp.id)
    assert found is not None and found["dataset_id"] == ds.id


def test_bad_arguments(store: StoreHelper) -> None:
    ds = braintrust.init_dataset(project="p", name="bad")
    with pytest.raises(TypeError, match="metadata must be a dict"):
        ds.insert(input=1, metadata="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tags must be a list of str"):
        ds.insert(input=1, tags="x")
    with pytest.raises(TypeError, match="name must be a str"):
        braintrust.init_dataset(project="p", name=5)  # type: ignore[arg-type]


def test_dataset_against_the_service(api: object, fake: object) -> None:
    from tests.fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    ds = braintrust.init_dataset(project="svc", name="remote")
    rid = ds.insert(input={"q": 1}, expected={"a": 2}, metadata={"m": "x"}, tags=["t"])
    gone = ds.insert(input="drop me")
    ds.delete(gone)
    records = list(ds.fetch())
    assert [r["id"] for r in records] == [rid]
    assert records[0]["expected"] == {"a": 2}
    created = next(r for r in fake.requests if r["path"] == "/v1/dataset")
    assert created["body"] == {"project_id": fake.projects["svc"], "name": "remote"}
    sent = [row for b in fake.logs3_bodies() for row in b["rows"]]
    insert = next(r for r in sent if r["id"] == rid)
    assert insert["dataset_id"] == ds.id and "project_id" not in insert
    assert set(insert) >= {"id", "input", "expected", "metadata", "tags", "created",
                           "dataset_id"}
    assert any(r.get("_object_delete") for r in sent)


def test_version_on_the_service_reads_one_row(api: object, fake: object) -> None:
    # The service's fetch pages from the latest transaction down, so a page of one
    # record carries the version: no reading of every record (the official SDK does).
    from tests.fake_braintrust import FakeBraintrust

    assert isinstance(fake, FakeBraintrust)
    ds = braintrust.init_dataset(project="svc", name="versioned")
    for i in range(5):
        ds.insert(input={"i": i})
    ds.flush()
    braintrust.flush()
    ds.insert(input={"i": "last"})
    before = len(fake.requests)
    version = ds.version
    fetches = [r for r in fake.requests[before:] if r["path"].endswith("/fetch")]
    assert [r["body"] for r in fetches] == [{"limit": 1}]
    assert version == str(fake.xact)  # the transaction that wrote the last insert
    assert int(version) > 1001
    records = list(ds.fetch())
    assert [r["input"] for r in records] == [{"i": i} for i in range(5)] + [{"i": "last"}]
    assert max(int(r["_xact_id"]) for r in records) == int(version)
