"""The official SDK's per-library names, at its module paths, doing what they do there.

The names are those the official SDK 0.48.1 exports (``__all__``) from
``braintrust.integrations.<library>`` and ``braintrust.wrappers.<library>``
for the frameworks traced here (tests/braintrust/test_surface.py checks every
per-library module against the recording).
Heavy frameworks' helpers are exercised in their own virtualenvs
(tests/braintrust_otel/instrumentation/test_crewai.py, test_llamaindex.py, test_adk.py).
"""

from __future__ import annotations

import importlib
import json
import textwrap
import warnings
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_python, stored_rows
from tests.fake_llm import FakeLLM

OFFICIAL = {
    "braintrust.integrations.adk": ["ADKIntegration", "setup_adk", "setup_braintrust",
                                    "wrap_agent", "wrap_flow", "wrap_mcp_tool", "wrap_runner",
                                    "wrap_workflow"],
    "braintrust.integrations.agno": ["AgnoIntegration", "setup_agno", "wrap_agent",
                                     "wrap_function_call", "wrap_model", "wrap_team",
                                     "wrap_workflow"],
    "braintrust.integrations.autogen": ["AutoGenIntegration", "setup_autogen"],
    "braintrust.integrations.crewai": ["BraintrustCrewAIListener", "CrewAIIntegration",
                                       "patch_crewai", "setup_crewai"],
    "braintrust.integrations.cursor_sdk": ["CursorSDKIntegration", "setup_cursor_sdk",
                                           "wrap_cursor_sdk_agent"],
    "braintrust.integrations.dspy": ["BraintrustDSpyCallback", "DSPyIntegration", "patch_dspy"],
    "braintrust.integrations.langchain": ["BraintrustCallbackHandler", "LangChainIntegration",
                                          "set_global_handler", "setup_langchain"],
    "braintrust.integrations.llamaindex": ["BraintrustSpanHandler", "LlamaIndexIntegration",
                                           "setup_llamaindex"],
    "braintrust.integrations.strands": ["StrandsIntegration", "setup_strands",
                                        "wrap_strands_tracer"],
    "braintrust.integrations.mistral": ["MistralIntegration", "wrap_mistral"],
    "braintrust.integrations.pydantic_ai": [
        "PydanticAIIntegration", "setup_pydantic_ai", "wrap_agent", "wrap_model_classes",
        "wrap_model_request", "wrap_model_request_stream", "wrap_model_request_stream_sync",
        "wrap_model_request_sync"],
    "braintrust.wrappers.adk": ["setup_adk", "setup_braintrust", "wrap_agent", "wrap_flow",
                                "wrap_mcp_tool", "wrap_runner"],
    "braintrust.wrappers.agno": ["setup_agno", "wrap_agent", "wrap_function_call", "wrap_model",
                                 "wrap_team", "wrap_workflow"],
    "braintrust.wrappers.dspy": ["BraintrustDSpyCallback", "patch_dspy"],
    "braintrust.wrappers.langchain": ["BraintrustTracer"],
    "braintrust.wrappers.pydantic_ai": [
        "PydanticAIIntegration", "setup_pydantic_ai", "wrap_agent", "wrap_model_classes",
        "wrap_model_request", "wrap_model_request_stream", "wrap_model_request_stream_sync",
        "wrap_model_request_sync"],
}


@pytest.mark.parametrize("module", sorted(OFFICIAL))
def test_official_names_import_from_the_official_paths(module: str) -> None:
    found = importlib.import_module(module)
    missing = [name for name in OFFICIAL[module] if not hasattr(found, name)]
    assert not missing
    for name in OFFICIAL[module]:
        if name.endswith("Integration"):
            assert callable(getattr(found, name).setup)


def test_braintrust_tracer_warns_and_traces_a_langchain_run(tmp_path: Path) -> None:
    pytest.importorskip("langchain_core")
    proc = run_python(textwrap.dedent(f"""
        import json, sys, warnings
        sys.path.insert(0, {str(ROOT)!r})
        import braintrust
        from braintrust.wrappers.langchain import BraintrustCallbackHandler, BraintrustTracer
        from langchain_core.runnables import RunnableLambda
        braintrust.init_logger(project="p")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tracer = BraintrustTracer()
        assert isinstance(tracer, BraintrustCallbackHandler)
        out = RunnableLambda(lambda x: x * 2).invoke(21, config={{"callbacks": [tracer]}})
        braintrust.flush()
        print(json.dumps({{"out": out, "warned": [str(w.category.__name__) for w in caught]}}))
    """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"out": 42, "warned": ["DeprecationWarning"]}
    [row] = stored_rows(tmp_path / "sub.sqlite", "p")
    assert (row["input"], row["output"]) == (21, 42)


def test_setup_braintrust_is_deprecated_setup_adk() -> None:
    from braintrust.integrations.adk import setup_braintrust

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # ADK is not installed in this set: the call reports that it is not traced.
        assert setup_braintrust(project_name="p") is (
            importlib.util.find_spec("google.adk") is not None)
    assert [w.category for w in caught] == [DeprecationWarning]


def test_pydantic_ai_wrappers_turn_its_tracing_on(tmp_path: Path) -> None:
    pytest.importorskip("pydantic_ai")
    with FakeLLM() as llm:
        proc = run_python(textwrap.dedent(f"""
            import json, sys
            sys.path.insert(0, {str(ROOT)!r})
            import braintrust
            braintrust.auto_instrument(pydantic_ai=False, openai=False)
            braintrust.init_logger(project="p")
            from pydantic_ai import Agent
            from pydantic_ai.models.openai import OpenAIChatModel
            from pydantic_ai.providers.openai import OpenAIProvider
            from braintrust.wrappers.pydantic_ai import wrap_agent, wrap_model_request
            assert wrap_agent(Agent) is Agent
            assert wrap_model_request(len) is len
            model = OpenAIChatModel("gpt-4o-mini", provider=OpenAIProvider(
                base_url={llm.openai_url!r}, api_key="sk-fake"))
            print(json.dumps(Agent(model, name="a").run_sync("Hi").output))
            braintrust.flush()
        """), tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = stored_rows(tmp_path / "sub.sqlite", "p")
    llms = [r for r in rows if r["span_attributes"].get("type") == "llm"]
    assert len(llms) == 1 and llms[0]["output"]
    [agent] = [r for r in rows if r["span_attributes"].get("type") == "task"]
    assert agent["output"] == json.loads(proc.stdout.strip().splitlines()[-1])
    assert llms[0]["span_parents"] == [agent["span_id"]]
