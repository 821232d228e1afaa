"""CrewAI objects as row values: pure functions, no spans.

The official SDK's CrewAI rows carry the crew's, task's and agent's identity
and settings as ``crew_*``, ``task_*`` and ``agent_*`` metadata, and a task's
result as the task output without its empty fields. These functions read
those values off CrewAI's objects the same way.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = ["agent_metadata", "crew_metadata", "task_metadata", "task_output", "tools_metadata"]

_AGENT_FIELDS = ("id", "role", "goal", "backstory", "allow_delegation", "verbose")
_TASK_FIELDS = ("id", "name", "description", "expected_output", "async_execution",
                "human_input")
_CREW_FIELDS = ("id", "name", "process", "verbose")
#: Fields logged as text (ids are UUIDs, the process an enum).
_AS_TEXT = frozenset({"id", "process"})


def _fields(obj: Any, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if obj is None:
        return out
    for name in names:
        value = getattr(obj, name, None)
        if value is None or callable(value):
            continue
        out[f"{prefix}_{name}"] = str(value) if name in _AS_TEXT else value
    return out


def agent_metadata(agent: Any) -> dict[str, Any]:
    """``agent_id``, ``agent_role``, ``agent_goal``, ``agent_backstory``,
    ``agent_allow_delegation``, ``agent_verbose`` and ``agent_llm`` (the model name)."""
    out = _fields(agent, "agent", _AGENT_FIELDS)
    model = getattr(getattr(agent, "llm", None), "model", None)
    if model:
        out["agent_llm"] = model
    return out


def task_metadata(task: Any) -> dict[str, Any]:
    """``task_id``, ``task_name``, ``task_description``, ``task_expected_output``,
    ``task_async_execution`` and ``task_human_input``."""
    return _fields(task, "task", _TASK_FIELDS)


def crew_metadata(crew: Any) -> dict[str, Any]:
    """``crew_id``, ``crew_name``, ``crew_process``, ``crew_verbose`` and
    ``crew_fingerprint`` (the crew's fingerprint UUID)."""
    out = _fields(crew, "crew", _CREW_FIELDS)
    uuid = getattr(getattr(crew, "fingerprint", None), "uuid_str", None)
    if uuid:
        out["crew_fingerprint"] = uuid
    return out


def tools_metadata(tools: Any) -> Optional[list[dict[str, Any]]]:
    """The tools an agent was given (name, description, argument schema); None for none."""
    if not tools:
        return None
    out = []
    for tool in tools:
        item = {"name": getattr(tool, "name", None),
                "description": getattr(tool, "description", None)}
        schema = getattr(tool, "args_schema", None)
        json_schema = getattr(schema, "model_json_schema", None)
        if callable(json_schema):
            try:
                item["args_schema"] = json_schema()
            except Exception:  # a schema pydantic cannot render: leave it out
                pass
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def task_output(output: Any) -> Any:
    """A ``TaskOutput`` as plain data without its empty (None) fields; other values as
    they are."""
    dump = getattr(output, "model_dump", None)
    if not callable(dump):
        return output
    try:
        return dump(mode="json", exclude_none=True)
    except Exception:
        return output
