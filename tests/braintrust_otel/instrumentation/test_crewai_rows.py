"""CrewAI objects as row values (pure functions; CrewAI's objects stood in for by plain ones)."""

from __future__ import annotations

import enum
from types import SimpleNamespace as NS
from typing import Any

import pydantic

from braintrust_otel.instrumentation import _crewai as c


def test_agent_metadata_names_its_fields_and_model() -> None:
    agent = NS(id=7, role="R", goal="G", backstory=None, allow_delegation=False, verbose=True,
               llm=NS(model="m"))
    assert c.agent_metadata(agent) == {"agent_id": "7", "agent_role": "R", "agent_goal": "G",
                                       "agent_allow_delegation": False, "agent_verbose": True,
                                       "agent_llm": "m"}
    assert c.agent_metadata(None) == {}


def test_crew_metadata_has_the_process_as_text_and_the_fingerprint() -> None:
    class Process(enum.Enum):
        sequential = "sequential"

    crew = NS(id="c", name="crew", process=Process.sequential, verbose=False,
              fingerprint=NS(uuid_str="u"))
    assert c.crew_metadata(crew) == {"crew_id": "c", "crew_name": "crew",
                                     "crew_process": "Process.sequential",
                                     "crew_verbose": False, "crew_fingerprint": "u"}


class _Out(pydantic.BaseModel):
    raw: str
    pydantic: Any = None


def test_task_output_leaves_empty_fields_out() -> None:
    assert c.task_output(_Out(raw="x")) == {"raw": "x"}
    assert c.task_output("plain") == "plain"


def test_tools_metadata_lists_names_and_schemas() -> None:
    class Args(pydantic.BaseModel):
        city: str

    tools = [NS(name="t", description="d", args_schema=Args), NS(name="u", description=None)]
    listed = c.tools_metadata(tools)
    assert listed is not None
    assert listed[0]["args_schema"]["required"] == ["city"]
    assert listed[1] == {"name": "u"}
    assert c.tools_metadata([]) is None
