"""The web UI in a real browser: Debian's Chromium driven by Playwright.

One browser and one seeded store for the module (the machine is shared and slow); each
test opens its own page. Screenshots go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import braintrust
from braintrust import _state
from braintrust_otel.sinks.local import LocalSink
from braintrust_otel.store import Store
from tests.conftest import ROOT
from tests.served import Running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
T0 = 1_700_000_000.0  # the waterfall trace's start, seconds since the epoch

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed (make test installs "
                                       "it when run as root)")


class Site:
    """The module's server, store, browser and what seeding printed."""

    def __init__(self, running: Running, store: Store, playwright: Any, browser: Any) -> None:
        self.running, self.store, self.browser = running, store, browser
        self.playwright = playwright
        self.url = running.url
        self.printed: dict[str, Any] = {}

    def page(self) -> Any:
        page = self.browser.new_page(viewport={"width": 1400, "height": 900})
        # Every Content-Security-Policy violation the page meets, from the DOM event and
        # from the console (where Chromium reports refused inline styles and scripts).
        page.add_init_script("window.__csp = []; document.addEventListener("
                             "'securitypolicyviolation', (e) => window.__csp.push("
                             "e.violatedDirective + ' ' + e.blockedURI));")
        page.console_errors = []
        page.on("console", lambda msg: page.console_errors.append(msg.text)
                if msg.type == "error" else None)
        return page

    def project_id(self, name: str) -> str:
        found = self.store.find_project(name=name)
        assert found is not None
        return found["id"]


def _no_csp_trouble(page: Any) -> None:
    assert page.evaluate("window.__csp") == []
    assert [m for m in page.console_errors if "Content Security Policy" in m] == []


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from playwright.sync_api import sync_playwright

    store = Store(tmp_path_factory.mktemp("ui") / "ui.sqlite")
    braintrust.flush()
    old_sink = _state.exporter().sink
    _state.exporter().sink = LocalSink(store, notice=False)
    _state.current_logger = None
    running = Running(store)
    old_url = os.environ.get("BRAINTRUST_APP_URL")
    os.environ["BRAINTRUST_APP_URL"] = running.url  # the links the SDK prints point here
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"])
            site = Site(running, store, p, browser)
            _seed(site)
            try:
                yield site
            finally:
                browser.close()
    finally:
        running.stop()
        braintrust.flush()
        _state.exporter().sink = old_sink
        _state.current_logger = None
        if old_url is None:
            os.environ.pop("BRAINTRUST_APP_URL", None)
        else:
            os.environ["BRAINTRUST_APP_URL"] = old_url


def _eval_in_a_thread(*args: Any, **kwargs: Any) -> braintrust.EvalResultWithSummary:
    # Playwright's sync API keeps an event loop running in this thread, where
    # Eval (as the official SDK's) returns a Task; a thread of its own has none.
    import threading

    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=braintrust.Eval(*args, **kwargs)))
    thread.start()
    thread.join()
    result: braintrust.EvalResultWithSummary = box["result"]
    return result


