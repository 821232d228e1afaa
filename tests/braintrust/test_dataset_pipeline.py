"""Dataset pipelines (braintrust.dataset_pipeline): logged spans or traces turned into
dataset rows, on the embedded store and on the fake service."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import DatasetPipeline, DatasetPipelineDefinition
from braintrust._pipeline_filter import compile_filter
from braintrust.cli import main as cli_main
from braintrust.dataset_pipeline import get_registered_dataset_pipelines
from tests.fake_braintrust import FakeBraintrust

# Transforms here take fewer keywords than the official Protocol spells out (the
# runner passes only those a transform takes), which a type checker cannot see.
Pipeline: Any = DatasetPipeline


def _log_chats(project: str) -> list[str]:
    """Three traces (chat with a tool child); returns the chat spans' row ids."""
    logger = braintrust.init_logger(project=project)
    ids = []
    for i in range(3):
        with logger.start_span(name="chat", input={"q": i},
                               metadata={"flagged": i != 1, "n": i}) as span:
            span.log(output=f"answer {i}")
            with span.start_span(name="tool", type="tool", input="t"):
                pass
            ids.append(span.id)
    braintrust.flush()
    return ids


def _dataset_rows(project: str, name: str) -> dict[str, dict[str, Any]]:
    from braintrust import _state

    braintrust.flush()
    ds = braintrust.init_dataset(project=project, name=name)
    return {r["id"]: r for r in _state.backend().rows("dataset", ds.id)}


def test_span_pipeline_writes_filtered_spans_with_their_ids_and_origin(
        where: FakeBraintrust | None) -> None:
    ids = _log_chats("pipe-src")
    # First (the fake service keys rows by id alone, so rows written under the
    # source spans' ids below would hide those spans from a later read).
    limited = Pipeline(source={"project_name": "pipe-src", "filter": "metadata.n >= 1"},
                              transform=lambda id, input: {"id": f"own-{id}", "input": input},
                              target={"dataset_name": "limited", "project_name": "pipe-dst"})
    assert [r["id"] for r in limited.run(limit=1)] == [f"own-{ids[2]}"]
    seen: list[dict[str, Any]] = []

    def to_row(id: str, input: Any, output: Any, metadata: Any) -> dict[str, Any]:
        seen.append({"id": id, "metadata": metadata})
        return {"input": input, "expected": output, "tags": ["golden"],
                "metadata": {"n": metadata["n"]}}

    pipeline = Pipeline(
        "flagged", source={"project_name": "pipe-src", "filter": "metadata.flagged = true "
                           "and span_attributes.name = 'chat'"},
        transform=to_row, target={"dataset_name": "golden", "project_name": "pipe-dst",
                                  "description": "from logs"})
    assert pipeline.source["scope"] == "span"
    written = pipeline.run()
    assert [r["id"] for r in written] == [ids[2], ids[0]]  # newest first, #1 filtered out
    assert {s["id"] for s in seen} == {ids[0], ids[2]}

    rows = _dataset_rows("pipe-dst", "golden")
    assert set(rows) == {ids[0], ids[2]}
    row = rows[ids[0]]
    assert row["input"] == {"q": 0} and row["expected"] == "answer 0"
    assert row["tags"] == ["golden"] and row["metadata"] == {"n": 0}
    project_id = braintrust.init_logger(project="pipe-src").id
    assert row["origin"] == {"object_type": "project_logs", "object_id": project_id,
                             "id": ids[0]}



def test_trace_pipeline_gets_the_trace_and_may_return_several_rows(
        where: FakeBraintrust | None) -> None:
    _log_chats("pipe-traces")

    async def per_trace(trace: Any) -> list[dict[str, Any]]:
        spans = await trace.get_spans()
        names = sorted(s.span_attributes["name"] for s in spans)
        return [{"input": names}, {"input": len(spans)}]

    pipeline = Pipeline(
        source={"project_name": "pipe-traces", "scope": "trace",
                "filter": "span_attributes.type = 'tool'"},
        transform=per_trace, target={"dataset_name": "traces"})  # the source's project
    written = pipeline.run(limit=2)
    assert len(written) == 4
    root = written[0]["id"].rsplit(":", 1)[0]
    assert [r["id"] for r in written[:2]] == [f"{root}:0", f"{root}:1"]
    assert written[0]["input"] == ["chat", "tool"] and written[1]["input"] == 2
    assert "origin" not in written[0]  # a trace has no one source row
    rows = _dataset_rows("pipe-traces", "traces")
    assert rows[f"{root}:1"]["input"] == 2


