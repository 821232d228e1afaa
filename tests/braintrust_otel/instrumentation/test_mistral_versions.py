"""Mistral through ``auto_instrument()`` on both package layouts.

mistralai 2+ is a namespace package whose client lives in ``mistralai.client``;
1.x (which the official SDK supports from 1.12.4) is a regular package with
the client in ``mistralai`` itself and a legacy ``mistralai/client.py`` nobody
imports. Each case runs a fresh interpreter that turns tracing on before the
application imports the client, so the import hook is what patches it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_python, stored_rows
from tests.fake_llm import FakeLLM
from tests.framework_venv import framework_python, run_script

APP = """
import json, os, sys
sys.path.insert(0, {root!r})
import braintrust
turned_on = braintrust.auto_instrument()
assert "mistralai" not in sys.modules  # nothing imported until the application does
{import_line}
braintrust.init_logger(project="p")
client = Mistral(api_key="k", server_url=os.environ["FAKE_MISTRAL_URL"])
reply = client.chat.complete(model="mistral-small-latest",
                             messages=[{{"role": "user", "content": "Hi"}}])
text = "".join(e.data.choices[0].delta.content or ""
               for e in client.chat.stream(model="mistral-small-latest",
                                           messages=[{{"role": "user", "content": "Hi"}}]))
braintrust.flush()
print(json.dumps({{"turned_on": turned_on["mistral"], "reply": reply.choices[0].message.content,
                  "text": text}}))
"""


def _check(rows: list[dict[str, Any]]) -> None:
    by_name = {r["span_attributes"]["name"]: r for r in rows}
    assert sorted(by_name) == ["mistral.chat.complete", "mistral.chat.stream"]
    plain, stream = by_name["mistral.chat.complete"], by_name["mistral.chat.stream"]
    assert plain["span_attributes"]["type"] == "llm"
    assert plain["input"] == [{"role": "user", "content": "Hi"}]
    assert plain["output"][0]["message"]["content"] == "Bonjour from fake Mistral!"
    assert plain["metadata"]["provider"] == "mistral"
    assert plain["metrics"]["tokens"] == 18
    assert stream["output"][0]["message"]["content"] == "Bonjour streamed Mistral"
    assert stream["metrics"]["time_to_first_token"] > 0


def test_mistral_2_and_later_namespace_package(tmp_path: Path) -> None:
    import json

    with FakeLLM() as llm:
        proc = run_python(APP.format(root=str(ROOT),
                                     import_line="from mistralai.client import Mistral"),
                          tmp_path, {"FAKE_MISTRAL_URL": llm.mistral_url})
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["turned_on"] is True and out["text"] == "Bonjour streamed Mistral"
    _check(stored_rows(tmp_path / "sub.sqlite", "p"))


@pytest.fixture(scope="module")
def mistral1() -> Path:
    try:
        return framework_python("mistral1", ["mistralai==1.12.4"])
    except RuntimeError as exc:
        pytest.skip(f"mistralai 1.x cannot be installed here: {exc}")


def test_mistral_1_regular_package(mistral1: Path, tmp_path: Path) -> None:
    with FakeLLM() as llm:
        out = run_script(mistral1, APP.format(root=str(ROOT),
                                              import_line="from mistralai import Mistral"),
                         tmp_path / "store.sqlite", {"FAKE_MISTRAL_URL": llm.mistral_url})
    assert out["turned_on"] is True and out["reply"] == "Bonjour from fake Mistral!"
    _check(stored_rows(tmp_path / "store.sqlite", "p"))


def test_the_extra_installs_every_version_the_instrumentor_supports() -> None:
    # ``pip install braintrust-otel[mistral]`` must not force an upgrade from the 1.x
    # line the instrumentor supports (and test_mistral_1_regular_package runs).
    import tomllib
    from packaging.requirements import Requirement

    from braintrust_otel.instrumentation.mistral import MistralInstrumentor

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    [extra] = [Requirement(r) for r in extras["mistral"]]
    [supported] = [Requirement(r) for r in MistralInstrumentor().instrumentation_dependencies()]
    assert extra.name == supported.name == "mistralai"
    assert extra.specifier == supported.specifier
    assert "1.12.4" in extra.specifier and "1.12.3" not in extra.specifier


def test_import_hook_fires_for_a_namespace_package(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import sys

    from braintrust_otel.instrumentation._hooks import when_imported

    (tmp_path / "bt_ns_pkg" / "sub").mkdir(parents=True)  # no __init__.py: a namespace package
    (tmp_path / "bt_ns_pkg" / "sub" / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[str] = []
    when_imported("bt_ns_pkg", lambda module: seen.append(module.__name__))
    try:
        sub = importlib.import_module("bt_ns_pkg.sub")
        assert seen == ["bt_ns_pkg"]
        assert sub.VALUE == 1  # the package still finds its parts
        assert list(sys.modules["bt_ns_pkg"].__path__) == [str(tmp_path / "bt_ns_pkg")]
    finally:
        for name in ("bt_ns_pkg.sub", "bt_ns_pkg"):
            sys.modules.pop(name, None)
