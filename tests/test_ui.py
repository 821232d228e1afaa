"""The web UI in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import _state
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store

from .conftest import ROOT
from .test_server import Running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (make test installs "
                                       "it when run as root)")


@pytest.fixture
def page_and_server(tmp_path: Path) -> Iterator[tuple[Any, Running, Store]]:
    from playwright.sync_api import sync_playwright

    store = Store(tmp_path / "ui.sqlite")
    braintrust.flush()
    _state.exporter().sink = LocalSink(store, notice=False)
    _state.current_logger = None
    running = Running(store)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        # Every Content-Security-Policy violation the page meets, from the DOM event and
        # from the console (where Chromium reports refused inline styles and scripts).
        page.add_init_script("window.__csp = []; document.addEventListener("
                             "'securitypolicyviolation', (e) => window.__csp.push("
                             "e.violatedDirective + ' ' + e.blockedURI));")
        page.console_errors = []
        page.on("console", lambda msg: page.console_errors.append(msg.text)
                if msg.type == "error" else None)
        try:
            yield page, running, store
        finally:
            browser.close()
            running.stop()
            braintrust.flush()


def _seed() -> None:
    logger = braintrust.init_logger(project="ui")
    with logger.start_span(name="handle question") as root:
        root.log(input={"question": "What is 6x7?"}, output="42", scores={"helpful": 1})
        with root.start_span(name="llm call", type="llm") as llm:
            llm.log(input=[{"role": "user", "content": "6x7?"}], output="42",
                    metrics={"tokens": 12})
    logger.log(input=XSS, output="payload stored as text")
    logger.log(input="this one failed", error="boom: something broke")
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f"
           b"\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
    logger.log(input={"photo": braintrust.Attachment(png, filename="dot.png")},
               output="an image")
    data = [{"input": x, "expected": x.upper()} for x in ("a", "b")]
    braintrust.Eval("ui", data=data, task=str.upper, scores=[lambda output, expected:
                    float(output == expected)], experiment_name="good", quiet=True)
    braintrust.Eval("ui", data=data, task=lambda s: "A" if s == "a" else "?",
                    scores=[lambda output, expected: float(output == expected)],
                    experiment_name="worse", quiet=True)
    ds = braintrust.init_dataset(project="ui", name="qa")
    ds.insert(input="q1", expected="a1")
    ds.flush()
    project = braintrust.projects.create("ui")
    project.prompts.create(name="Greeter", slug="greeter", model="gpt-4o-mini",
                           messages=[{"role": "user", "content": "Hello {{name}}"}])
    project.publish()
    braintrust.flush()


def test_logs_trace_experiments_datasets_prompts_and_xss(
    page_and_server: tuple[Any, Running, Store]
) -> None:
    page, running, _ = page_and_server
    _seed()
    response = page.goto(running.url + "/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.click("tr[data-project='ui']")
    page.wait_for_selector("text=What is 6x7?")
    # The payload is shown as text, and none of it ran.
    assert page.locator("td", has_text="<img src=x").count() == 1
    assert page.evaluate("window.__xss") is None
    page.screenshot(path=str(ARTIFACTS / "logs.png"), full_page=True)

    page.check("#errors-only")
    page.wait_for_selector("text=this one failed")
    assert page.locator("tbody tr").count() == 1
    page.uncheck("#errors-only")
    page.wait_for_selector("text=What is 6x7?")
    page.click("tr:has-text('an image')")
    page.wait_for_selector("#detail img[alt='dot.png']")
    loaded = page.evaluate("document.querySelector(\"#detail img[alt='dot.png']\").naturalWidth")
    assert loaded == 1  # the attachment's bytes were served and decoded as an image
    page.go_back()
    page.wait_for_selector("text=What is 6x7?")
    page.click("tr:has-text('What is 6x7?')")
    page.wait_for_selector("[data-span='llm call']")
    page.click("[data-span='llm call']")
    page.wait_for_selector("#detail >> text=6x7?")
    # The waterfall's indents and bars are set through the CSSOM, which the policy allows.
    assert page.evaluate("getComputedStyle(document.querySelector(\"[data-span='llm call']\"))"
                         ".paddingLeft") == "16px"
    assert page.locator("#detail .message .role").first.inner_text().lower() == "user"
    page.screenshot(path=str(ARTIFACTS / "trace.png"), full_page=True)

    page.click("#nav >> text=Experiments")
    page.wait_for_selector("text=worse")
    page.check("input[data-experiment='worse']")
    page.check("input[data-experiment='good']")
    page.click("#compare")
    page.wait_for_selector("h1:has-text('vs')")
    assert page.locator("tr.regression").count() == 1
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)

    page.click("#nav >> text=Datasets")
    page.click("tr:has-text('qa')")
    page.wait_for_selector("text=a1")
    page.goto(page.url.split("#")[0] + "#/")
    page.click("tr[data-project='ui']")
    page.click("#nav >> text=Prompts")
    page.wait_for_selector("text=Hello {{name}}")
    page.screenshot(path=str(ARTIFACTS / "prompts.png"), full_page=True)
    # Every view above ran under the strict policy without tripping it.
    assert page.evaluate("window.__csp") == []
    assert [m for m in page.console_errors if "Content Security Policy" in m] == []


def test_new_rows_appear_without_a_reload(page_and_server: tuple[Any, Running, Store]) -> None:
    page, running, store = page_and_server
    logger = braintrust.init_logger(project="live")
    logger.log(input="first row")
    braintrust.flush()
    project = store.find_project(name="live")
    assert project is not None
    page.goto(f"{running.url}/#/p/{project['id']}")
    page.wait_for_selector("text=first row")
    logger.log(input="arrived later")
    braintrust.flush()
    page.wait_for_selector("text=arrived later", timeout=15_000)


def test_access_token_login_page(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    running = Running(Store(tmp_path / "t.sqlite"), token="tok123")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            denied = page.goto(running.url + "/")
            assert denied is not None and denied.status == 401
            page.goto(running.url + "/login?token=tok123")
            page.wait_for_selector("h1:has-text('Projects')")
            browser.close()
    finally:
        running.stop()


ATTACK = """<!doctype html><title>attacker</title><script>
const rows = JSON.stringify({rows: [{id: "forged", project_id: "%(pid)s", log_id: "g",
                                      input: "written by another site"}]});
