"""ADK's per-class helpers (``wrap_agent``/``wrap_runner``/``wrap_flow``/``wrap_mcp_tool``):
they trace the class they are given and nothing else, once however often they are
applied, and once when ``setup_adk()`` is on too. Runs in ADK's virtualenv."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FakeLLM
from tests.framework_venv import framework_python, run_script

from .test_adk import PACKAGES

SCRIPT = """
import asyncio, json, os
import braintrust
from braintrust.integrations.adk import setup_adk, wrap_agent, wrap_flow, wrap_runner

# No auto_instrument(): ADK's own spans (invoke_agent...) are left out by the helpers too.
braintrust.init_logger(project="p")
from google.adk.agents import LlmAgent
from google.adk.flows.llm_flows.auto_flow import AutoFlow
from google.adk.runners import InMemoryRunner
from google.genai import types

class Traced(LlmAgent):
    pass

class Plain(LlmAgent):
    pass

class TracedRunner(InMemoryRunner):
    pass

MODE = os.environ["MODE"]
if MODE == "setup_first":
    assert setup_adk(project_name="p") is True
if MODE == "flow":
    assert wrap_flow(AutoFlow) is AutoFlow
    wrap_flow(AutoFlow)
else:
    if MODE == "base_too":
        wrap_agent(LlmAgent)
    assert wrap_agent(Traced) is Traced
    wrap_agent(Traced)
    assert wrap_runner(TracedRunner) is TracedRunner
    wrap_runner(TracedRunner)
if MODE == "setup_last":
    assert setup_adk(project_name="p") is True

# "traced" runs AutoFlow (it may transfer), "plain" SingleFlow (AutoFlow's base).
traced = Traced(name="traced", model="gemini-2.0-flash", instruction="Be terse.")
plain = Plain(name="plain", model="gemini-2.0-flash", instruction="Be terse.",
              disallow_transfer_to_parent=True, disallow_transfer_to_peers=True)

async def run(runner):
    session = await runner.session_service.create_session(app_name=runner.app_name,
                                                          user_id="u")
    message = types.Content(role="user", parts=[types.Part(text="Hi")])
    async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
        pass

