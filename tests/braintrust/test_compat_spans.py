"""Drop-in compatibility of spans and evals with the official SDK (0.48.1).

The twin tests run one script under the official SDK (its own virtualenv, see
tests/official_sdk.py) and under this package, each against a fake Braintrust
service, and compare what each recorded: every span by its path of names,
with its type, fields, scores, origin and classifications. The other tests
check the same behaviours in-process, on the embedded store.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import braintrust
from tests.conftest import ROOT, StoreHelper, stored_rows
from tests.twin import both, run, spans

SPANS = """
import braintrust
logger = braintrust.init_logger(project="p")

@braintrust.traced
def add(a, b):
    return a + b

@braintrust.traced("positional", metadata={"via": "traced"})
def pos():
    return 1

with logger.start_span(name="root", input={"q": 1}) as root:
    with root.start_span(name="child", output="kw", metadata={"m": 1}, tags=["t"]) as child:
        assert child.name == "child"
    add(1, 2)
    pos()
    with braintrust.start_span(name="modchild", input="i", scores={"s": 1}):
        pass
    with logger.start_span(name="loggerchild"):
        pass
    manual = root.start_span(name="manual")
    manual.set_current()
    inner = braintrust.start_span(name="inner")
    inner.end()
    manual.unset_current()
    manual.end()
    after = braintrust.start_span(name="after_unset")
    after.end()
    assert root.link().startswith("http")
with braintrust.start_span(name="modroot", output=5):
    pass
fb = logger.log(input="x", output="y", scores={"a": 0}, allow_concurrent_with_spans=True)
logger.flush()
logger.log_feedback(id=fb, scores={"f": 1}, expected="e", tags=["ok"])
logger.update_span(id=fb, output="updated")
exp = braintrust.init(project="p", experiment="e")
with exp.start_span(name="er", input=1) as er:
    with er.start_span(name="ec", output=2) as ec:
        pass
    ec.log_feedback(scores={"g": 0.5})
eid = exp.log(input=1, output=2, scores={"s": 1}, dataset_record_id="abc",
              allow_concurrent_with_spans=True)
exp.flush()
exp.update_span(id=eid, output=3)
exp.flush()
logger.flush()
"""


def test_span_api_records_what_the_official_records(tmp_path: Path) -> None:
    official, ours = both(SPANS, tmp_path)
    expected = spans(official)
    got = spans(ours)
    # What the comparison covers, as the official SDK recorded it:
    assert expected["root/child"] == [{"span_attributes": {"name": "child"}, "output": "kw",
                                       "metadata": {"m": 1}, "tags": ["t"]}]  # no type
    assert expected["root/add"][0]["span_attributes"]["type"] == "function"
    assert expected["root/loggerchild"][0]["span_attributes"]["type"] == "task"
    assert expected["root/positional"][0]["metadata"] == {"via": "traced"}
    assert "root/manual/inner" in expected and "root/after_unset" in expected
    feedback = [r for r in expected["root"] if r.get("expected") == "e"]
    assert feedback == [{"span_attributes": {"name": "root", "type": "task"}, "input": "x",
                         "output": "updated", "expected": "e", "scores": {"a": 0, "f": 1},
                         "tags": ["ok"]}]
    assert expected["er/ec"][0]["scores"] == {"g": 0.5}
    assert got == expected


EVAL = """
import asyncio, functools, braintrust
from braintrust import EvalCase

def exact(output, expected):
    return float(output == expected)

class Named:
    # autoevals' scorers name themselves this way (LLMClassifier("No apology", ...))
    def __init__(self, name):
        self.name = name
    def _name(self):
        return self.name
    def __call__(self, output, **kwargs):
        return 1.0

class Plain:
    def __call__(self, output, expected=None):
        return 0.5

def weighted(output, expected, weight):
    return weight

def with_trace(output, trace=None):
    conf = trace.get_configuration() if trace is not None else {}
    ok = conf.get("object_type") == "experiment" and len(conf.get("root_span_id", "")) > 0
    return {"name": "traced_ok", "score": 1.0 if ok else 0.0}

