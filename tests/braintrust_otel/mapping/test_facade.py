"""The facade's one-pass mapping (mapping/facade.py) against the generic mapping.

Real facade spans of many shapes are captured on their way to the exporter
and mapped both ways; the rows must be the same fields in the same order, so
the same JSON, for plain and raw sinks alike. Spans the one-pass mapping does
not cover (foreign attributes, other scopes, repaired times) must come out
exactly as the generic mapping makes them.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, Status, StatusCode, TraceFlags

import braintrust
from braintrust import _state
from braintrust_otel import attributes as A
from braintrust_otel import masking
from braintrust_otel.exporter import map_span
from braintrust_otel.ids import row_id
from braintrust_otel.mapping import generic_row, span_to_row
from braintrust_otel.mapping.common import MAX_TIME_NS
from braintrust_otel.mapping.facade import facade_record, facade_row, record_json, record_row
from braintrust_otel.serialize import RawJson, dumps, json_text, plain_row
from braintrust_otel.span_attributes import attributes_of
from braintrust_otel.store._writes import _is_span
from tests.conftest import StoreHelper


@pytest.fixture
def captured(store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ReadableSpan]]:
    """Every span the exporter is handed, kept as it came (and still exported).

    The processor queues spans here, not facade records, so each can be
    mapped both ways (facade_row is facade_record then record_row, so the
    records are covered too; test_processor_queue.py checks the queue).
    """
    spans: list[ReadableSpan] = []
    exporter = _state.exporter()
    monkeypatch.setattr(_state.processor(), "_records", False)
    original = exporter.export

    def export(batch: Sequence[ReadableSpan]) -> SpanExportResult:
        spans.extend(batch)
        return original(batch)

    monkeypatch.setattr(exporter, "export", export)
    yield spans


def _same(span: ReadableSpan, covered: bool = True) -> dict[str, Any]:
    """Maps ``span`` both ways, plain and raw, and checks the rows are the same."""
    attrs = attributes_of(span)
    plain_fast = None
    for raw in (False, True):
        fast = facade_row(span, attrs, raw)
        slow = generic_row(span, attrs, raw)
        if not covered:
            assert fast is None
            assert span_to_row(span, raw) == slow
            continue
        assert fast is not None, f"{span.name}: not covered"
        assert list(fast) == list(slow), span.name  # same fields, same order
        assert dumps(fast) == dumps(slow), span.name  # byte for byte
        assert plain_row(fast) == plain_row(slow), span.name
        if not raw:
            assert not any(type(v) is RawJson for v in fast.values())
            plain_fast = fast
    return plain_fast or generic_row(span, attrs)


def _make_varied_spans() -> None:
    logger = braintrust.init_logger(project="p")
    # Plain root with the LLM-sized payload, non-ASCII text and a lone surrogate.
    with logger.start_span(name="llm") as span:
        span.log(input=[{"role": "user", "content": "héllo 中文 \ud800"}],
                 output={"role": "assistant", "content": "x" * 3000})
    # Typed spans, span attributes, children, every field, merges of every kind.
    with logger.start_span(name="root", type="task", span_attributes={"purpose": "p"}) as root:
        root.log(input={"q": 1}, expected="e", tags=["a", "b"], id="chosen-row-id",
                 metadata={"m": {"x": 1}}, scores={"s": 0.5}, metrics={"tokens": 3})
        root.log(metadata={"m": {"y": 2}, "n": None}, scores={"t": True, "s": None},
                 metrics={"start": 5.0, "more": 1.5}, output=None)
        with root.start_span(name="child", type="llm") as child:
            child.log(output="o", error="logged error")
            child.set_attributes(name="renamed", type="tool", span_attributes={"k": [1, 2]})
        with root.start_span() as untyped:  # an untyped child stays untyped
            untyped.log(input=1)
        with root.start_span(name="empty"):
            pass
    # An exception: the event and ERROR status become the error.
    with pytest.raises(ValueError), logger.start_span(name="fails") as failing:
        failing.log(input="in")
        raise ValueError("boom")
    # Status ERROR plus a logged error: the logged one wins.
    with pytest.raises(KeyError), logger.start_span(name="fails-logged") as failing:
        failing.log(error={"kind": "mine"})
        raise KeyError("k")
    # Explicit times, chosen ids and a child below them, propagated fields.
    span = logger.start_span(name="timed", start_time=1_700_000_000.25)
    span.end(end_time=1_700_000_001.5)
    with logger.start_span(name="chosen", span_id="my-span", root_span_id="my-root") as chosen, \
            chosen.start_span(name="below-chosen") as below:
        below.log(output=2)
    with logger.start_span(name="propagating",
                           propagated_event={"metadata": {"tenant": "t1"}}) as prop, \
            prop.start_span(name="inherits") as inherits:
        inherits.log(metadata={"own": 1})
    # @traced (the caller's location as context) and an integration's instrumentation name.

    @braintrust.traced
    def step(x: int) -> int:
        return x + 1

    step(1)
    with logger.start_span(name="integration", internal={"instrumentation": "my-lib"}):
        pass
    # Fields set by the eval machinery (origin, classifications).
    with logger.start_span(name="case") as case:
        case._log_field(A.ORIGIN, {"object_type": "dataset", "id": "r1"})
        case._log_field(A.CLASSIFICATIONS, {"c": [{"id": "x", "label": "X"}]})
    # An attachment in the input: its reference is what is logged.
    with logger.start_span(name="attachment") as att:
        att.log(input={"file": braintrust.Attachment(data=b"abc", filename="a.txt",
                                                      content_type="text/plain")})
    # Odd values: NaN, big ints, sets, bytes.
    with logger.start_span(name="odd") as odd:
        odd.log(input={"nan": float("nan"), "big": 10**40, "set": {3, 1}, "b": b"xy"},
                metadata={"inf": float("inf")})
    # Masking on.
    masking.set_masking_function(lambda v: "MASKED" if isinstance(v, str) else v)
    try:
        with logger.start_span(name="masked") as masked:
            masked.log(input="secret", output={"k": "secret"}, metadata={"a": "b"})
    finally:
        masking.set_masking_function(None)
    # An experiment's spans (root type eval).
    experiment = braintrust.init_experiment(project="p", experiment="e")
    with experiment.start_span(name="eval-root") as eroot:
        eroot.log(input=1, output=2, scores={"acc": 1})
    braintrust.flush()


def test_every_facade_span_maps_the_same_both_ways(captured: list[ReadableSpan]) -> None:
    _make_varied_spans()
    names = {span.name for span in captured}
    assert {"llm", "root", "renamed", "fails", "timed", "chosen", "below-chosen", "inherits",
            "integration", "case", "attachment", "odd", "masked", "eval-root"} <= names
    rows = {span.name: _same(span) for span in captured}
    # A few fields, to be sure the spans carried what the comparison is about.
    assert rows["root"]["metadata"] == {"m": {"x": 1, "y": 2}, "n": None}
    assert rows["root"]["id"] == "chosen-row-id"
    assert rows["renamed"]["span_attributes"] == {"name": "renamed", "type": "tool", "k": [1, 2]}
    assert "ValueError: boom" in rows["fails"]["error"]
    assert rows["fails-logged"]["error"] == {"kind": "mine"}
    assert rows["below-chosen"]["root_span_id"] == "my-root"
    assert rows["below-chosen"]["span_parents"] == ["my-span"]
    assert rows["inherits"]["metadata"] == {"tenant": "t1", "own": 1}
    assert rows["integration"]["context"]["span_origin"]["instrumentation"] == {"name": "my-lib"}
    assert rows["masked"]["input"] == "MASKED"
    assert "caller_functionname" in rows[next(n for n in rows if "step" in n)]["context"]


def test_raw_rows_carry_the_origin_as_text_made_once(captured: list[ReadableSpan]) -> None:
    logger = braintrust.init_logger(project="p")
    for _ in range(2):
        with logger.start_span(name="s") as span:
            span.log(input=1)
    braintrust.flush()
    first, second = (map_span(s, True) for s in captured)
    assert type(first["context"]) is RawJson
    assert first["context"].text is second["context"].text
    # Plain sinks get a dict of their own per row.
    a, b = (map_span(s) for s in captured)
    assert a["context"] == b["context"] and a["context"] is not b["context"]


def test_a_user_attribute_on_a_facade_span_takes_the_generic_path(
        captured: list[ReadableSpan]) -> None:
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        span.log(input=1, metadata={"m": 1})
        span.otel_span.set_attribute("user.key", "v")
        span.otel_span.set_attribute("braintrust.metadata.flat", "f")
    braintrust.flush()
    (otel_span,) = captured
    row = _same(otel_span, covered=False)
    assert row["metadata"] == {"m": 1, "flat": "f", "user.key": "v"}
    assert row["input"] == 1


def test_a_foreign_processor_adding_attributes_takes_the_generic_path(
        captured: list[ReadableSpan], monkeypatch: pytest.MonkeyPatch) -> None:
    class Tagger(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            span.set_attribute("deployment.environment", "prod")

    # A processor ahead of the Braintrust one on the facade's provider, for this test only.
    multi: Any = _state.tracer().span_processor  # type: ignore[attr-defined]
    monkeypatch.setattr(multi, "_span_processors", (Tagger(), *multi._span_processors))
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        span.log(output="o")
    braintrust.flush()
    (otel_span,) = captured
    row = _same(otel_span, covered=False)
    assert row["metadata"] == {"deployment.environment": "prod"}
    assert row["output"] == "o"


def _hand_made(attrs: dict[str, Any], *, scope: str = A.FACADE_SCOPE, start: Any = 10**18,
               end: Any = 10**18 + 5, parent: bool = True,
               status: Status | None = None) -> ReadableSpan:
    ctx = SpanContext(trace_id=0xABC << 64 | 0xDEF, span_id=0x1234, is_remote=False,
                      trace_flags=TraceFlags(TraceFlags.SAMPLED))
    parent_ctx = SpanContext(trace_id=ctx.trace_id, span_id=0x99, is_remote=False) \
        if parent else None
    return ReadableSpan(name="hand", context=ctx, parent=parent_ctx, attributes=attrs,
                        start_time=start, end_time=end, status=status or Status(),
                        instrumentation_scope=InstrumentationScope(scope, "9.9"))


@pytest.mark.parametrize("attrs", [
    # As another process's facade spans arrive over OTLP: plain text, not JsonText.
    {A.PARENT: "project_name:p", A.INPUT: '{"a": 1}', A.OUTPUT: "not json",
     A.METADATA: '{"m": 1}', A.METRICS: '{"tokens": 2}', A.SPAN_ATTRIBUTES: '{"type": "llm"}'},
    {A.INPUT: json_text([1]), A.CONTEXT: '{"span_origin": {"environment": {"type": "ci"}}}'},
    {A.CONTEXT: "{}", A.TAGS: "one", A.ROW_ID: ""},
    {A.CONTEXT: '"not a mapping"', A.METADATA: "[1, 2]", A.SPAN_PARENTS: '["a", 1]'},
    {A.SPAN_ID: "", A.ROOT_SPAN_ID: 5, A.SPAN_PARENTS: "[]", A.ERROR: json_text(None)},
    {},
])
def test_hand_made_facade_spans_map_the_same(attrs: dict[str, Any]) -> None:
    for parent in (True, False):
        _same(_hand_made(attrs, parent=parent))
    _same(_hand_made(attrs, status=Status(StatusCode.ERROR, "bad")))


def test_spans_the_one_pass_mapping_leaves_to_the_generic_one() -> None:
    # Another scope, a time the base row repairs, an attribute of another name.
    _same(_hand_made({A.INPUT: "1"}, scope="some.lib"), covered=False)
    _same(_hand_made({A.INPUT: "1"}, start=-5), covered=False)
    _same(_hand_made({A.INPUT: "1"}, end=10**30), covered=False)
    _same(_hand_made({A.INPUT: "1", "braintrust.input": "x"}), covered=False)
    _same(_hand_made({A.INPUT: "1", "code.line.number": 3}), covered=False)


def test_span_limits_that_cut_values_keep_the_cut_text(
        captured: list[ReadableSpan], monkeypatch: pytest.MonkeyPatch) -> None:
    # An attribute length limit cuts the facade's JSON into plain (invalid) text:
    # the facade then sets it through the SDK, and both mappings keep the text.
    from opentelemetry.sdk.trace import SpanLimits

    monkeypatch.setattr(_state.tracer(), "_span_limits", SpanLimits(max_span_attribute_length=10))
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name="s") as span:
        span.log(input={"long": "x" * 50})
    braintrust.flush()
    (otel_span,) = captured
    row = _same(otel_span)
    assert row["input"] == '{"long":"x'


def test_a_span_class_of_its_own_is_read_through_its_properties() -> None:
    # The SDK's span classes are read field by field; any other class (here one
    # that renames its spans) only through its properties, as the generic mapping.
    class Renamed(ReadableSpan):
        @property
        def name(self) -> str:
            return "renamed"

    base = _hand_made({A.INPUT: json_text([1])})
    span = Renamed(name="hand", context=base.context, parent=base.parent,
                   attributes=dict(base.attributes or {}), start_time=base.start_time,
                   end_time=base.end_time, status=base.status,
                   instrumentation_scope=base.instrumentation_scope)
    row = _same(span)
    assert row["span_attributes"]["name"] == "renamed"


def test_scopes_are_told_apart_when_they_alternate() -> None:
    # The facade scope last seen is remembered: a span of another scope, of no
    # scope, or of the facade's scope at another version is still told apart.
    def scoped(scope: InstrumentationScope | None) -> ReadableSpan:
        base = _hand_made({A.INPUT: json_text([1])})
        return ReadableSpan(name="s", context=base.context, attributes={A.INPUT: json_text(1)},
                            start_time=base.start_time, end_time=base.end_time,
                            instrumentation_scope=scope)

    for scope in (InstrumentationScope(A.FACADE_SCOPE, "1.0"), None,
                  InstrumentationScope("other.lib", "1.0"),
                  InstrumentationScope(A.FACADE_SCOPE, "2.0"), None,
                  InstrumentationScope(A.FACADE_SCOPE, "1.0")):
        span = scoped(scope)
        covered = scope is not None and scope.name == A.FACADE_SCOPE
        _same(span, covered=covered)
        if covered:
            assert scope is not None
            row = facade_row(span, attributes_of(span))
            assert row is not None
            assert row["context"]["span_origin"]["version"] == scope.version


def test_created_and_row_ids_match_the_generic_mapping_on_many_times_and_ids() -> None:
    # The one-pass mapping formats ``created`` inline for the second it
    # formatted last and slices the row id out of the hex ids: both must give
    # the generic mapping's text (datetime's rounding, row_id's arithmetic)
    # for times on rounding edges, whole seconds, second changes and any ids.
    rng = random.Random(18)
    now = 1_790_000_000 * 10**9
    times = [0, 1, 500, 999_999_999, 1_000_000_000, MAX_TIME_NS - 5, now, now + 500,
             now + 999_999_500, now + 999_999_499, now + 1_999_999_999]
    times += [now + us * 1_000 + 500 for us in range(0, 1_000_000, 9_973)]
    times += [rng.randrange(0, MAX_TIME_NS) for _ in range(200)]
    times += [now + i * 37_345_679 for i in range(300)]  # runs within a second and across
    for i, start in enumerate(times):
        ctx = SpanContext(trace_id=rng.getrandbits(128) or 1, span_id=rng.getrandbits(64) or 1,
                          is_remote=False)
        span = ReadableSpan(name="t", context=ctx, attributes={A.INPUT: json_text(i)},
                            start_time=start, end_time=start + 5,
                            instrumentation_scope=InstrumentationScope(A.FACADE_SCOPE, "1"))
        row = _same(span)
        assert row["created"] == datetime.datetime.fromtimestamp(
            start / 1e9, tz=datetime.timezone.utc).isoformat(), start
        assert row["id"] == row_id(ctx.trace_id, ctx.span_id)
    # Every variant of the row id's variant digit, from the trace id's bits.
    for top in range(16):
        ctx = SpanContext(trace_id=(top << 60) | 0x123, span_id=0xFEDCBA9876543210,
                          is_remote=False)
        span = ReadableSpan(name="v", context=ctx, attributes={}, start_time=now,
                            end_time=now, instrumentation_scope=InstrumentationScope(
                                A.FACADE_SCOPE, "1"))
        assert _same(span)["id"] == row_id(ctx.trace_id, ctx.span_id)


def test_raw_values_are_made_as_raw_json_makes_them() -> None:
    # The one-pass mapping makes RawJson without calling its __init__, setting
    # its one slot itself: a field added to RawJson must be added there too.
    assert RawJson.__slots__ == ("text",)
    text = json_text({"a": [1, "é"]})
    row = facade_row(_hand_made({A.INPUT: text}), {A.INPUT: text}, raw=True)
    assert row is not None
    made = row["input"]
    assert type(made) is RawJson and made.text is text
    assert made == RawJson(text) and made.value() == {"a": [1, "é"]}
    assert dumps({"input": made}) == dumps({"input": RawJson(text)})


def test_a_foreign_attribute_is_found_before_any_of_the_row_is_made(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A span another processor stamped goes the generic way; the one-pass
    # mapping must give up before making any of its row (here, the raw values
    # of the attributes before the foreign one), not waste it.
    from braintrust_otel.mapping import facade

    made: list[Any] = []

    def new(cls: type) -> Any:
        made.append(cls)
        return object.__new__(cls)

    monkeypatch.setattr(facade, "_new", new)
    attrs = {A.PARENT: "project_name:p", A.INPUT: json_text(1), A.OUTPUT: json_text(2),
             "deployment.environment": "prod"}
    assert facade_row(_hand_made(attrs), attrs, raw=True) is None
    assert made == []
    covered = {A.PARENT: "project_name:p", A.INPUT: json_text(1)}
    assert facade_row(_hand_made(covered), covered, raw=True) is not None
    assert made == [RawJson]


def test_a_parent_context_of_another_class_is_read_through_its_property() -> None:
    # An SDK SpanContext is a tuple read by index; a subclass (which may
    # redefine span_id) goes through the property, as the generic mapping does.
    class Shifted(SpanContext):
        @property
        def span_id(self) -> int:
            return 0xABCDEF

    base = _hand_made({A.INPUT: json_text(1)})
    parent = Shifted(trace_id=base.context.trace_id, span_id=0x99, is_remote=False)
    span = ReadableSpan(name="child", context=base.context, parent=parent,
                        attributes={A.INPUT: json_text(1)}, start_time=base.start_time,
                        end_time=base.end_time, instrumentation_scope=base.instrumentation_scope)
    assert _same(span)["span_parents"] == ["0000000000abcdef"]


def test_record_json_writes_what_dumps_writes_of_the_row(captured: list[ReadableSpan]) -> None:
    # The embedded store takes a facade record's JSON as record_json writes it
    # directly: byte for byte the row's dumps (as LocalSink would make it:
    # _parent resolved to the target's ids), or None for a shape it leaves to
    # the row. Both halves are checked on every captured span.
    _make_varied_spans()
    logger = braintrust.init_logger(project="p")
    with logger.start_span(name='quote " back \\ ctl \x01 tab \t é ☃ 😀') as odd_name:
        odd_name.log(input={"a": 1}, output="o", expected=[1], id='row "id" \\')
        with odd_name.start_span(name="lone \ud800 surrogate") as lone:
            lone.log(output=1)
    braintrust.flush()
    ids = {"project_id": 'p"1', "log_id": "g"}
    tail = "," + dumps(ids)[1:]
    covered: set[str] = set()
    for span in captured:
        record = facade_record(span, attributes_of(span))
        if record is None:
            continue
        encoded = record_json(record, tail)
        if encoded is None:
            continue
        row = record_row(record, raw=True)
        row.pop("_parent")
        row.update(ids)
        assert encoded.text == dumps(row), span.name
        assert (encoded.id, encoded.root_span_id, encoded.span_id, encoded.created) == (
            row["id"], row["root_span_id"], row["span_id"], row["created"])
        assert encoded.is_root == (0 if row.get("span_parents") or not _is_span(row) else 1)
        covered.add(span.name)
    assert {"empty", "timed", "attachment", 'quote " back \\ ctl \x01 tab \t é ☃ 😀'} <= covered
    # Left to the row: a recorded error, merged fields (metadata, span
    # attributes), chosen ids, a value or a name holding a lone surrogate.
    assert not covered & {"fails", "root", "renamed", "chosen", "masked", "llm",
                          "lone \ud800 surrogate"}
