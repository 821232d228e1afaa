"""The braintrust facade: loggers, spans, rows read back from the store."""

from __future__ import annotations

import re
import uuid

import pytest

import braintrust
from braintrust import NOOP_SPAN, _slugs
from tests.conftest import StoreHelper

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_logger_log_writes_one_complete_row(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    row_id = logger.log(
        input={"q": "hi"}, output={"a": "yo"}, expected={"a": "yo!"}, scores={"acc": 0.5},
        metadata={"m": 1}, tags=["t1"], metrics={"tokens": 10},
    )
    [row] = store.rows()
    assert row["id"] == row_id
    uuid.UUID(row_id)
    assert row["input"] == {"q": "hi"}
    assert row["output"] == {"a": "yo"}
    assert row["expected"] == {"a": "yo!"}
    assert row["scores"] == {"acc": 0.5}
    assert row["metadata"] == {"m": 1}
    assert row["tags"] == ["t1"]
    assert row["metrics"]["tokens"] == 10
    assert row["metrics"]["start"] <= row["metrics"]["end"]
    assert row["span_attributes"] == {"name": "root", "type": "task"}
    assert row["span_parents"] is None
    assert HEX16.match(row["span_id"]) and HEX32.match(row["root_span_id"])
    assert row["project_id"] == logger.id and row["log_id"] == "g"
    assert row["created"].endswith("+00:00")
    assert row["_xact_id"]


def test_logger_log_with_explicit_id(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    assert logger.log(input=1, id="my-row") == "my-row"
    assert [r["id"] for r in store.rows()] == ["my-row"]


def test_span_tree_and_ids(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="root") as root:
        root.log(input="q")
        with root.start_span(name="child", type="llm") as child:
            child.log(output="a")
        with braintrust.start_span(name="implicit") as implicit:
            assert braintrust.current_span() is implicit
    rows = store.by_name()
    assert set(rows) == {"root", "child", "implicit"}
    assert rows["root"]["span_parents"] is None
    assert rows["child"]["span_parents"] == [rows["root"]["span_id"]]
    assert rows["implicit"]["span_parents"] == [rows["root"]["span_id"]]
    assert {r["root_span_id"] for r in rows.values()} == {root.root_span_id}
    assert rows["child"]["span_attributes"]["type"] == "llm"
    assert "type" not in rows["implicit"]["span_attributes"]  # untyped, as the official SDK
    assert rows["root"]["span_attributes"]["type"] == "task"
    assert rows["root"]["id"] == root.id and rows["child"]["id"] == child.id
    assert rows["child"]["span_id"] == child.span_id


def test_unnamed_child_is_named_after_caller(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span() as root, root.start_span() as child:
        pass
    rows = store.rows()
    names = sorted(r["span_attributes"]["name"] for r in rows)
    assert names[0] == "root"
    assert names[1].startswith("test_unnamed_child_is_named_after_caller:test_facade.py:")
    assert child.id != root.id


def test_plain_start_and_end_with_times(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="manual", start_time=1_700_000_000.0)
    assert braintrust.current_span() is NOOP_SPAN  # a plain call does not set current
    ended = span.end(end_time=1_700_000_002.5)
    assert ended == pytest.approx(1_700_000_002.5)
    assert span.end() == pytest.approx(1_700_000_002.5)  # second end is harmless
    [row] = store.rows()
    assert row["metrics"]["start"] == pytest.approx(1_700_000_000.0)
    assert row["metrics"]["end"] == pytest.approx(1_700_000_002.5)
    assert row["created"].startswith("2023-11-14T22:13:20")


def test_log_merges_metadata_and_scores_and_replaces_the_rest(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(input="first", metadata={"a": 1, "nested": {"x": 1}}, scores={"s1": 1})
        span.log(input="second", metadata={"b": 2, "nested": {"y": 2}}, scores={"s2": 0})
        span.log(metrics={"tokens": 3}, tags=["a"])
        span.log(metrics={"prompt_tokens": 1}, tags=["b"])
    [row] = store.rows()
    assert row["input"] == "second"
    assert row["metadata"] == {"a": 1, "b": 2, "nested": {"x": 1, "y": 2}}
    assert row["scores"] == {"s1": 1, "s2": 0}
    assert row["metrics"]["tokens"] == 3 and row["metrics"]["prompt_tokens"] == 1
    assert row["tags"] == ["b"]


def test_logged_values_are_snapshots(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    data = {"k": [1]}
    with braintrust.start_span(name="s") as span:
        span.log(input=data, metadata={"m": data})
        data["k"].append(2)
    [row] = store.rows()
    assert row["input"] == {"k": [1]}
    assert row["metadata"] == {"m": {"k": [1]}}


def test_start_span_event_and_span_attributes(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s", type="tool", span_attributes={"purpose": "x"},
                               event={"input": 1, "metadata": {"e": True}}):
        pass
    [row] = store.rows()
    assert row["span_attributes"] == {"name": "s", "type": "tool", "purpose": "x"}
    assert row["input"] == 1 and row["metadata"] == {"e": True}


def test_set_attributes_renames_and_retypes(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="before", type="task") as span:
        span.set_attributes(name="after", type="llm", span_attributes={"extra": 1})
    [row] = store.rows()
    assert row["span_attributes"] == {"name": "after", "type": "llm", "extra": 1}


def test_error_from_exception_in_span(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with pytest.raises(KeyError), braintrust.start_span(name="boom"):
        raise KeyError("missing")
    [row] = store.rows()
    assert "KeyError" in row["error"] and "missing" in row["error"]
    assert "Traceback" in row["error"]


def test_explicit_error_field(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with braintrust.start_span(name="s") as span:
        span.log(error="it went wrong")
    assert store.rows()[0]["error"] == "it went wrong"


def test_log_after_end_is_merged_not_lost(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    span = braintrust.start_span(name="late")
    span.log(input="in", metadata={"a": 1})
    span.end()
    span.log(output="out", metadata={"b": 2}, scores={"s": 1})
    [row] = store.rows()
    assert row["input"] == "in" and row["output"] == "out"
    assert row["metadata"] == {"a": 1, "b": 2}
    assert row["scores"] == {"s": 1}


def test_current_logger_and_span(store: StoreHelper) -> None:
    assert braintrust.current_logger() is None
    assert braintrust.current_span() is NOOP_SPAN
    logger = braintrust.init_logger(project="p")
    other = braintrust.init_logger(project="q", set_current=False)
    assert braintrust.current_logger() is logger
    with other.start_span(name="in-q"):
        pass
    assert store.rows("q")[0]["span_attributes"]["name"] == "in-q"


def test_no_logger_gives_noop_spans(store: StoreHelper) -> None:
    span = braintrust.start_span(name="nowhere")
    assert span is NOOP_SPAN
    span.log(input=1, output=2)
    child = span.start_span(name="child")
    assert child is NOOP_SPAN
    with child:
        pass
    assert span.export() == ""
    assert store.store.projects() == []


def test_project_id_wins_and_global_default(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="ignored", project_id="pid-1")
    logger.log(input=1)
    assert logger.id == "pid-1"
    glob = braintrust.init_logger()
    glob.log(input=2)
    braintrust.flush()
    names = {p["name"] for p in store.store.projects()}
    assert "Global" in names and "ignored" not in names


def test_logger_log_is_a_new_trace_even_inside_a_span(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="outer") as outer:
        logger.log(input="separate")
    rows = store.rows()
    logged = next(r for r in rows if r.get("input") == "separate")
    assert logged["root_span_id"] != outer.root_span_id
    assert logged["span_parents"] is None


def test_sync_flush_logger_delivers_on_end(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p", async_flush=False)
    with logger.start_span(name="now"):
        pass
    found = store.store.find_project(name="p")
    assert found is not None
    assert store.store.count("project_logs", found["id"]) == 1  # no flush() needed


def test_export_and_continue_trace_from_slug(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="origin") as origin:
        slug = origin.export()
    ref = _slugs.decode_slug(slug)
    assert ref.span_id == origin.span_id and ref.root_span_id == origin.root_span_id
    assert ref.row_id == origin.id and ref.object_id == logger.id
    with braintrust.start_span(name="continued", parent=slug):
        pass
    rows = store.by_name()
    assert rows["continued"]["root_span_id"] == origin.root_span_id
    assert rows["continued"]["span_parents"] == [origin.span_id]


def test_parent_slug_from_the_official_sdk(store: StoreHelper) -> None:
    # Produced by braintrust 0.48.1 for a span in project "p" (protocol.md, section 6).
    slug = ("BAICA70tsY1qL1h5BBlvp/8zgYhYqJHGNlT2URJ7ImNvbXB1dGVfb2JqZWN0X21ldGFkYXRhX2FyZ3MiOnsi"
            "cHJvamVjdF9uYW1lIjoicCIsInByb2plY3RfaWQiOm51bGx9LCJyb3dfaWQiOiI3MGNhYzgwNS1jNGVlLTQ"
            "wMTMtYmE1OS05MWZkZmI1OTFhYmQifQ==")
    ref = _slugs.decode_slug(slug)
    assert ref.span_id == "bd2db18d6a2f5879"
    assert ref.root_span_id == "196fa7ff33818858a891c63654f65112"
    assert ref.row_id == "70cac805-c4ee-4013-ba59-91fdfb591abd"
    assert ref.parent == "project_name:p"
    with braintrust.start_span(name="remote-child", parent=slug):
        pass
    [row] = store.rows("p")
    assert row["root_span_id"] == "196fa7ff33818858a891c63654f65112"
    assert row["span_parents"] == ["bd2db18d6a2f5879"]


def test_slug_encoding_matches_the_official_bytes() -> None:
    ref = _slugs.SpanRef(
        object_type=_slugs.PROJECT_LOGS,
        compute_object_metadata_args={"project_name": "p", "project_id": None},
        row_id="70cac805-c4ee-4013-ba59-91fdfb591abd",
        span_id="bd2db18d6a2f5879", root_span_id="196fa7ff33818858a891c63654f65112",
    )
    assert _slugs.encode_slug(ref) == (
        "BAICA70tsY1qL1h5BBlvp/8zgYhYqJHGNlT2URJ7ImNvbXB1dGVfb2JqZWN0X21ldGFkYXRhX2FyZ3MiOnsi"
        "cHJvamVjdF9uYW1lIjoicCIsInByb2plY3RfaWQiOm51bGx9LCJyb3dfaWQiOiI3MGNhYzgwNS1jNGVlLTQ"
        "wMTMtYmE1OS05MWZkZmI1OTFhYmQifQ==")


def test_bad_slug_is_a_clear_error(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    with pytest.raises(ValueError, match="parent"):
        braintrust.start_span(parent="not a slug!")


def test_permalink(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        link = span.permalink()
    assert link.startswith("http://127.0.0.1:8000/app/local/object?object_type=project_logs")
    assert f"object_id={logger.id}" in link and f"id={span.id}" in link
    assert braintrust.permalink(span.export()) == link
    assert NOOP_SPAN.permalink().startswith("https://")


def test_flush_returns_true(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    assert braintrust.flush() is True


def test_fields_logged_while_another_thread_ends_the_span_are_kept(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    span = braintrust.start_span(name="racy")

    def end_midway(value: object) -> object:
        # Runs inside log(), after it picked the field dict: as if end() ran
        # on another thread right then.
        if value == "late output":
            span.end()
        return value

    braintrust.set_masking_function(end_midway)
    span.log(input="early", output="late output")
    [row] = store.rows()
    assert row["input"] == "early" and row["output"] == "late output"