def failing(output):
    raise ValueError("nope")

def by_position(x, y):
    # Names that match nothing: the official SDK hands out input, then expected.
    return {"name": "by_position", "score": 1.0 if (x, y) in (("a", "A"), ("bb", "BB")) else 0.0}

def label(output):
    return {"id": "short" if len(output) < 3 else "long", "label": "Length"}

def handler(root_span, data, unhandled):
    root_span.log(scores={u: 0 for u in unhandled})
    return {u: 0 for u in unhandled}

async def main():
    pending = braintrust.Eval(
        "evalp",
        data=[EvalCase(input="a", expected="A", tags=["t"], upsert_id="case-a",
                       origin={"object_type": "dataset", "object_id": "d1", "id": "r1",
                               "_xact_id": "1"}),
              {"input": "bb", "expected": "BB", "trial_count": 2}],
        task=lambda s: s.upper(),
        scores=[exact, Named("No apology"), Plain(), functools.partial(weighted, weight=0.25),
                lambda output: 1, with_trace, failing, by_position],
        classifiers=[label],
        error_score_handler=handler,
        experiment_name="e1",
        enable_cache=False,
    )
    assert isinstance(pending, asyncio.Task), type(pending)
    result = await pending
    first = result.results[0]
    print("RESULT", len(result.results), first.error, sorted(first.scores.items()))