def _seed(site: Site) -> None:
    logger = braintrust.init_logger(project="ui")
    # A trace with known times: the root 0-4 s, "retrieve" 0.5-1.5 s, "llm call" 1.5-3.5 s
    # (failed), so bars can be checked against the span times.
    root = logger.start_span(name="handle question", start_time=T0)
    root.log(input={"question": "What is 6x7?"}, output="42", scores={"helpful": 1})
    retrieve = root.start_span(name="retrieve", type="tool", start_time=T0 + 0.5)
    retrieve.log(output=["doc1"])
    retrieve.end(end_time=T0 + 1.5)
    llm = root.start_span(name="llm call", type="llm", start_time=T0 + 1.5)
    llm.log(input=[{"role": "system", "content": "You are good at maths.\nBe brief."},
                   {"role": "user", "content": "6x7?"}],
            output=[{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'}}]}}],
            metadata={"model": "gpt-4o-mini"},
            metrics={"prompt_tokens": 1000, "completion_tokens": 500, "tokens": 1500})
    llm.log(error="RateLimitError: slow down")
    llm.end(end_time=T0 + 3.5)
    root.end(end_time=T0 + 4.0)
    site.printed["llm_link"] = llm.permalink()
    logger.log_feedback(id=llm.id, comment="retry with backoff")
    logger.log(input=XSS, output="payload stored as text")
    logger.log(input="this one failed", error="boom: something broke")
    yesterday = logger.start_span(name="yesterday", start_time=time.time() - 86_400)
    yesterday.log(input="logged a day ago", scores={"helpful": 0.5})
    yesterday.end(end_time=time.time() - 86_400 + 0.25)
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
           b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f"
           b"\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
    logger.log(input={"photo": braintrust.Attachment(png, filename="dot.png")},
               output="an image")
    data = [{"input": x, "expected": x.upper()} for x in ("a", "b", "c")]

    def exact(output: str, expected: str) -> float:
        return float(output == expected)

    good = _eval_in_a_thread("ui", data=data, task=str.upper, scores=[exact],
                             experiment_name="good", quiet=True)
    worse = _eval_in_a_thread("ui", data=data, task=lambda s: "A" if s == "a" else s + "?",
                              scores=[exact], experiment_name="worse",
                              base_experiment_name="good", quiet=True)
    _eval_in_a_thread("ui", data=data, task=lambda s: s, scores=[exact],
                      experiment_name="lower", quiet=True)
    site.printed["good"] = good.summary
    site.printed["worse"] = worse.summary
    ds = braintrust.init_dataset(project="ui", name="qa")
    ds.insert(input="q1", expected="a1")
    ds.flush()
    ds.insert(input="q2", expected="a2")
    ds.flush()
    project = braintrust.projects.create("ui")
    project.prompts.create(name="Greeter", slug="greeter", model="gpt-4o-mini",
                           messages=[{"role": "system", "content": "Be kind.\nBe short."},
                                     {"role": "user", "content": "Hello {{name}}"}])
    project.publish()
    project = braintrust.projects.create("ui")
    project.prompts.create(name="Greeter", slug="greeter", model="gpt-4o-mini",
                           messages=[{"role": "system", "content": "Be kind.\nBe short."},
                                     {"role": "user", "content": "Hi there {{name}}"}],
                           if_exists="replace")
    project.publish()
    braintrust.flush()


def test_logs_list_filters_rollups_and_xss(site: Site) -> None:
    from playwright.sync_api import expect

    page = site.page()
    response = page.goto(site.url + "/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.click("tr[data-project='ui']")
    page.wait_for_selector("text=What is 6x7?")
    assert page.locator("h1").inner_text().startswith("ui")  # the project's name
    # The payload is shown as text, and none of it ran.
    assert page.locator("td", has_text="<img src=x").count() == 1
    assert page.evaluate("window.__xss") is None
    row = page.locator("tr", has_text="What is 6x7?")
    # Roll-ups of the whole trace: its duration, tokens and cost, its error and message.
    assert "4.00 s" in row.inner_text()
    assert "1,500" in row.inner_text()
    assert "$0.00045" in row.inner_text()  # 1000 x 0.15/M + 500 x 0.60/M
    assert "1 error: RateLimitError: slow down" in row.inner_text()
    assert "traces" in page.locator(".pager").inner_text()
    # Readable timestamps, not ISO strings.
    assert "T" not in page.locator("td.time").first.inner_text()
    _shot(page, "logs")

    # A filter on a child span (the model of the LLM call) finds the trace by its root.
    page.fill("#f-model", "gpt-4o-mini")
    page.press("#f-model", "Enter")
    expect(page.locator("tbody tr")).to_have_count(1)
    assert "What is 6x7?" in page.locator("tbody").inner_text()
    page.fill("#f-model", "")
    page.press("#f-model", "Enter")
    page.check("#errors-only")
    expect(page.locator("tbody tr")).to_have_count(2)
    assert "this one failed" in page.locator("tbody").inner_text()
    page.uncheck("#errors-only")
    page.wait_for_selector("text=an image")
    # Sort by duration: the 4-second trace first.
    page.click("th[data-sort='duration']")
    page.wait_for_selector("th[data-sort='duration']:has-text('▼')")
    assert "What is 6x7?" in page.locator("tbody tr").first.inner_text()

    page.click("tr:has-text('an image')")
    page.wait_for_selector("#detail img[alt='dot.png']")
    loaded = page.evaluate("document.querySelector(\"#detail img[alt='dot.png']\").naturalWidth")
    assert loaded == 1  # the attachment's bytes were served and decoded as an image
    _no_csp_trouble(page)
    page.close()


def test_waterfall_on_one_time_axis_and_llm_chat(site: Site) -> None:
    page = site.page()
    # The link span.permalink() returned opens this trace with that span selected.
    page.goto(site.printed["llm_link"])
    page.wait_for_selector("#detail h2:has-text('llm call')")
    assert "#/t/project_logs/" in page.url
    boxes = page.evaluate("""() => [...document.querySelectorAll('.span')].map((s) => {
        const t = s.querySelector('.track').getBoundingClientRect();
        const b = s.querySelector('.bar').getBoundingClientRect();
        return [s.dataset.span, (b.left - t.left) / t.width, b.width / t.width,
                s.querySelector('.dur').textContent, s.classList.contains('failed')]; })""")
    found = {name: (left, width, dur, failed) for name, left, width, dur, failed in boxes}
    expected = {"handle question": (0.0, 4.0), "retrieve": (0.5, 1.0), "llm call": (1.5, 2.0)}
    for name, (start, length) in expected.items():
        left, width, dur, _ = found[name]
        assert abs(left - start / 4.0) < 0.01, (name, left)
        assert abs(width - length / 4.0) < 0.01, (name, width)
        assert dur == f"{length:.2f} s"
    assert found["llm call"][3] and not found["retrieve"][3]  # the failure is marked
    ticks = page.locator(".axis .tick").all_inner_texts()
    assert ticks[0] == "0 ms" and ticks[-1] == "4.00 s"
    # The LLM span as a conversation: roles, line breaks kept, the tool call, the token line.
    roles = page.locator("#detail .message .role").all_inner_texts()
    assert [r.lower() for r in roles] == ["system", "user", "assistant"]
    assert page.locator("#detail .message .content").first.inner_text() == \
        "You are good at maths.\nBe brief."
    assert "multiply" in page.locator("#detail .tool-name").inner_text()
    assert '"a": 6' in page.locator("#detail .tool pre").inner_text()
    tokens = page.locator("#token-line").inner_text()
    for part in ("gpt-4o-mini", "prompt 1,000", "completion 500", "tokens 1,500",
                 "est. cost $0.00045", "duration 2.00 s"):
        assert part in tokens
    assert "RateLimitError" in page.locator("#detail .error-box").inner_text()
    # A comment from log_feedback is a row of its own; the span's detail lists it.
    assert page.locator("#detail .comment-text").all_inner_texts() == ["retry with backoff"]
    _shot(page, "trace")
    _no_csp_trouble(page)
    page.close()


def test_experiments_list_page_and_comparison_match_the_printed_summary(site: Site) -> None:
    page = site.page()
    worse = site.printed["worse"]
    # The link Eval printed opens the experiment's page.
    assert worse.experiment_url.startswith(site.url + "/app/local/p/ui/experiments/worse")
    page.goto(worse.experiment_url)
    page.wait_for_selector("h1:has-text('worse')")
    assert page.locator("tbody tr").count() == 3
    assert page.locator("#distributions figure[data-score='exact']").count() == 1
    page.click("th[data-sort='score:exact']")
    page.wait_for_selector("th[data-sort='score:exact']:has-text('▼')")
    assert page.locator("tbody tr td.score").all_inner_texts() == ["1", "0", "0"]
    _shot(page, "experiment")

    page.click("#nav >> text=Experiments")
    page.wait_for_selector("input[data-experiment='worse']")
    listed = page.locator("tr", has_text="good").first.inner_text()
    assert "100.0%" in listed and "3" in listed
    _shot(page, "experiments")
    page.check("input[data-experiment='worse']")
    page.check("input[data-experiment='good']")
    page.click("#compare")
    page.wait_for_selector("#compare-summary")
    printed = worse.scores["exact"]
    stat = page.locator("#compare-summary [data-score='exact']")
    assert f"{printed.score * 100:.1f}%" in stat.inner_text()
    assert f"-{abs(printed.diff) * 100:.1f}%" in stat.inner_text()
    assert stat.locator(".improvements").inner_text() == \
        f"{printed.improvements} improvement{'s' if printed.improvements != 1 else ''}"
    assert stat.locator(".regressions").inner_text() == \
        f"{printed.regressions} regression{'s' if printed.regressions != 1 else ''}"
    assert page.locator("tr.regression").count() == printed.regressions == 2
    assert page.locator("tr.regression .diff del").first.inner_text() == "B"
    assert page.locator("tr.regression .diff ins").first.inner_text() == "b?"
    _shot(page, "compare")
    # A third experiment: its own output column and its own summary against the first.
    from braintrust._summary import cases_from_rows, summarize_cases

    ids = {n: site.store.find_experiment(project_id=site.project_id("ui"), name=n)["id"]  # type: ignore[index]
           for n in ("worse", "good", "lower")}
    page.goto(f"{site.url}/#/c/{ids['worse']}/{ids['good']}/{ids['lower']}")
    block = page.locator("[data-baseline='lower']")
    block.wait_for()
    expected, _ = summarize_cases(
        cases_from_rows(r.data for r in site.store.rows("experiment", ids["worse"])),
        cases_from_rows(r.data for r in site.store.rows("experiment", ids["lower"])))
    assert f"{expected['exact'].improvements} improvement" in block.inner_text()
    assert expected["exact"].improvements == 1  # "A" for "a" where "lower" answered "a"
    assert page.locator("thead th").all_inner_texts()[:5] == ["INPUT", "WORSE", "GOOD", "DIFF",
                                                              "LOWER"]
    _shot(page, "compare-three")
    page.go_back()
    page.wait_for_selector("#compare-summary")
    # Each side's output opens its own trace.
    page.locator("tr.regression a.trace-link").nth(1).click()
    page.wait_for_selector("#tree .span")
    assert "#/t/experiment/" in page.url
    _no_csp_trouble(page)
    page.close()


def test_overview_datasets_and_prompts(site: Site) -> None:
    from playwright.sync_api import expect

    page = site.page()
    pid = site.project_id("ui")
    page.goto(f"{site.url}/app/local/p/ui")  # the project link the SDK prints
    page.wait_for_selector("text=What is 6x7?")
    page.click("#nav >> text=Overview")
    page.wait_for_selector("figure svg")
    assert page.locator("figure figcaption").all_inner_texts()[:2] == ["Traces per day",
                                                                        "Latency"]
    # Traces of today and yesterday (the one dated 2023 is older than 30 days): two points.
    assert page.locator("figure:has-text('Traces per day') circle").count() == 2
    _shot(page, "overview")

    page.goto(f"{site.url}/#/p/{pid}/datasets")
    page.click("tr:has-text('qa')")
    page.wait_for_selector("h1:has-text('qa')")
    assert page.locator("tbody td:nth-child(2)").all_inner_texts() == ["q1", "q2"]
    versions = page.locator("#version option").all_inner_texts()
    assert len(versions) == 3  # latest, and the two writes
    page.select_option("#version", index=2)  # the older version: one record
    expect(page.locator("tbody tr")).to_have_count(1)
    _shot(page, "dataset")

    page.goto(f"{site.url}/#/p/{pid}/prompts")
    section = page.locator("section[data-prompt='greeter']")
    section.wait_for()
    assert section.locator("option").all_inner_texts()[0].startswith("version 2")
    assert section.locator(".message .content").first.inner_text() == "Be kind.\nBe short."
    assert section.locator(".diff del").inner_text().strip() == "Hello"
    assert section.locator(".diff ins").inner_text().strip() == "Hi there"
    _shot(page, "prompts")
    # Dark mode follows the system setting.
    page.emulate_media(color_scheme="dark")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 20, 24)"
    _shot(page, "prompts-dark")
    _no_csp_trouble(page)
    page.close()


def test_new_rows_appear_without_a_reload(site: Site) -> None:
    logger = braintrust.init_logger(project="live")
    logger.log(input="first row")
    braintrust.flush()
    page = site.page()
    page.goto(f"{site.url}/#/p/{site.project_id('live')}")
    page.wait_for_selector("text=first row")
    logger.log(input="arrived later")
    braintrust.flush()
    page.wait_for_selector("text=arrived later", timeout=15_000)
    page.close()


def test_access_token_login_page(site: Site, tmp_path: Path) -> None:
    running = Running(Store(tmp_path / "t.sqlite"), token="tok123")
    try:
        page = site.page()
        denied = page.goto(running.url + "/")
        assert denied is not None and denied.status == 401
        page.goto(running.url + "/login?token=tok123")
        page.wait_for_selector("h1:has-text('Projects')")
        page.close()
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


def test_another_site_and_a_rebound_name_can_neither_write_nor_read(site: Site,
                                                                     tmp_path: Path) -> None:
    import http.server
    import threading

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
        # The attacker's names resolve to 127.0.0.1, as after a DNS rebinding (a launch
        # flag: this test needs a browser of its own).
        browser = site.playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu",
            "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebound.test 127.0.0.1"])
        try:
            page = browser.new_page()
            page.goto(f"http://attacker.test:{attacker.server_address[1]}/")
            page.wait_for_function("document.title === 'sent'", timeout=15_000)
            # The rebound name reaches our port, but the server will not answer it.
            rebound = page.goto(f"http://rebound.test:{running.port}/ui-api/projects")
            assert rebound is not None and rebound.status == 400
            assert "target" not in rebound.text()
        finally:
            browser.close()
        assert list(store.rows("project_logs", project["id"])) == []
        assert store.find_prompt(project_id=project["id"], slug="evil") is None
    finally:
        attacker.shutdown()
        running.stop()


def test_seeded_times_are_what_the_waterfall_test_assumes(site: Site) -> None:
    # Guards the waterfall test: if start_time/end_time were ignored, its numbers would
    # compare the page with itself.
    rows = [r.data for r in site.store.rows("project_logs", site.project_id("ui"))]
    llm = next(r for r in rows if r["span_attributes"]["name"] == "llm call")
    assert llm["metrics"]["start"] == pytest.approx(T0 + 1.5)
    assert llm["metrics"]["end"] == pytest.approx(T0 + 3.5)
    assert time.time() > T0
