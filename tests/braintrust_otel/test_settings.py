"""Configuration: one parser per type, bad values reported (never raised),
precedence argument > variable > default, values read when needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from braintrust_otel import diagnostics, settings
from braintrust_otel.api import ApiConnection
from braintrust_otel.parent import DEFAULT_PARENT, default_parent
from braintrust_otel.processor import BraintrustSpanProcessor
from braintrust_otel.settings import Settings, Variable, get_settings
from braintrust_otel.spool import Spool


@pytest.fixture(autouse=True)
def _fresh_diagnostics() -> None:
    diagnostics.reset()


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_bool_true_spellings(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("BRAINTRUST_INSTRUMENT_THREADS", text)
    assert settings.INSTRUMENT_THREADS.get() is True
    assert diagnostics.counts() == {}


@pytest.mark.parametrize("text", ["0", "false", "False", "NO", "off"])
def test_bool_false_spellings(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("BRAINTRUST_CAPTURE_CONTENT", text)
    assert settings.CAPTURE_CONTENT.get() is False
    assert diagnostics.counts() == {}


def test_a_bad_bool_is_reported_and_the_default_used(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Before, any text but 0/false/no/off meant "on": a typo of "off" kept content.
    monkeypatch.setenv("BRAINTRUST_CAPTURE_CONTENT", "of")
    assert get_settings().capture_content is True
    assert "BRAINTRUST_CAPTURE_CONTENT='of'" in capsys.readouterr().err
    assert diagnostics.counts() == {"config:BRAINTRUST_CAPTURE_CONTENT": 1}


def test_a_bad_number_is_reported_once_naming_variable_and_value(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BRAINTRUST_QUEUE_SIZE", "abc")
    processor = BraintrustSpanProcessor(InMemorySpanExporter())
    try:
        assert processor._max_queue == 20_000
    finally:
        processor.shutdown()
    assert get_settings().queue_size == 20_000
    assert get_settings().queue_size == 20_000
    err = capsys.readouterr().err
    assert err.count("BRAINTRUST_QUEUE_SIZE='abc'") == 1
    assert "not a whole number" in err and "20000" in err
    assert diagnostics.counts() == {"config:BRAINTRUST_QUEUE_SIZE": 1}


def test_two_bad_variables_are_both_printed(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BRAINTRUST_QUEUE_SIZE", "lots")
    monkeypatch.setenv("BRAINTRUST_NUM_RETRIES", "many")
    env = get_settings()
    assert (env.queue_size, env.num_retries) == (20_000, 3)
    err = capsys.readouterr().err
    assert "BRAINTRUST_QUEUE_SIZE='lots'" in err and "BRAINTRUST_NUM_RETRIES='many'" in err


def test_values_that_raised_into_user_code_before(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    # ApiConnection() and Spool() parsed these with a bare float()/int().
    monkeypatch.setenv("BRAINTRUST_HTTP_TIMEOUT", "1m")
    monkeypatch.setenv("BRAINTRUST_SPOOL_MAX_BYTES", "1GB")
    assert ApiConnection(api_key="k").timeout == 60.0
    assert Spool(tmp_path).max_bytes == 1 << 30
    assert set(diagnostics.counts()) == {"config:BRAINTRUST_HTTP_TIMEOUT",
                                         "config:BRAINTRUST_SPOOL_MAX_BYTES"}


@pytest.mark.parametrize(("name", "text", "field", "default"), [
    ("BRAINTRUST_QUEUE_SIZE", "0", "queue_size", 20_000),
    ("BRAINTRUST_NUM_RETRIES", "-1", "num_retries", 3),
    ("BRAINTRUST_HTTP_TIMEOUT", "0", "http_timeout", 60.0),
    ("BRAINTRUST_QUEUE_BLOCK_SECONDS", "inf", "queue_block_seconds", 10.0),
    ("BRAINTRUST_EXIT_FLUSH_SECONDS", "nan", "exit_flush_seconds", 10.0),
    ("BRAINTRUST_MAX_REQUEST_SIZE", "0", "max_request_size", None),
    ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512.5", "otel_bsp_max_export_batch_size", 512),
])
def test_out_of_range_values_are_reported(monkeypatch: pytest.MonkeyPatch, name: str,
                                          text: str, field: str, default: object) -> None:
    monkeypatch.setenv(name, text)
    assert getattr(get_settings(), field) == default
    assert diagnostics.counts() == {f"config:{name}": 1}


def test_empty_and_blank_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_QUEUE_SIZE", "")
    monkeypatch.setenv("BRAINTRUST_API_KEY", "  ")
    env = get_settings()
    assert env.queue_size == 20_000 and env.api_key is None
    assert diagnostics.counts() == {}


def test_text_is_stripped_and_paths_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_ORG_NAME", " acme\n")
    monkeypatch.setenv("BRAINTRUST_PROMPT_CACHE_DIR", "~/prompts")
    env = get_settings()
    assert env.org_name == "acme"
    assert env.prompt_cache_dir == Path.home() / "prompts"


def test_precedence_argument_then_variable_then_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINTRUST_HTTP_TIMEOUT", raising=False)
    monkeypatch.delenv("BRAINTRUST_ORG_NAME", raising=False)
    assert ApiConnection(api_key="k").timeout == 60.0
    monkeypatch.setenv("BRAINTRUST_HTTP_TIMEOUT", "30")
    monkeypatch.setenv("BRAINTRUST_ORG_NAME", "from-env")
    conn = ApiConnection(api_key="k")
    assert (conn.timeout, conn.org_name) == (30.0, "from-env")
    conn = ApiConnection(api_key="k", timeout=5, org_name="from-arg")
    assert (conn.timeout, conn.org_name) == (5, "from-arg")


def test_a_variable_set_after_import_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    before = get_settings()
    assert default_parent() == DEFAULT_PARENT
    assert get_settings() is before  # nothing changed: the same object
    monkeypatch.setenv("BRAINTRUST_PARENT", "project_name:later")
    assert default_parent() == "project_name:later"
    after = get_settings()
    assert after is not before and after.parent == "project_name:later"
    monkeypatch.delenv("BRAINTRUST_PARENT")
    assert default_parent() == DEFAULT_PARENT


def test_a_variable_parses_only_when_its_text_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def parse(text: str) -> int:
        seen.append(text)
        return int(text)

    var: Variable[int] = Variable("BRAINTRUST_TEST_ONLY_NUMBER", parse, 7, "a test variable")
    assert var.get() == 7
    monkeypatch.setenv("BRAINTRUST_TEST_ONLY_NUMBER", "3")
    assert [var.get(), var.get(), var.get()] == [3, 3, 3]
    monkeypatch.setenv("BRAINTRUST_TEST_ONLY_NUMBER", "4")
    assert var.get() == 4
    assert seen == ["3", "4"]


def test_from_environ_reads_a_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    env = Settings.from_environ({"BRAINTRUST_QUEUE_SIZE": "5", "BRAINTRUST_SPOOL_DIR": "/s",
                                 "BRAINTRUST_KEEP_FOREIGN_INSTRUMENTORS": "maybe"})
    assert env.queue_size == 5 and env.spool_dir == Path("/s")
    assert env.keep_foreign_instrumentors is False
    assert "BRAINTRUST_KEEP_FOREIGN_INSTRUMENTORS='maybe'" in capsys.readouterr().err
    assert Settings.from_environ({}) == Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        get_settings().queue_size = 1


def test_the_processor_reads_the_parent_per_span_not_at_construction(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    monkeypatch.delenv("BRAINTRUST_PARENT", raising=False)
    exporter = InMemorySpanExporter()
    processor = BraintrustSpanProcessor(exporter)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    try:
        tracer = provider.get_tracer("t")
        tracer.start_span("before").end()
        monkeypatch.setenv("BRAINTRUST_PARENT", "project_name:set-later")
        tracer.start_span("after").end()
        processor.force_flush()
        parents = {s.name: (s.attributes or {}).get("braintrust.parent")
                   for s in exporter.get_finished_spans()}
    finally:
        provider.shutdown()
    assert parents == {"before": DEFAULT_PARENT, "after": "project_name:set-later"}


def test_settings_compare_by_value_and_take_field_overrides() -> None:
    assert Settings(queue_size=5) == Settings(queue_size=5) != Settings()
    assert hash(Settings(queue_size=5)) == hash(Settings(queue_size=5))
    assert repr(Settings(queue_size=5)) == "Settings(queue_size=5)"
    with pytest.raises(TypeError, match="queue_sise"):
        Settings(queue_sise=5)


def test_max_request_size_caps_the_servers_limit_and_is_read_per_delivery(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.fake_braintrust import GOOD_KEY, FakeBraintrust

    with FakeBraintrust(payload_limit=4096) as fake:
        conn = ApiConnection(api_key=GOOD_KEY, app_url=fake.url, timeout=5)
        monkeypatch.delenv("BRAINTRUST_MAX_REQUEST_SIZE", raising=False)
        assert conn.max_request_size() == 4096
        monkeypatch.setenv("BRAINTRUST_MAX_REQUEST_SIZE", "1000")
        assert conn.max_request_size() == 1000
        monkeypatch.setenv("BRAINTRUST_MAX_REQUEST_SIZE", "99999")  # the server's limit wins
        assert conn.max_request_size() == 4096
        # Before, any text but digits was ignored without a word.
        monkeypatch.setenv("BRAINTRUST_MAX_REQUEST_SIZE", "2MB")
        assert conn.max_request_size() == 4096
    assert diagnostics.counts() == {"config:BRAINTRUST_MAX_REQUEST_SIZE": 1}