asyncio.run(main())
"""


def test_eval_records_what_the_official_records(tmp_path: Path) -> None:
    official, ours = both(EVAL, tmp_path)
    expected = spans(official)
    got = spans(ours)
    names = {path.split("/", 1)[1] for path in expected if "/" in path}
    assert names == {"task", "exact", "No apology", "Plain", "partial", "scorer_4",
                     "with_trace", "failing", "by_position", "label"}
    assert all(r["scores"] == {"by_position": 1.0} for r in expected["eval/by_position"])
    assert len(expected["eval"]) == 3  # "bb" has trial_count 2
    assert all(r["scores"] == {"traced_ok": 1.0} for r in expected["eval/with_trace"])
    assert {r["span_attributes"]["type"] for r in expected["eval/label"]} == {"classifier"}
    [first] = [r for r in expected["eval"] if r["input"] == "a"]
    assert first["origin"]["id"] == "r1"
    assert first["classifications"] == {"label": [{"id": "short", "label": "Length"}]}
    assert first["metadata"] == {"scorer_errors": {"failing": "ValueError: nope"}}
    assert first["scores"] == {"failing": 0}
    assert got == expected
    # upsert_id is the eval span's row id in both.
    for rows in (official, ours):
        [root] = [r for r in rows if r.get("input") == "a"
                  and (r.get("span_attributes") or {}).get("type") == "eval"]
        assert root["id"] == "case-a"


def test_eval_inside_a_running_loop_returns_a_task(store: StoreHelper) -> None:
    seen: list[Any] = []

    async def main() -> braintrust.EvalResultWithSummary:
        pending: Any = braintrust.Eval("in-loop", data=[{"input": 1, "expected": 2}],
                                       task=lambda x: x + 1,
                                       scores=[lambda output, expected: output == expected],
                                       quiet=True)
        seen.append(pending)
        assert isinstance(pending, asyncio.Task)
        # The run happens on this loop: nothing blocks it meanwhile.
        result: braintrust.EvalResultWithSummary = await pending
        return result

    result = asyncio.run(main())
    assert result.results[0].scores == {"scorer_0": 1.0}
    assert result.results[0].output == 2
    # Outside a loop it still returns the result itself.
    again = braintrust.Eval("in-loop", data=[{"input": 1}], task=lambda x: x, scores=[],
                            quiet=True)
    assert isinstance(again, braintrust.EvalResultWithSummary)


def test_eval_cancel_event_stops_the_run(store: StoreHelper) -> None:
    cancel = threading.Event()
    started = threading.Event()

    async def task(x: int, hooks: braintrust.EvalHooks) -> int:
        assert hooks.cancel_event is cancel
        hooks.report_progress({"format": "code", "output_type": "completion",
                               "event": "text_delta", "data": "x"})
        started.set()
        await asyncio.sleep(30)
        return x

    def cancel_soon() -> None:
        started.wait(10)
        cancel.set()

    threading.Thread(target=cancel_soon, daemon=True).start()
    with pytest.raises(asyncio.CancelledError):
        braintrust.Eval("cancelled", data=[{"input": 1}], task=task, scores=[], quiet=True,
                        cancel_event=cancel)
    cancel.clear()
    cancel.set()
    with pytest.raises(asyncio.CancelledError):  # set before it starts: nothing runs
        braintrust.Eval("cancelled", data=[{"input": 1}], task=task, scores=[], quiet=True,
                        cancel_event=cancel)


def test_report_progress_goes_to_the_stream_callback(store: StoreHelper) -> None:
    events: list[dict[str, Any]] = []

    def task(x: str, hooks: braintrust.EvalHooks) -> str:
        hooks.report_progress({"format": "code", "output_type": "completion",
                               "event": "text_delta", "data": x})
        return x

    result = braintrust.Eval("progress", data=[{"input": "a"}], task=task, scores=[],
                             quiet=True, stream=events.append)
    assert events == [{"id": result.results[0].id, "name": "progress", "object_type": "task",
                       "format": "code", "output_type": "completion", "event": "text_delta",
                       "data": "a"}]
    with pytest.raises(ValueError, match="at least one of"):
        braintrust.init_logger(project="p").log_feedback("row", metadata={"only": 1})


def test_eval_under_a_parent_logs_to_it_and_not_to_an_experiment(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="outer") as outer:
        slug = outer.export()
    braintrust.Eval("parented", data=[{"input": "x"}], task=lambda s: s * 2,
                    scores=[lambda output: 1], parent=slug, quiet=True)
    rows = store.by_name()
    assert rows["eval"]["span_parents"] == [outer.span_id]
    assert rows["task"]["output"] == "xx"
    assert rows["scorer_0"]["scores"] == {"scorer_0": 1}
    assert store.store.find_project(name="parented") is None


def test_autoevals_llm_classifier_score_span_is_named_as_built(
    store: StoreHelper, monkeypatch: pytest.MonkeyPatch
) -> None:
    from autoevals import LLMClassifier

    from tests.fake_llm import FakeLLM

    with FakeLLM() as llm:
        monkeypatch.setenv("OPENAI_BASE_URL", llm.openai_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        no_apology = LLMClassifier(
            name="No apology",
            prompt_template="Does this apologise? {{output}}",
            choice_scores={"Yes": 0, "No": 1},
            use_cot=True,
            model="gpt-4o-mini",  # chat completions (the fake answers them with a choice)
        )
        result = braintrust.Eval("autoevals-names", data=[{"input": "hi"}],
                                 task=lambda s: s + "!", scores=[no_apology], quiet=True)
    assert list(result.results[0].scores) == ["No apology"]
    exp = store.store.find_project(name="autoevals-names")
    assert exp is not None
    [experiment] = store.store.experiments(exp["id"])
    rows = [r.data for r in store.store.rows("experiment", experiment["id"])]
    score_spans = [r for r in rows if r["span_attributes"].get("type") == "score"]
    assert [r["span_attributes"]["name"] for r in score_spans] == ["No apology"]


def test_start_span_fields_are_checked_before_a_span_starts(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with pytest.raises(TypeError, match=r"unexpected field.*nope"):
        logger.start_span(name="bad", nope=1)
    with pytest.raises(TypeError, match=r"unexpected argument.*nope"):
        braintrust.traced(nope=1)
    with logger.start_span(name="both", event={"input": 1, "output": 2}, output=3):
        pass
    row = store.by_name()["both"]
    assert row["input"] == 1 and row["output"] == 3  # keywords win over event=
    assert "bad" not in store.by_name()


def test_logger_feedback_update_and_org_id_on_the_store(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s", input="q") as span:
        pass
    span.log_feedback(scores={"human": 1}, comment="fine")
    logger.update_span(span.id, output="late", metadata={"k": 1})
    row = store.by_name()["s"]
    assert row["scores"] == {"human": 1}
    assert row["output"] == "late" and row["metadata"] == {"k": 1}
    [comment] = [r for r in store.rows() if r.get("origin") == {"id": span.id}]
    assert comment["comment"] == {"text": "fine"}
    assert logger.org_id == ""  # no organization without the service
    with pytest.raises(ValueError, match="source"):
        logger.log_feedback(span.id, scores={"x": 1}, source="elsewhere")
    with pytest.raises(TypeError, match="unexpected field"):
        logger.update_span(span.id, bogus=1)
    assert braintrust.NOOP_SPAN.name == "" and braintrust.NOOP_SPAN.link().startswith("http")


def test_logger_org_id_is_the_logged_in_organization(tmp_path: Path) -> None:
    from tests.fake_braintrust import ORG_ID

    _, out = run(sys.executable, """
        import braintrust
        print("ORG", braintrust.init_logger(project="p").org_id)
    """, tmp_path)
    assert out.split() == ["ORG", ORG_ID]


WRAPPED = """
import sys
sys.path.insert(0, {root!r})
import braintrust, openai
from tests.fake_llm import FakeLLM
with FakeLLM() as f:
    client = braintrust.wrap_openai(openai.OpenAI(base_url=f.openai_url, api_key="k",
                                                  max_retries=0))
    client.chat.completions.create(model="gpt-4o-mini",
                                   messages=[{{"role": "user", "content": "no logger"}}])
    {then}
