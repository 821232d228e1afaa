"""The Claude Agent SDK traced by the official SDK (0.48.1) and by this one: the same rows.

One script drives the real Claude Agent SDK against the fake ``claude`` CLI
(tests/fake_claude_cli.py) under each SDK, each logging to a fake Braintrust
service (tests/twin.py): a run with partial messages (per-turn tokens from the
stream events), a subagent the CLI announces with task messages, one it does
not announce, and a failed run. Every span is compared by its path of names
(type, input, output, metadata, error), and each span's token metrics too.
The official SDK runs with the Claude Agent SDK in ``.venv-official-claude``,
ours in ``.venv-claude``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.framework_venv import framework_python
from tests.official_sdk import official_python_with
from tests.twin import Row, run, spans

from .test_claude_agent_sdk import PACKAGES

SCRIPT = """
import asyncio, os
import braintrust

braintrust.init_logger(project="p")
braintrust.auto_instrument()
from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, query

cli = os.environ["FAKE_CLAUDE"]

async def one(prompt, **options):
    async with ClaudeSDKClient(options=ClaudeAgentOptions(cli_path=cli, **options)) as client:
        await client.query(prompt)
        return [m async for m in client.receive_response()]

async def streamed():
    options = ClaudeAgentOptions(cli_path=cli, include_partial_messages=True)
    return [m async for m in query(prompt="Weather in Paris, streamed?", options=options)]

with braintrust.start_span(name="streamed"):
    asyncio.run(streamed())
with braintrust.start_span(name="tracked"):
    asyncio.run(one("Use a tracked subagent for the weather"))
with braintrust.start_span(name="untracked"):
    asyncio.run(one("Use a subagent for the weather"))
with braintrust.start_span(name="failed"):
    asyncio.run(one("This run will fail"))
braintrust.flush()
"""

_TOKENS = ("prompt_tokens", "completion_tokens", "tokens", "prompt_cached_tokens",
           "prompt_cache_creation_tokens")


def _official() -> Path:
    try:
        return official_python_with("claude", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"the official SDK or the Claude Agent SDK cannot be installed here: {exc}")


def _tokens(rows: list[Row]) -> dict[str, list[dict[str, Any]]]:
    """Each span path's token metrics (sorted), where the shape from ``spans`` has none."""
    by_span = {r["span_id"]: r for r in rows if r.get("span_id")}
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if not isinstance(row.get("span_attributes"), dict):
            continue
        names, up = [row["span_attributes"]["name"]], row
        while up.get("span_parents") and up["span_parents"][0] in by_span:
            up = by_span[up["span_parents"][0]]
            names.append(up["span_attributes"]["name"])
        metrics = row.get("metrics") or {}
        found.setdefault("/".join(reversed(names)), []).append(
            {k: metrics[k] for k in _TOKENS if k in metrics})
    return {k: sorted(v, key=lambda d: sorted(d.items())) for k, v in found.items()}


def test_the_same_rows_as_the_official_sdk(tmp_path: Path) -> None:
    official_python_path = _official()
    try:
        ours_python = framework_python("claude", PACKAGES)
    except RuntimeError as exc:
        pytest.skip(f"the Claude Agent SDK cannot be installed here: {exc}")
    cli = tmp_path / "claude"
    fake = Path(__file__).resolve().parents[2] / "fake_claude_cli.py"
    cli.write_text(f'#!/bin/sh\nexec {sys.executable} {fake} "$@"\n')
    cli.chmod(0o755)
    env = {"FAKE_CLAUDE": str(cli)}
    (tmp_path / "official").mkdir()
    (tmp_path / "ours").mkdir()
    official, _ = run(str(official_python_path), SCRIPT, tmp_path / "official", env)
    ours, _ = run(str(ours_python), SCRIPT, tmp_path / "ours", env)

    expected, got = spans(official), spans(ours)
    assert sorted(got) == sorted(expected)
    for path, shapes in expected.items():
        assert got[path] == shapes, path
    assert _tokens(ours) == _tokens(official)
    # What the comparison covers: per-turn tokens and the CLI-announced task.
    assert "streamed/Claude Agent/anthropic.messages.create" in expected
    assert "tracked/Claude Agent/anthropic.messages.create/Agent/Weather lookup task" in expected
