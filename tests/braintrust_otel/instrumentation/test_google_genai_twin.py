"""The google-genai client's rows equal the official SDK's (0.48.1) for the same script.

One script runs under both SDKs (``tests/twin.py``) against the fake Gemini
endpoint: a call with declared tools, a call answering a function call, a call
whose Python function google-genai runs itself (automatic function calling),
an async call and an async stream. Every row must match: name, type, input,
output, metadata, and the names of its metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import twin
from tests.fake_llm import FakeLLM

SCRIPT = """
import asyncio
import braintrust
from braintrust.wrappers.google_genai import setup_genai
from google import genai
from google.genai import types

def get_weather(city: str) -> str:
    \"\"\"Weather in a city.\"\"\"
    return "sunny"

braintrust.init_logger(project="gemini")
setup_genai()
client = genai.Client()
weather = types.Tool(function_declarations=[types.FunctionDeclaration(
    name="get_weather", description="Weather in a city",
    parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}))])
client.models.generate_content(
    model="gemini-2.0-flash", contents="Weather in Paris?",
    config=types.GenerateContentConfig(tools=[weather], max_output_tokens=50))
client.models.generate_content(
    model="gemini-2.0-flash",
    contents=[types.Content(role="user", parts=[types.Part(text="Weather in Paris?")]),
              types.Content(role="model", parts=[types.Part(function_call=types.FunctionCall(
                  id="call_1", name="get_weather", args={"city": "Paris"}))]),
              types.Content(role="user", parts=[types.Part(
                  function_response=types.FunctionResponse(
                      id="call_1", name="get_weather", response={"result": "sunny"}))])],
    config={"tools": [weather], "temperature": 0.1})
client.models.generate_content(model="gemini-2.0-flash", contents="AFC weather?",
                               config=types.GenerateContentConfig(tools=[get_weather]))

async def main():
    await client.aio.models.generate_content(model="gemini-2.0-flash", contents="async hi")
    async for _ in await client.aio.models.generate_content_stream(
            model="gemini-2.0-flash", contents="async count"):
        pass

asyncio.run(main())
braintrust.flush()
"""


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    with FakeLLM() as llm:
        yield {"GOOGLE_GEMINI_BASE_URL": llm.google_url, "GOOGLE_API_KEY": "k",
               "GOOGLE_GENAI_USE_VERTEXAI": "false"}


def _comparable(rows: list[twin.Row]) -> None:
    for row in rows:
        response = (row.get("output") or {}).get("sdk_http_response") or {}
        if isinstance(response.get("headers"), dict):
            # The Date differs from run to run; the case of the names depends on
            # which HTTP library google-genai found installed (aiohttp or httpx).
            response["headers"] = {k.lower(): v for k, v in response["headers"].items()
                                   if k.lower() != "date"}


def _metric_names(rows: list[twin.Row]) -> list[tuple[str, list[str]]]:
    return sorted((r["span_attributes"]["name"], sorted(r.get("metrics") or {}))
                  for r in rows if (r.get("span_attributes") or {}).get("name"))


def test_google_genai_rows_match_the_official_sdk(tmp_path: Path, env: dict[str, str]) -> None:
    pytest.importorskip("google.genai")
    official, ours = twin.both(SCRIPT, tmp_path, env, packages=("google-genai",))
    _comparable(official)
    _comparable(ours)
    theirs, mine = twin.spans(official), twin.spans(ours)
    assert sorted(mine) == sorted(theirs) == ["generate_content", "generate_content_stream"]
    for path in theirs:
        assert mine[path] == theirs[path], path
    assert _metric_names(ours) == _metric_names(official)
    # Automatic function calling: a row per model call, as the official logs it.
    rows: list[Any] = mine["generate_content"]
    assert len(rows) == 5
    afc = [r for r in rows if "AFC" in str(r["input"]["contents"])]
    assert len(afc) == 2
    assert all(r["metadata"]["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
               for r in afc)
    assert all("tools" not in (r["input"]["config"] or {}) for r in rows)


def test_a_python_function_tool_goes_to_the_metadata_as_its_declaration() -> None:
    # Without the official SDK: the request mapping itself, with a real client.
    genai = pytest.importorskip("google.genai")
    from google.genai import types

    from braintrust_otel.instrumentation.google_genai import request_row

    def get_weather(city: str) -> str:
        """Weather in a city."""
        return city

    client = genai.Client(api_key="k")
    config = types.GenerateContentConfig(tools=[get_weather], temperature=0.5)
    model, request, params = request_row(client.models._api_client, {
        "model": "gemini-2.0-flash", "contents": "hi", "config": config})
    assert model == "gemini-2.0-flash"
    # Only the set fields, tools left out (a whole dump of this config fails on the function).
    assert request == {"config": {"temperature": 0.5}, "contents": "hi",
                       "model": "gemini-2.0-flash"}
    [declaration] = params["tools"][0]["functionDeclarations"]
    assert (declaration["name"], declaration["description"]) == ("get_weather",
                                                                 "Weather in a city.")
    assert "behavior" not in declaration  # unset fields left out, as sent
    # A dict config: every key but tools, as given.
    _, request, params = request_row(client.models._api_client, {
        "model": "m", "contents": [types.Content(role="user", parts=[types.Part(text="x")])],
        "config": {"temperature": None, "tools": [get_weather]}})
    assert request["config"] == {"temperature": None}
    assert request["contents"] == [{"role": "user", "parts": [{"text": "x"}]}]
    assert params["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