Promise.allSettled([
  fetch("%(target)s/logs3", {method: "POST", mode: "no-cors", body: rows}),
  fetch("%(target)s/logs3", {method: "POST", mode: "no-cors", body: new Blob([rows])}),
  fetch("%(target)s/v1/prompt", {method: "POST", mode: "no-cors",
        headers: {"Content-Type": "text/plain"},
        body: JSON.stringify({project_id: "%(pid)s", slug: "evil", prompt_data: {}})}),
]).then(() => { document.title = "sent"; });
</script>"""


def test_another_site_and_a_rebound_name_can_neither_write_nor_read(tmp_path: Path) -> None:
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    store = Store(tmp_path / "target.sqlite")
    project = store.ensure_project(name="target")
    running = Running(store)
    page_html = (ATTACK % {"pid": project["id"], "target": running.url}).encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page_html)

        def log_message(self, *args: Any) -> None:
            pass

    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attacker)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            # The attacker's names resolve to 127.0.0.1, as after a DNS rebinding.
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu",
                "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebound.test 127.0.0.1"])
            page = browser.new_page()
            page.goto(f"http://attacker.test:{attacker.server_address[1]}/")
            page.wait_for_function("document.title === 'sent'", timeout=15_000)
            # The rebound name reaches our port, but the server will not answer it.
            rebound = page.goto(f"http://rebound.test:{running.port}/ui-api/projects")
            assert rebound is not None and rebound.status == 400
            assert "target" not in rebound.text()
            browser.close()
        assert list(store.rows("project_logs", project["id"])) == []
        assert store.find_prompt(project_id=project["id"], slug="evil") is None
    finally:
        attacker.shutdown()
        running.stop()