asyncio.run(run(TracedRunner(agent=traced, app_name="wrapped")))
asyncio.run(run(InMemoryRunner(agent=plain, app_name="other")))
braintrust.flush()
print(json.dumps({}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("adk", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"ADK cannot be installed here: {exc}")


def _names(python: Path, tmp_path: Path, mode: str) -> Counter[str]:
    with FakeLLM() as llm:
        run_script(python, SCRIPT, tmp_path / "store.sqlite", {
            "MODE": mode, "GOOGLE_GEMINI_BASE_URL": llm.google_url,
            "GOOGLE_API_KEY": "fake-key", "GOOGLE_GENAI_USE_VERTEXAI": "false"})
        assert len(llm.requests) == 2
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    return Counter(r["span_attributes"]["name"] for r in rows
                   if r["span_attributes"]["name"] != "generate_content")


def test_wrapped_classes_traced_once_siblings_not(python: Path, tmp_path: Path) -> None:
    # Wrapped twice each: one row per run; the Plain agent and InMemoryRunner: none.
    assert _names(python, tmp_path, "wrap") == {"invocation [wrapped]": 1,
                                                 "agent_run [traced]": 1}


def test_wrapping_a_base_class_too_adds_no_row(python: Path, tmp_path: Path) -> None:
    # LlmAgent wrapped before its subclass Traced: Traced's runs still make one row,
    # and Plain (an LlmAgent too) is traced.
    assert _names(python, tmp_path, "base_too") == {
        "invocation [wrapped]": 1, "agent_run [traced]": 1, "agent_run [plain]": 1}


@pytest.mark.parametrize("mode", ["setup_first", "setup_last"])
def test_wrapped_with_the_instrumentor_on_one_row_each(python: Path, tmp_path: Path,
                                                       mode: str) -> None:
    # Everything traced (setup_adk), nothing twice, whichever came first.
    assert _names(python, tmp_path, mode) == {
        "invocation [wrapped]": 1, "invocation [other]": 1, "agent_run [traced]": 1,
        "agent_run [plain]": 1, "call_llm": 2, "llm_call [direct_response]": 2}


def test_wrap_flow_traces_that_flow_class_only(python: Path, tmp_path: Path) -> None:
    # AutoFlow wrapped (twice): the traced agent's flow and model call rows; the plain
    # agent runs SingleFlow, AutoFlow's base class, which stays untraced.
    assert _names(python, tmp_path, "flow") == {"call_llm": 1, "llm_call [direct_response]": 1}


def test_wrap_mcp_tool_rejects_what_has_no_run_async(python: Path, tmp_path: Path) -> None:
    script = """
import json
from braintrust.integrations.adk import wrap_agent, wrap_mcp_tool
errors = []
for helper in (wrap_agent, wrap_mcp_tool):
    try:
        helper(object)
    except TypeError as exc:
        errors.append(str(exc))
print(json.dumps(errors))
"""
    out = run_script(python, script, tmp_path / "store.sqlite", {})
    assert len(out) == 2 and all("run_async" in e for e in out)


TOOL_SCRIPT = """
import asyncio, json, os
import braintrust
from braintrust.integrations.adk import setup_adk, wrap_mcp_tool

braintrust.init_logger(project="p")
from google.adk.agents import LlmAgent
from google.adk.runners import InMemoryRunner
from google.adk.tools.base_tool import BaseTool
from google.genai import types

class Shape(BaseTool):
    # A tool with McpTool's calling shape: run_async(*, args, tool_context).
    def _get_declaration(self):
        return types.FunctionDeclaration(
            name=self.name, description=self.description,
            parameters=types.Schema(type="OBJECT",
                                    properties={"city": types.Schema(type="STRING")}))

    async def run_async(self, *, args, tool_context):
        with braintrust.start_span(name="inside"):
            return f"sunny in {args['city']}"

class Lookup(Shape):
    pass

class Other(Shape):
    pass

if os.environ["MODE"] == "setup":
    setup_adk(project_name="p")
wrap_mcp_tool(Lookup)
wrap_mcp_tool(Lookup)

async def run(tool):
    agent = LlmAgent(name="a", model="gemini-2.0-flash", tools=[tool])
    runner = InMemoryRunner(agent=agent, app_name="app")
    session = await runner.session_service.create_session(app_name="app", user_id="u")
    message = types.Content(role="user", parts=[types.Part(text="Weather in Paris?")])
    async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
        pass

asyncio.run(run(Lookup(name="lookup", description="The weather.")))
asyncio.run(run(Other(name="other", description="The weather.")))
braintrust.flush()
print(json.dumps({}))
"""


@pytest.mark.parametrize("mode", ["wrap", "setup"])
def test_wrap_mcp_tool_rows(python: Path, tmp_path: Path, mode: str) -> None:
    with FakeLLM() as llm:
        run_script(python, TOOL_SCRIPT, tmp_path / "store.sqlite", {
            "MODE": mode, "GOOGLE_GEMINI_BASE_URL": llm.google_url,
            "GOOGLE_API_KEY": "fake-key", "GOOGLE_GENAI_USE_VERTEXAI": "false"})
    rows = stored_rows(tmp_path / "store.sqlite", "p")
    by_id = {r["span_id"]: r for r in rows}
    # Lookup's call (wrapped twice): one mcp_tool row; its sibling Other's: none.
    mcp = [r for r in rows if r["span_attributes"]["name"].startswith("mcp_tool")]
    assert [r["span_attributes"]["name"] for r in mcp] == ["mcp_tool [lookup]"]
    first = mcp[0]
    assert first["span_attributes"]["type"] == "tool"
    assert first["input"] == {"tool_name": "lookup", "arguments": {"city": "Paris"}}
    assert first["output"] == "sunny in Paris"
    assert first["metadata"] == {"tool_class": "Lookup"}
    [inside] = [r for r in rows if r["span_attributes"]["name"] == "inside"
                and r["span_parents"] == [first["span_id"]]]
    assert inside
    if mode == "setup":
        # Inside the instrumentor's tool row for the same call.
        assert by_id[first["span_parents"][0]]["span_attributes"]["name"] == "tool [lookup]"


def test_wrap_workflow_traces_workflow_nodes_once(python: Path, tmp_path: Path) -> None:
    from .test_adk import WORKFLOW

    script = WORKFLOW.replace(
        "braintrust.auto_instrument()\n", "").replace(
        "from google.genai import types\n",
        "from google.genai import types\n"
        "from braintrust.integrations.adk import wrap_workflow\n"
        "assert wrap_workflow(Workflow) is Workflow\n"
        "wrap_workflow(Workflow)\n"
        "try:\n"
        "    wrap_workflow(InMemoryRunner)\n"
        "except TypeError:\n"
        "    pass\n"
        "else:\n"
        "    raise AssertionError('a runner is not a workflow')\n")
    assert script.count("wrap_workflow(") == 3
    run_script(python, script, tmp_path / "store.sqlite", {"GOOGLE_API_KEY": "fake-key"})
    names = Counter(r["span_attributes"]["name"]
                    for r in stored_rows(tmp_path / "store.sqlite", "p"))
    # The workflow and its nodes (the tool node's tool too), once each; the runner's
    # invocation is not wrapped.
    assert names == {"request": 1, "workflow [wf]": 1, "workflow_node [where]": 1,
                     "workflow_node [get_weather]": 1, "tool [get_weather]": 1,
                     "weather lookup": 1}
