"""TypeSafe System One calls as ``decision`` rows, with the real typesafe-sdk against a
fake TypeSafe API on 127.0.0.1. The expected rows are what the official SDK 0.48.1
logged for the same calls against the same fake."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import braintrust
from braintrust_otel.instrumentation.typesafe import TypeSafeInstrumentor, span_input
from tests.conftest import StoreHelper

ts = pytest.importorskip("typesafe_sdk")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        out: Any
        body = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
        if self.path != "/v1/systemone" or body.get("state") == "boom":
            status, out = 400, {"detail": "bad state"}
        else:
            answers: dict[str, Any] = {}
            for name, q in body["questions"].items():
                if q["type"] == "noul":
                    answers[name] = {"type": "noul", "noul": 0.9}
                elif q["type"] == "choice":
                    answers[name] = {"type": "choice", "choice": sorted(q["criteria"])[0],
                                     "confidence": 0.6,
                                     "probabilities": dict.fromkeys(q["criteria"], 0.5)}
                else:
                    levels = {str(i): c for i, c in enumerate(q["criteria"])}
                    answers[name] = {"type": "score", "score": 0.7, "confidence": 0.4,
                                     "legend": levels, "probabilities": dict.fromkeys(levels, 0.5)}
            status, out = 200, {"model": "jev-1", "answers": answers,
                                "usage": {"input_tokens": 11, "output_tokens": 2}}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def instrumented() -> Iterator[None]:
    instrumentor = TypeSafeInstrumentor()
    instrumentor.instrument()
    yield
    instrumentor.uninstrument()


def test_system_one_rows_match_the_official_sdk(api: str, store: StoreHelper,
                                                instrumented: None) -> None:
    braintrust.init_logger(project="p")
    client = ts.TypeSafeClient(api_key="k", base_url=api, model="jev-latest")
    client.system_one("I was charged twice", {
        "billing": ts.Noul(instructions="Is this about billing?"),
        "tone": {"type": "choice", "instructions": "Tone?",
                 "criteria": {"calm": None, "angry": None}}})
    client.system_one({"msg": "hi"}, {"s": ts.Score(instructions="how nice",
                                                    criteria=["rude", "nice"])}, model="jev-2")

    async def run_async() -> None:
        aclient = ts.AsyncTypeSafeClient(api_key="k", base_url=api)
        await aclient.system_one("async one", {"n": ts.Noul(instructions="q")})

    asyncio.run(run_async())
    with pytest.raises(ts.TypeSafeAPIError):
        client.system_one("boom", {"b": ts.Noul(instructions="x")})
    first, score, asynced, failed = sorted(store.rows(), key=lambda r: r["metrics"]["start"])
    for row in (first, score, asynced, failed):
        assert row["span_attributes"] == {"name": "typesafe.systemOne", "type": "decision"}
    assert first["input"] == {"state": "I was charged twice", "questions": [
        {"type": "noul", "instructions": "Is this about billing?", "criteria": None,
         "id": "billing"},
        {"type": "choice", "instructions": "Tone?", "criteria": {"calm": None, "angry": None},
         "id": "tone"}]}
    assert first["output"] == {"answers": [
        {"type": "noul", "noul": 0.9, "id": "billing"},
        {"type": "choice", "choice": "angry", "confidence": 0.6,
         "probabilities": {"calm": 0.5, "angry": 0.5}, "id": "tone"}]}
    # The response's model replaces the requested one ("jev-latest", the client default).
    assert first["metadata"] == {"provider": "typesafe", "model": "jev-1"}
    assert {k: first["metrics"][k] for k in ("prompt_tokens", "completion_tokens", "tokens")} \
        == {"prompt_tokens": 11, "completion_tokens": 2, "tokens": 13}
    assert score["input"] == {"state": {"msg": "hi"}, "questions": [
        {"type": "score", "instructions": "how nice", "criteria": ["rude", "nice"], "id": "s"}]}
    assert score["output"] == {"answers": [
        {"type": "score", "score": 0.7, "confidence": 0.4, "legend": {"0": "rude", "1": "nice"},
         "probabilities": {"0": 0.5, "1": 0.5}, "id": "s"}]}
    assert asynced["input"]["state"] == "async one"
    assert asynced["output"] == {"answers": [{"type": "noul", "noul": 0.9, "id": "n"}]}
    assert failed["input"]["state"] == "boom"
    assert "400" in failed["error"]
    assert failed.get("output") is None
    assert failed["metadata"] == {"provider": "typesafe", "model": "jev-latest"}


def test_images_are_omitted_from_the_input() -> None:
    image = ts.Image(b"\x89PNG\r\n\x1a\n....")
    logged = span_input({"photo": image, "note": "data:image/png;base64,AAAA",
                         "inline": {"data_base64": "AAAA", "format": "png"}},
                        {"q": ts.Noul(instructions=["look at", image])}, type(image))
    assert logged == {"state": {"photo": "<omitted>", "note": "<omitted>", "inline": "<omitted>"},
                      "questions": [{"type": "noul", "instructions": ["look at", "<omitted>"],
                                     "criteria": None, "id": "q"}]}


def test_uninstrument_restores_both_clients() -> None:
    import wrapt

    instrumentor = TypeSafeInstrumentor()
    instrumentor.instrument()
    try:
        assert isinstance(ts.TypeSafeClient.__dict__["system_one"], wrapt.FunctionWrapper)
        assert isinstance(ts.AsyncTypeSafeClient.__dict__["system_one"], wrapt.FunctionWrapper)
    finally:
        instrumentor.uninstrument()
    assert not isinstance(ts.TypeSafeClient.__dict__["system_one"], wrapt.FunctionWrapper)
    assert not isinstance(ts.AsyncTypeSafeClient.__dict__["system_one"], wrapt.FunctionWrapper)


def test_wrap_typesafe_traces_only_the_wrapped_client(api: str, store: StoreHelper) -> None:
    from braintrust.integrations.typesafe import wrap_typesafe

    braintrust.init_logger(project="p")
    wrapped = ts.TypeSafeClient(api_key="k", base_url=api, model="jev-latest")
    assert wrap_typesafe(wrap_typesafe(wrapped)) is wrapped
    aclient = wrap_typesafe(ts.AsyncTypeSafeClient(api_key="k", base_url=api))
    question = {"n": ts.Noul(instructions="q")}
    wrapped.system_one("wrapped", question)
    ts.TypeSafeClient(api_key="k", base_url=api).system_one("plain", question)
    asyncio.run(aclient.system_one("async", question))
    TypeSafeInstrumentor().instrument()  # every client traced: still one span each
    try:
        wrapped.system_one("both", question)
        late = wrap_typesafe(ts.TypeSafeClient(api_key="k", base_url=api))
        late.system_one("wrapped while instrumented", question)
    finally:
        TypeSafeInstrumentor().uninstrument()
    rows = sorted(store.rows(), key=lambda r: r["metrics"]["start"])
    assert [r["input"]["state"] for r in rows] == ["wrapped", "async", "both",
                                                    "wrapped while instrumented"]
    assert rows[0]["metadata"] == {"provider": "typesafe", "model": "jev-1"}
