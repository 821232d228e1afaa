"""``wrap_livekit_agents``: it traces the sessions of the class it is given and no
other, once however often it is applied, and once with ``setup_livekit_agents()`` on
too. Runs in LiveKit's virtualenv."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import stored_rows
from tests.fake_llm import FakeLLM
from tests.framework_venv import framework_python, run_script

from .test_livekit_agents import PACKAGES

SCRIPT = """
import asyncio, json, os
import braintrust
from braintrust.integrations.livekit_agents import setup_livekit_agents, wrap_livekit_agents

# No auto_instrument(): LiveKit's own spans are left out by the helper too.
braintrust.init_logger(project="p")
from livekit.agents import Agent, AgentSession, RunContext, function_tool
from livekit.plugins import openai


class Traced(AgentSession):
    pass


class Forecaster(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="Be terse.")

    @function_tool
    async def get_weather(self, context: RunContext, city: str) -> str:
        \"\"\"The weather in a city.\"\"\"
        return f"sunny in {city}"

MODE = os.environ["MODE"]
if MODE == "setup_first":
    assert setup_livekit_agents() is True
assert wrap_livekit_agents(Traced) is Traced
wrap_livekit_agents(Traced)
if MODE == "setup_last":
    assert setup_livekit_agents() is True


async def main(cls):
    llm = openai.LLM(model="gpt-4o-mini", base_url=os.environ["FAKE_OPENAI_URL"],
                     api_key="sk-fake")
    async with cls(llm=llm) as session:
        await session.start(Forecaster())
        await session.run(user_input="Weather in Paris?")

asyncio.run(main(Traced))
asyncio.run(main(AgentSession))
braintrust.flush()
print(json.dumps({}))
"""


@pytest.fixture(scope="module")
def python() -> Path:
    try:
        return framework_python("livekit", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"LiveKit Agents cannot be installed here: {exc}")


def _names(python: Path, tmp_path: Path, mode: str) -> Counter[str]:
    with FakeLLM() as llm:
        run_script(python, SCRIPT, tmp_path / "store.sqlite",
                   {"MODE": mode, "FAKE_OPENAI_URL": llm.openai_url})
        assert len(llm.requests) == 4
    return Counter(r["span_attributes"]["name"]
                   for r in stored_rows(tmp_path / "store.sqlite", "p"))


def test_the_wrapped_session_class_traced_once_others_not(python: Path,
                                                          tmp_path: Path) -> None:
    # Wrapped twice: one session row, its two request attempts and its tool; the
    # plain AgentSession's run makes none, and LiveKit's own spans stay out.
    assert _names(python, tmp_path, "wrap") == {
        "livekit_agent_session": 1, "llm_request_run": 2, "function_tool": 1}


@pytest.mark.parametrize("mode", ["setup_first", "setup_last"])
def test_wrapped_with_the_instrumentor_on_one_row_each(python: Path, tmp_path: Path,
                                                       mode: str) -> None:
    # Both sessions traced (setup_livekit_agents), none twice, whichever came first.
    assert _names(python, tmp_path, mode) == {
        "livekit_agent_session": 2, "llm_request_run": 4, "function_tool": 2}
