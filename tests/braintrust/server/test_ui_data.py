"""What the UI and CLI show, without a browser: roll-ups, filtered listings, the SDK's links,
prompt versions, the CLI's commands and the user-facing messages."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import braintrust
from braintrust import cli
from braintrust._summary import ExperimentSummary, ScoreSummary
from braintrust.server._rollup import estimated_cost, overview, trace_summary
from braintrust_otel.sinks.local import _print_notice
from braintrust_otel.store import Store
from tests.conftest import StoreHelper
from tests.served import Running

T = 1_700_000_000.0


def _row(span: str, parent: str | None, start: float, end: float, **fields: Any
         ) -> dict[str, Any]:
    return {"id": span, "span_id": span, "root_span_id": "r", "span_parents": [parent]
            if parent else [], "metrics": {"start": start, "end": end, **fields.pop("m", {})},
            "span_attributes": {"name": span, "type": fields.pop("type", "task")}, **fields}


def test_trace_summary_totals_tokens_cost_and_errors() -> None:
    rows = [_row("r", None, T, T + 2),
            _row("a", "r", T, T + 1, type="llm", metadata={"model": "openai/gpt-4o-mini"},
                 m={"prompt_tokens": 1000, "completion_tokens": 500, "tokens": 1500}),
            _row("b", "r", T + 1, T + 2, type="llm", metadata={"model": "unknown-model"},
                 m={"prompt_tokens": 10, "completion_tokens": 5}, error="Boom: no"),
            _row("c", "r", T, T + 1, error={"kind": "x"})]
    s = trace_summary(rows)
    assert s["duration"] == 2
    assert s["tokens"] == 1515  # the second call's total computed from its parts
    assert s["prompt_tokens"] == 1010 and s["completion_tokens"] == 505
    assert s["cost"] == pytest.approx(0.00045)  # the unknown model is not priced
    assert s["cost_by_model"] == {"openai/gpt-4o-mini": pytest.approx(0.00045)}
    assert s["errors"] == 2 and s["error"] == "Boom: no"
    assert s["models"] == ["openai/gpt-4o-mini", "unknown-model"]


def test_estimated_cost_matches_the_longest_prefix() -> None:
    # gpt-4o-mini must not be priced as gpt-4o, nor a dated name fail to match.
    assert estimated_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert estimated_cost("gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.50)
    assert estimated_cost("claude-3-5-sonnet-latest", 0, 1_000_000) == pytest.approx(15.0)
    assert estimated_cost("my-model", 1, 1) is None
    assert estimated_cost(None, 1, 1) is None


def test_overview_groups_by_day_with_percentiles() -> None:
    roots = [{"created": f"2026-01-0{d}T10:00:00Z", "duration": float(i), "errors": int(i == 3),
              "scores": {"ok": i / 10}, "llm": [["gpt-4o", 100, 0, 100]]}
             for d, i in [(1, 1), (1, 2), (1, 3), (1, 4), (2, 5)]]
    days = overview(roots)
    assert [d["day"] for d in days] == ["2026-01-01", "2026-01-02"]
    first = days[0]
    assert first["traces"] == 4 and first["p50"] == 2.5 and first["p95"] == pytest.approx(3.85)
    assert first["tokens"] == 400 and first["cost"] == pytest.approx(4 * 100 * 2.5 / 1e6)
    assert first["error_rate"] == 0.25 and first["scores"]["ok"] == pytest.approx(0.25)


def _log_traces(store: StoreHelper) -> str:
    logger = braintrust.init_logger(project="p")
    for i in range(3):
        root = logger.start_span(name=f"root{i}", start_time=T + i)
        root.log(input=f"q{i}", tags=["even"] if i % 2 == 0 else None,
                 scores={"quality": i / 2})
        child = root.start_span(name="call", type="llm", start_time=T + i)
        child.log(metadata={"model": "gpt-4o" if i == 1 else "gpt-4o-mini", "user": f"u{i}"},
                  metrics={"tokens": 10 * (i + 1)})
        if i == 2:
            child.log(error="failed")
        child.end(end_time=T + i + 0.1)
        root.end(end_time=T + i + 1 + i)  # durations 1, 2, 3
    braintrust.flush()
    found = store.store.find_project(name="p")
    assert found is not None
    return found["id"]


def test_find_roots_filters_on_any_span_and_sorts(store: StoreHelper) -> None:
    pid = _log_traces(store)
    s = store.store

    def names(**kw: Any) -> list[str]:
        rows, total = s.find_roots("project_logs", pid, **kw)
        assert total == len(rows)
        return [r["span_attributes"]["name"] for r in rows]

    assert names() == ["root2", "root1", "root0"]  # newest first
    assert names(model="gpt-4o") == ["root1"]  # on the child span, found by its root
    assert names(span_type="llm") == ["root2", "root1", "root0"]
    assert names(span_name="nope") == []
    assert names(errors_only=True) == ["root2"]
    assert names(metadata=("user", "u0")) == ["root0"]
    assert names(tag="even") == ["root2", "root0"]
    assert names(score=("quality", 0.4, 0.6)) == ["root1"]
    assert names(score=("quality", None, 0.4)) == ["root0"]
    assert names(sort="duration", descending=True) == ["root2", "root1", "root0"]
    assert names(sort="tokens", descending=False) == ["root0", "root1", "root2"]
    assert names(sort="score:quality", descending=True) == ["root2", "root1", "root0"]
    rows, total = s.find_roots("project_logs", pid, limit=1, offset=1)
    assert total == 3 and [r["span_attributes"]["name"] for r in rows] == ["root1"]
    # A score name with a quote or dot is a key, not JSON path syntax.
    assert names(score=('a"b.c', 0, 1)) == []


def test_the_links_the_sdk_prints_redirect_to_the_ui(store: StoreHelper,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    running = Running(store.store)
    monkeypatch.setenv("BRAINTRUST_APP_URL", running.url)
    try:
        logger = braintrust.init_logger(project="links")
        with logger.start_span(name="root") as root, root.start_span(name="child") as child:
            link = child.permalink()
        case_links: list[str] = []

        def task(x: int) -> int:
            case_links.append(braintrust.current_span().link())  # the task span of the case
            return x

        result = braintrust.Eval("links", data=[{"input": 1}], task=task,
                                 scores=[], experiment_name="e1", quiet=True)
        braintrust.flush()
        pid = store.store.find_project(name="links")["id"]  # type: ignore[index]
        exp = store.store.find_experiment(project_id=pid, name="e1")
        assert exp is not None and result.summary is not None
        with httpx.Client() as http:
            def target(url: str) -> str:
                resp = http.get(url)
                assert resp.status_code == 302, resp.text
                return str(resp.headers["location"])

            assert target(link) == f"/#/t/project_logs/{pid}/{root.root_span_id}/{child.span_id}"
            assert target(str(result.summary.experiment_url)) == f"/#/e/{exp['id']}"
            rows = [r.data for r in store.store.rows("experiment", exp["id"])]
            task_row = next(r for r in rows if r["span_attributes"]["name"] == "task")
            assert target(case_links[0]) == (f"/#/t/experiment/{exp['id']}/"
                                             f"{task_row['root_span_id']}/{task_row['span_id']}")
            assert target(str(result.summary.project_url)) == f"/#/p/{pid}"
            assert target(f"{running.url}/app/local/p/links/experiments") == \
                f"/#/p/{pid}/experiments"
            missing = http.get(f"{running.url}/app/local/p/links/experiments/nope")
            assert missing.status_code == 404 and "not in this store" in missing.text
            assert http.get(f"{running.url}/app/local/p/nope").status_code == 404
    finally:
        running.stop()


def test_the_printed_summary_says_how_to_open_a_local_link() -> None:
    local = ExperimentSummary("p", None, "e", None,
                              experiment_url="http://127.0.0.1:8000/app/local/p/p/experiments/e")
    assert "braintrust serve" in str(local)
    hosted = ExperimentSummary("p", None, "e", None,
                               experiment_url="https://www.braintrust.dev/app/acme/p/p/experiments/e")
    assert "braintrust serve" not in str(hosted)


def test_summary_wording_counts_and_no_change() -> None:
    text = str(ScoreSummary("s", 0.5, diff=0.0, improvements=1, regressions=1))
    assert "(no change)" in text and "(1 improvement, 1 regression)" in text
    text = str(ScoreSummary("s", 0.5, diff=0.1, improvements=2, regressions=0))
    assert "(+10.00%)" in text and "(2 improvements, 0 regressions)" in text


def test_an_unchanged_prompt_saved_again_keeps_its_version(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.sqlite")
    pid = store.ensure_project(name="p")["id"]
    data = {"name": "G", "prompt_data": {"prompt": {"type": "chat", "messages": []}}}
    first = store.save_prompt(pid, "g", data)
    again = store.save_prompt(pid, "g", dict(data))
    assert again["_xact_id"] == first["_xact_id"] and len(store.prompts(pid)) == 1
    changed = store.save_prompt(pid, "g", {**data, "name": "H"})
    assert changed["_xact_id"] != first["_xact_id"] and changed["id"] == first["id"]
    assert len(store.prompts(pid)) == 2


def test_cli_without_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "usage: braintrust" in out and "serve" in out and "logs" in out


def test_every_option_of_every_subcommand_is_explained(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    for command in ("logs", "eval", "push", "serve"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        out = capsys.readouterr().out
        options = [line.strip() for line in out.splitlines() if line.strip().startswith("--")]
        assert options, command
        # Every option's help names its default (flags say "off", others their value).
        text = " ".join(out.split())
        assert text.count("default") >= len(options) - 1, (command, out)


def test_logs_on_a_missing_store_is_an_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["logs", "--store", str(tmp_path / "missing.sqlite")]) == 2
    assert "no such store file" in capsys.readouterr().err
    assert not (tmp_path / "missing.sqlite").exists()


def test_logs_lists_experiments_datasets_and_tokens(store: StoreHelper,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _log_traces(store)
    braintrust.Eval("p", data=[{"input": "a", "expected": "A"}, {"input": "b", "expected": "b"}],
                    task=str.upper, scores=[lambda output, expected: float(output == expected)],
                    experiment_name="exp-one", quiet=True)
    ds = braintrust.init_dataset(project="p", name="d1")
    ds.insert(input="x")
    ds.flush()
    braintrust.flush()
    path = str(store.path)
    assert cli.main(["logs", "--store", path, "-p", "p"]) == 0
    out = capsys.readouterr().out
    assert "call [llm]" in out and "tokens=30" in out
    assert cli.main(["logs", "--store", path, "--experiments"]) == 0
    out = capsys.readouterr().out
    assert "exp-one" in out and "2 cases" in out and " 50.00%  scorer" in out
    assert cli.main(["logs", "--store", path, "--datasets"]) == 0
    out = capsys.readouterr().out
    assert "d1  1 record, version" in out


def test_logger_errors_name_the_method_the_user_called(store: StoreHelper) -> None:
    logger = braintrust.init_logger(project="p")
    with pytest.raises(TypeError, match=r"^Logger\.log\(\) got an unexpected keyword argument "
                                        r"'bogus'$"):
        logger.log(input=1, bogus=2)
    with pytest.raises(TypeError, match=r"^Logger\.log\(\): scores must be"):
        logger.log(scores="x")  # type: ignore[arg-type]
    exp = braintrust.init(project="p", experiment="e")
    with pytest.raises(TypeError, match=r"^Experiment\.log\(\)"):
        exp.log(input=1, metadata=3)  # type: ignore[arg-type]


def test_the_local_store_notice_keeps_a_progress_bar_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tqdm import tqdm

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    bar = tqdm(total=2, desc="cases", file=sys.stderr)
    bar.update(1)
    try:
        _print_notice(Store(tmp_path / "n.sqlite"))
    finally:
        bar.close()
    text = err.getvalue()
    at = text.index("braintrust: no API key")
    # Printed plainly, the notice would continue the bar's line ("cases: 50%|...braintrust:").
    assert text[at - 1] in "\r\n", repr(text[max(0, at - 40):at + 5])