def test_transform_may_skip_and_must_return_dicts(store: Any) -> None:
    _log_chats("pipe-skip")
    skip = Pipeline(source={"project_name": "pipe-skip"}, transform=lambda: None,
                           target={"dataset_name": "none"})
    assert skip.run() == []
    bad = Pipeline(source={"project_name": "pipe-skip"}, transform=lambda: "text",
                          target={"dataset_name": "none"})
    with pytest.raises(ValueError, match="a row is a dict"):
        bad.run()
    with pytest.raises(ValueError, match="limit"):
        skip.run(limit=0)


def test_definition_is_registered_and_checked() -> None:
    before = len(get_registered_dataset_pipelines())
    source = {"project_id": "p1"}
    made = Pipeline(source=source, transform=lambda input: None,
                           target={"dataset_name": "d"})
    assert isinstance(made, DatasetPipelineDefinition)
    assert get_registered_dataset_pipelines()[before:] == [made]
    assert made.source == {"project_id": "p1", "scope": "span"} and source == {"project_id": "p1"}
    assert made.name is None and made.target == {"dataset_name": "d"}
    with pytest.raises(ValueError, match="scope"):
        Pipeline(source={"project_id": "p", "scope": "trial"},
                        transform=print, target={"dataset_name": "d"})
    with pytest.raises(TypeError, match="dataset_name"):
        Pipeline(source={}, transform=print, target={})
    with pytest.raises(ValueError, match="source filter"):
        Pipeline(source={"filter": "metadata.x ~ 1"}, transform=print,
                        target={"dataset_name": "d"})


def test_the_cli_runs_the_pipeline_a_file_defines(store: Any, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    ids = _log_chats("pipe-cli")
    file = tmp_path / "pipeline.py"
    file.write_text(textwrap.dedent("""
        import braintrust
        braintrust.DatasetPipeline("first", source={"project_name": "pipe-cli"},
                                   transform=lambda input: {"input": input},
                                   target={"dataset_name": "from-cli"})
        braintrust.DatasetPipeline("second", source={"project_name": "pipe-cli"},
                                   transform=lambda input: None,
                                   target={"dataset_name": "unused"})
    """))
    assert cli_main(["datasets", "pipeline", "run", str(file)]) == 1
    assert "pass --name" in capsys.readouterr().err
    assert cli_main(["datasets", "pipeline", "run", str(file), "--name", "first",
                     "--limit", "2"]) == 0
    assert "2 rows written to dataset 'from-cli'" in capsys.readouterr().out
    rows = _dataset_rows("pipe-cli", "from-cli")
    assert len(rows) == 2 and ids[2] in rows  # the newest spans: chat 2 and its tool


# -- the filter subset (pure) -------------------------------------------------------------

ROW = {"input": {"q": "Hello World", "n": [1, 2]}, "metadata": {"flagged": True, "n": 3,
                                                                 "odd key": "x"},
       "scores": {"acc": 0.5}, "error": None, "span_attributes": {"name": "chat"}}


@pytest.mark.parametrize("text,expected", [
    ("", True),
    ("metadata.flagged = true", True),
    ("metadata.flagged != true", False),
    ("metadata.n > 2 AND scores.acc <= 0.5", True),
    ("metadata.n < 2 OR span_attributes.name = 'chat'", True),
    ("NOT (metadata.n = 3)", False),
    ("error IS NULL", True),
    ("metadata.missing IS NOT NULL", False),
    ("input.q LIKE 'Hello%'", True),
    ("input.q ILIKE '%world'", True),
    ("input.q NOT LIKE 'Hello%'", False),
    ("span_attributes.name IN ('chat', 'tool')", True),
    ("span_attributes.name NOT IN ('tool')", True),
    ("metadata.\"odd key\" = 'x'", True),
    ("input.n[1] = 2", True),
    ("metadata.missing = null", False),  # SQL: nothing equals null
    ("metadata.n = 'it''s'", False),
    ("metadata.flagged", True),
])
def test_filter_subset(text: str, expected: bool) -> None:
    assert compile_filter(text)(ROW) is expected


@pytest.mark.parametrize("text", ["metadata.n ~ 3", "metadata.n = ", "(metadata.n = 3",
                                  "metadata.n = 3 extra", "count(*) > 1"])
def test_filter_refuses_what_it_does_not_understand(text: str) -> None:
    with pytest.raises(ValueError, match="source filter"):
        compile_filter(text)
