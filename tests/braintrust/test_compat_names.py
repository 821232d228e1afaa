"""Names of the official SDK beyond the core facade, each doing what it does there.

Every name runs on the embedded store and, where it talks to a backend, on
the fake Braintrust service too.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import braintrust
from braintrust import (
    BaseExperiment,
    JSONAttachment,
    ReadonlyExperiment,
    SpanTypeAttribute,
    current_experiment,
    get_prompt_versions,
    invoke_async,
    load_prompt_async,
    parent_context,
    update_span,
)
from braintrust.framework import ReporterDef, default_reporter
from tests.conftest import StoreHelper


def _experiment_rows(store: StoreHelper, experiment_id: str) -> list[dict[str, Any]]:
    braintrust.flush()
    return [r.data for r in store.store.rows("experiment", experiment_id)]


def _sent(server: Any) -> list[dict[str, Any]]:
    braintrust.flush()
    return [row for body in server.logs3_bodies() for row in body["rows"]]


# -- the current experiment, log, summarize ---------------------------------------------

def test_init_makes_the_experiment_current(store: StoreHelper) -> None:
    assert current_experiment() is None
    exp = braintrust.init(project="p", experiment="first")
    assert current_experiment() is exp
    # With no current span, start_span goes to the current experiment (an eval root).
    with braintrust.start_span(name="by hand") as span:
        span.log(input="q", output="a", scores={"ok": 1})
    (row,) = _experiment_rows(store, exp.id)
    assert row["span_attributes"]["type"] == "eval" and row["scores"] == {"ok": 1}
    other = braintrust.init(project="p", experiment="second", set_current=False)
    assert current_experiment() is exp and other is not exp


def test_top_level_log_and_summarize_use_the_current_experiment(
        store: StoreHelper, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError, match="init"):
        braintrust.log(input=1)
    exp = braintrust.init(project="p", experiment="e")
    row_id = braintrust.log(input={"q": 1}, output=2, expected=2, scores={"exact": 1.0})
    braintrust.log(input={"q": 2}, output=3, expected=4, scores={"exact": 0.0})
    summary = braintrust.summarize()
    assert summary.experiment_id == exp.id
    assert summary.scores["exact"].score == pytest.approx(0.5)
    assert "deprecated" in capsys.readouterr().err
    assert row_id in {r["id"] for r in _experiment_rows(store, exp.id)}


def test_an_eval_does_not_become_the_current_experiment(store: StoreHelper) -> None:
    braintrust.Eval("p", data=[{"input": 1}], task=lambda x: x, scores=[], quiet=True)
    assert current_experiment() is None


def test_current_experiment_on_the_service(api: object, fake: Any) -> None:
    exp = braintrust.init(project="svc", experiment="remote")
    assert current_experiment() is exp
    row_id = braintrust.log(input="x", output="y", scores={"s": 1})
    summary = braintrust.summarize()
    assert summary.scores["s"].score == 1
    (row,) = [r for r in _sent(fake) if r["id"] == row_id]
    assert row["experiment_id"] == exp.id


# -- update_span, Logger/Experiment.update_span ------------------------------------------

def test_update_span_by_export_slug(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="answer") as span:
        span.log(input="q", output="draft", metadata={"a": 1}, scores={"x": 0.5})
        slug = span.export()
    braintrust.flush()
    update_span(slug, output="final", metadata={"b": 2}, scores={"y": 1})
    row = store.by_name()["answer"]
    assert row["output"] == "final" and row["input"] == "q"
    assert row["metadata"] == {"a": 1, "b": 2} and row["scores"] == {"x": 0.5, "y": 1}
    assert row["span_id"] == span.span_id  # the span's ids are kept
    with pytest.raises(ValueError, match="id"):
        update_span(slug, id="other", output=1)
    with pytest.raises(ValueError, match="slug"):
        update_span("nonsense", output=1)
    with pytest.raises(ValueError, match="row"):
        update_span(logger.export(), output=1)


def test_update_span_masks_values(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        slug = span.export()
    braintrust.flush()
    braintrust.set_masking_function(lambda v: "***" if v == "secret" else v)
    update_span(slug, output="secret")
    assert store.by_name()["s"]["output"] == "***"


def test_logger_and_experiment_update_span_by_row_id(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    row_id = logger.log(input="q", output="a", metadata={"k": 1})
    braintrust.flush()
    logger.update_span(row_id, expected="A", metadata={"j": 2})
    (row,) = store.rows()
    assert row["expected"] == "A" and row["metadata"] == {"k": 1, "j": 2}
    assert row["span_id"] and row["root_span_id"]  # not overwritten by the update
    exp = braintrust.init(project="p", experiment="e")
    eid = exp.log(input=1, output=2)
    braintrust.flush()
    exp.update_span(eid, scores={"late": 1})
    (erow,) = _experiment_rows(store, exp.id)
    assert erow["scores"] == {"late": 1} and erow["output"] == 2


def test_update_span_on_the_service(api: object, fake: Any) -> None:
    logger = braintrust.init_logger(project="svc")
    with logger.start_span(name="s") as span:
        span.log(output="draft")
        slug = span.export()
    braintrust.flush()
    update_span(slug, output="final")
    braintrust.flush()
    assert fake.rows[span.id]["output"] == "final"
    merges = [r for r in _sent(fake) if r.get("_is_merge")]
    assert merges and merges[-1]["project_id"] == fake.projects["svc"]


# -- parent_context ------------------------------------------------------------------------

def test_parent_context_parents_spans_started_inside(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="remote parent") as parent:
        slug = parent.export()
    braintrust.init_logger(project="other")
    with parent_context(slug):
        with braintrust.start_span(name="continued"):
            pass

        @braintrust.traced
        def step() -> int:
            return 1

        step()
    with braintrust.start_span(name="outside"):
        pass
    rows = store.by_name("p")
    assert rows["continued"]["span_parents"] == [parent.span_id]
    assert rows["step"]["span_parents"] == [parent.span_id]
    assert "outside" in store.by_name("other")


def test_parent_context_takes_trace_headers(store: StoreHelper) -> None:
    from opentelemetry.propagate import inject

    from braintrust.otel import add_parent_to_baggage

    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="upstream") as up:
        token = add_parent_to_baggage("project_name:p")
        headers: dict[str, str] = {}
        inject(headers)
        from opentelemetry import context

        context.detach(token)  # type: ignore[arg-type]
    with parent_context(headers), braintrust.start_span(name="downstream"):
        pass
    assert store.by_name()["downstream"]["span_parents"] == [up.span_id]
    with pytest.raises(TypeError, match="parent"), parent_context(42):  # type: ignore[arg-type]
        pass


# -- read-only experiments and BaseExperiment ----------------------------------------------

def _two_runs() -> tuple[Any, Any]:
    first = braintrust.Eval("proj", data=[{"input": "a", "expected": "A"},
                                          {"input": "b"}],
                            task=lambda x: x.upper(), scores=[], experiment_name="base",
                            quiet=True)
    assert first.summary is not None
    return first, first.summary.experiment_id


def test_init_open_reads_an_experiment(store: StoreHelper) -> None:
    _, base_id = _two_runs()
    opened = braintrust.init(project="proj", experiment="base", open=True)
    assert isinstance(opened, ReadonlyExperiment) and opened.id == base_id
    assert current_experiment() is None
    cases = sorted(opened.as_dataset(), key=lambda r: r["input"])
    assert [(c["input"], c["expected"]) for c in cases] == [("a", "A"), ("b", "B")]
    assert len(list(opened.fetch())) == len(opened.fetched_data) > 2  # task spans too
    assert opened.version is not None
    with pytest.raises(ValueError, match="no experiment 'missing'"):
        braintrust.init(project="proj", experiment="missing", open=True)
    with pytest.raises(ValueError, match="name"):
        braintrust.init(project="proj", open=True)
    with pytest.raises(ValueError, match="update"):
        braintrust.init(project="proj", experiment="base", open=True, update=True)


def test_base_experiment_as_eval_data(store: StoreHelper) -> None:
    _, base_id = _two_runs()
    seen: list[Any] = []
    result = braintrust.Eval("proj", data=BaseExperiment(name="base"),
                             task=lambda x: seen.append(x) or x.upper(),  # type: ignore[func-returns-value]
                             scores=[lambda output, expected: output == expected], quiet=True)
    assert sorted(seen) == ["a", "b"]
    assert result.summary is not None
    assert result.summary.comparison_experiment_id == base_id
    # With no name: the project's latest experiment (the one just made).
    latest = result.summary.experiment_id
    again = braintrust.Eval("proj", data=BaseExperiment, task=lambda x: x, scores=[],
                            quiet=True)
    assert again.summary is not None
    assert again.summary.comparison_experiment_id == latest


def test_open_and_base_experiment_on_the_service(api: object, fake: Any) -> None:
    braintrust.Eval("svc", data=[{"input": "a", "expected": "A"}], task=lambda x: x.upper(),
                    scores=[], experiment_name="base", quiet=True)
    braintrust.flush()
    opened = braintrust.init(project="svc", experiment="base", open=True)
    assert [c["input"] for c in opened.as_dataset()] == ["a"]
    seen: list[Any] = []
    braintrust.Eval("svc", data=BaseExperiment("base"), task=lambda x: seen.append(x) or x,  # type: ignore[func-returns-value]
                    scores=[], quiet=True)
    assert seen == ["a"]


# -- JSONAttachment, SpanTypeAttribute --------------------------------------------------------

def test_json_attachment_is_stored_and_read_back(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    transcript = [{"role": "user", "content": "hi"}]
    logger.log(input={"transcript": JSONAttachment(transcript, filename="t.json", pretty=True)})
    braintrust.flush()
    (row,) = store.rows()
    ref = row["input"]["transcript"]
    assert ref["type"] == "braintrust_attachment" and ref["filename"] == "t.json"
    assert ref["content_type"] == "application/json"
    data = braintrust.ReadonlyAttachment(ref).data
    assert json.loads(data) == transcript and b"\n  " in data
    with pytest.raises(TypeError, match="JSON"):
        JSONAttachment({1, 2})


def test_span_type_attribute_works_as_a_type(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="call", type=SpanTypeAttribute.LLM):
        pass

    @braintrust.traced(type=SpanTypeAttribute.TOOL)
    def tool() -> None:
        pass

    with logger.start_span(name="root"):
        tool()
    rows = store.by_name()
    assert rows["call"]["span_attributes"]["type"] == "llm"
    assert rows["tool"]["span_attributes"]["type"] == "tool"
    assert {m.value for m in SpanTypeAttribute} == set(braintrust.SPAN_TYPES)


# -- prompts and functions ---------------------------------------------------------------------

def _prompt(text: str) -> braintrust.Prompt:
    """Saves a new version of prompt ``g`` and loads it back."""
    project = braintrust.projects.create("p")
    project.prompts.create(name="G", slug="g", model="m",
                           messages=[{"role": "user", "content": text}])
    project.publish()
    return braintrust.load_prompt(project="p", slug="g")


def test_get_prompt_versions_and_load_prompt_async(store: StoreHelper) -> None:
    first, second = _prompt("one"), _prompt("two")
    versions = get_prompt_versions(first.project_id, first.id)
    assert versions == [first.version, second.version]
    old = asyncio.run(load_prompt_async(project="p", slug="g", version=versions[0]))
    assert old.build()["messages"][0]["content"] == "one"
    with pytest.raises(ValueError, match="no prompt"):
        asyncio.run(load_prompt_async(project="p", slug="nope"))
    with pytest.raises(TypeError, match="prompt_id"):
        get_prompt_versions(first.project_id, None)  # type: ignore[arg-type]


def test_get_prompt_versions_on_the_service(api: object, fake: Any) -> None:
    from tests.fake_braintrust import pretty_xact

    first, _ = _prompt("one"), _prompt("two")
    versions = get_prompt_versions(first.project_id, first.id)
    assert versions == [pretty_xact(p["_xact_id"]) for p in fake.prompts]
    query = next(r for r in fake.requests if r["path"] == "/btql")["body"]
    assert query["audit_log"] is True
    assert query["query"]["from"]["args"][0]["value"] == first.project_id
    old = braintrust.load_prompt(project="p", slug="g", version=versions[0])
    assert old.build()["messages"][0]["content"] == "one"


def test_invoke_async_runs_off_the_loop_and_nests(store: StoreHelper) -> None:
    project = braintrust.projects.create("p")
    project.tools.create(handler=lambda a, b: a + b, name="add", slug="add")
    logger = braintrust.init_logger(project="p")

    async def main() -> tuple[Any, list[Any]]:
        with logger.start_span(name="caller"):
            total = await invoke_async(project_name="p", slug="add", input={"a": 2, "b": 3})
            stream = await invoke_async(project_name="p", slug="add", input={"a": 1, "b": 1},
                                        stream=True)
            chunks = [c async for c in stream]
        return total, chunks

    total, chunks = asyncio.run(main())
    assert total == 5
    assert json.loads("".join(c["data"] for c in chunks)) == 2
    rows = store.by_name()
    add_rows = [r for r in store.rows() if r["span_attributes"]["name"] == "add"]
    assert len(add_rows) == 2
    assert all(r["span_parents"] == [rows["caller"]["span_id"]] for r in add_rows)


# -- framework names ---------------------------------------------------------------------------

def test_reporter_def_and_default_reporter(store: StoreHelper) -> None:
    seen: list[str] = []
    reporter = ReporterDef(name="mine", report_eval=lambda ev, result, verbose, jsonl:
                           seen.append(ev.eval_name) or True,  # type: ignore[func-returns-value]
                           report_run=lambda reports, verbose, jsonl: all(reports))
    braintrust.Eval("p", data=[{"input": 1}], task=lambda x: x, scores=[], reporter=reporter)
    assert seen == ["p"]
    assert default_reporter.report_run([True], False, False) is True


def test_span_link_and_name(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="first") as span:
        assert span.name == "first"
        span.set_attributes(name="renamed")
        assert span.name == "renamed"
        assert span.link() == span.permalink()
        assert span.link().endswith(f"id={span.id}")


def test_logger_and_span_log_feedback(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    row_id = logger.log(input="q", output="a")
    with logger.start_span(name="s") as span:
        span.log(output="x")
    braintrust.flush()
    logger.log_feedback(row_id, scores={"thumbs": 1}, comment="good")
    span.log_feedback(expected="y", tags=["reviewed"], metadata={"by": "ann"})
    braintrust.NOOP_SPAN.log_feedback(scores={"ignored": 1})
    rows = {r["id"]: r for r in store.rows()}
    assert rows[row_id]["scores"] == {"thumbs": 1}
    # As the official SDK: the comment is a row of its own pointing at the row, and
    # the feedback's metadata is audit metadata, not the row's.
    [comment] = [r for r in rows.values() if r.get("origin") == {"id": row_id}]
    assert comment["comment"] == {"text": "good"} and "metadata" not in rows[row_id]
    assert rows[span.id]["expected"] == "y" and rows[span.id]["tags"] == ["reviewed"]
    assert rows[span.id]["_audit_metadata"] == {"by": "ann"}
    assert "metadata" not in rows[span.id] and rows[span.id]["output"] == "x"


def test_eval_without_scorers(store: StoreHelper) -> None:
    # The official Eval's scores are optional: outputs are still logged.
    result = braintrust.Eval("p", data=[{"input": 2}], task=lambda x: x * 2, quiet=True)
    assert [r.output for r in result.results] == [4]
    assert result.summary is not None and result.summary.experiment_id is not None
    roots = [r for r in _experiment_rows(store, result.summary.experiment_id)
             if not r.get("span_parents")]
    assert roots[0]["output"] == 4


def test_eval_options_accepted_or_refused_clearly(store: StoreHelper) -> None:
    # Options that only concern the hosted service are accepted (real code passes them) ...
    braintrust.Eval("p", data=[{"input": 1}], task=lambda x: x, quiet=True,
                    is_public=True, enable_cache=False, repo_info=None)
    # ... and unknown ones are refused by name, not ignored (classifiers work
    # now: tests/braintrust/test_compat_spans.py).
    with pytest.raises(TypeError, match="bogus"):
        braintrust.Eval("p", data=[{"input": 1}], task=lambda x: x,
                        bogus=[])  # type: ignore[call-arg]


def test_span_set_current_and_unset_current(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    span = logger.start_span(name="outer")
    span.set_current()
    try:
        assert braintrust.current_span() is span
        with braintrust.start_span(name="inner"):
            pass
    finally:
        span.unset_current()
    assert braintrust.current_span() is braintrust.NOOP_SPAN
    span.end()
    braintrust.NOOP_SPAN.set_current()
    assert braintrust.current_span() is braintrust.NOOP_SPAN
    rows = store.by_name()
    assert rows["inner"]["span_parents"] == [rows["outer"]["span_id"]]


def test_experiment_reads_and_close(store: StoreHelper) -> None:
    base = braintrust.init(project="p", experiment="base")
    base.log(input=1, output=1)
    assert base.close() == base.id
    exp = braintrust.init(project="p", experiment="next", base_experiment="base")
    row_id = exp.log(input=2, output=2)
    assert [r["id"] for r in exp.fetch()] == [row_id]
    assert exp.fetched_data[0]["output"] == 2 and exp.version is not None
    assert exp.fetch_base_experiment() == (base.id, "base")
    assert base.fetch_base_experiment() is None
    ds = braintrust.init_dataset(project="p", name="d")
    ds.insert(input=1)
    assert ds.close() == ds.id and [r["input"] for r in ds.fetch()] == [1]


def test_experiment_reads_on_the_service(api: object, fake: Any) -> None:
    base = braintrust.init(project="svc", experiment="base")
    base.log(input=1, output=1)
    braintrust.flush()
    exp = braintrust.init(project="svc", experiment="next", base_experiment="base")
    row_id = exp.log(input=2, output=2)
    assert [r["id"] for r in exp.fetch()] == [row_id]
    base_id = exp.fetch_base_experiment()
    assert base_id is not None and base_id.id == base.id


def test_dataclasses_convert_to_and_from_dicts(store: StoreHelper) -> None:
    score = braintrust.Score(name="acc", score=0.5, metadata={"why": "half"})
    assert braintrust.Score.from_dict(json.loads(score.as_json())) == score
    assert score["score"] == 0.5
    case = braintrust.EvalCase.from_dict({"input": 1, "expected": 2, "unknown": 3})
    assert case.as_dict()["expected"] == 2 and case["input"] == 1
    braintrust.Eval("p", data=[{"input": 1, "expected": 1}], task=lambda x: x, quiet=True,
                    scores=[lambda output, expected: output == expected])
    result = braintrust.Eval("p", data=[{"input": 1, "expected": 1}], task=lambda x: x,
                             scores=[lambda output, expected: output == expected], quiet=True)
    summary = result.summary
    assert summary is not None
    again = type(summary).from_dict_deep(json.loads(summary.as_json()))
    assert again.experiment_id == summary.experiment_id
    (name,) = again.scores
    assert isinstance(again.scores[name], type(summary.scores[name]))
    assert again.scores[name].score == summary.scores[name].score == 1


def test_positional_arguments_in_the_official_order(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    row_id = logger.log("in", "out", "exp", None, ["t"], {"s": 1}, {"m": 1}, {"n": 2})
    exp = braintrust.init(project="p", experiment="e")
    eid = exp.log("q", "a", "a", None, None, {"ok": 1}, None, None, "my-id", "record-1")
    ds = braintrust.init_dataset(project="p", name="d")
    rid = ds.insert("question", "answer", ["tag"], {"source": "x"})
    ds.update(rid, None, "better", ["t2"], {"checked": True})
    (row,) = store.rows()
    assert row["id"] == row_id and row["tags"] == ["t"] and row["metadata"] == {"m": 1}
    assert row["expected"] == "exp" and row["scores"] == {"s": 1} and row["metrics"]["n"] == 2
    (erow,) = _experiment_rows(store, exp.id)
    assert eid == "my-id" == erow["id"] and erow["scores"] == {"ok": 1}
    (record,) = ds.fetch()
    assert record["tags"] == ["t2"] and record["expected"] == "better"
    assert record["input"] == "question"  # None leaves a field as it is
    assert record["metadata"] == {"source": "x", "checked": True}


def test_attachment_upload_debug_info_and_external_data(store: StoreHelper,
                                                        fake: Any) -> None:
    braintrust.init_logger(project="p").log(input="pipeline installed")
    attachment = braintrust.Attachment(b"hello", filename="h.txt")
    assert attachment.debug_info()["reference"]["filename"] == "h.txt"
    assert attachment.upload() == {"upload_status": "done"}
    assert braintrust.ReadonlyAttachment(attachment.reference).data == b"hello"
    doc = JSONAttachment({"a": 1})
    assert doc.upload()["upload_status"] == "done"
    fake.uploads["ext"] = b"external bytes"
    external = braintrust.ExternalAttachment(f"{fake.url}/download/ext", "e.bin",
                                             "application/octet-stream")
    assert external.upload() == {"upload_status": "done"}
    assert external.data == b"external bytes"
    assert external.debug_info() == {"reference": external.reference}


def test_login_takes_app_url_first_as_officially(api: object, fake: Any) -> None:
    from braintrust import _state
    from tests.fake_braintrust import GOOD_KEY

    braintrust.login(fake.url, GOOD_KEY)
    conn = _state._api_connection()
    assert conn is not None and conn.app_url == fake.url and conn.logged_in


def test_async_loaders_and_json_attachments_on_the_service(
        api: object, fake: Any) -> None:
    _prompt("remote")
    logger = braintrust.init_logger(project="p")

    async def main() -> tuple[Any, Any, list[Any]]:
        with logger.start_span(name="caller"):
            prompt = await load_prompt_async(project="p", slug="g")
            output = await invoke_async(project_name="p", slug="echoed", input={"x": 1})
            stream = await invoke_async(project_name="p", slug="s", input=1, stream=True)
            chunks = [c async for c in stream]
        return prompt, output, chunks

    prompt, output, chunks = asyncio.run(main())
    assert prompt.build()["messages"][0]["content"] == "remote"
    assert output == {"echo": {"x": 1}, "slug": "echoed"}
    assert "".join(str(c["data"]) for c in chunks if c["type"] == "text_delta") == "Hello world"
    invoked = [r["body"] for r in fake.requests if r["path"] == "/function/invoke"]
    assert [b["slug"] for b in invoked] == ["echoed", "s"]
    doc = JSONAttachment({"big": list(range(3))}, filename="big.json")
    row_id = logger.log(input={"doc": doc})
    braintrust.flush()
    key = fake.rows[row_id]["input"]["doc"]["key"]
    assert json.loads(fake.uploads[key]) == {"big": [0, 1, 2]}