braintrust.flush()
"""


def test_wrapped_client_without_a_logger_is_not_recorded(tmp_path: Path) -> None:
    # The official SDK records nothing for a wrapped client with no logger;
    # with a logger, both record the call.
    then = ('braintrust.init_logger(project="later")\n    client.chat.completions.create('
            'model="gpt-4o-mini", messages=[{"role": "user", "content": "logged"}])')
    script = WRAPPED.format(root=str(ROOT), then=then)
    official, ours = both(script, tmp_path)
    for rows in (official, ours):
        inputs = [r.get("input") for r in rows if r.get("span_attributes")]
        assert len(inputs) == 1, inputs
        assert "logged" in str(inputs[0]) and "no logger" not in str(rows)


def test_foreign_spans_and_braintrust_parent_still_land(tmp_path: Path) -> None:
    then = ('from opentelemetry import trace\n    '
            'trace.get_tracer("app").start_span("foreign").end()')
    script = WRAPPED.format(root=str(ROOT), then=then)
    rows, _ = run(sys.executable, script, tmp_path)
    # Other instrumentation's spans land in the default project, as before.
    assert [r["span_attributes"]["name"] for r in rows if r.get("span_attributes")] \
        == ["foreign"]
    (tmp_path / "env").mkdir()
    rows, _ = run(sys.executable, WRAPPED.format(root=str(ROOT), then="pass"),
                  tmp_path / "env", env={"BRAINTRUST_PARENT": "project_name:configured"})
    assert [r["span_attributes"]["type"] for r in rows if r.get("span_attributes")] == ["llm"]


def test_zero_code_path_records_wrapped_calls_without_a_logger(tmp_path: Path) -> None:
    # Under opentelemetry-instrument the distro's processor is the one in use:
    # with no logger and no BRAINTRUST_PARENT, calls land in the default project.
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent(WRAPPED.format(root=str(ROOT), then="pass")))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BRAINTRUST_", "OTEL_", "OPENAI_"))}
    env["BRAINTRUST_LOCAL_STORE"] = str(tmp_path / "s.sqlite")
    tool = str(Path(sys.executable).with_name("opentelemetry-instrument"))
    proc = subprocess.run([tool, sys.executable, str(app)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = stored_rows(tmp_path / "s.sqlite", "default-otel-project")
    assert [r["span_attributes"]["type"] for r in rows] == ["llm"]
