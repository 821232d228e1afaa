"""@traced on functions, methods, coroutines and generators."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator

import pytest

import braintrust
from tests.conftest import StoreHelper


def test_bare_decorator_records_args_and_result(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def add(a: int, b: int = 5) -> int:
        return a + b

    assert add(1, b=2) == 3
    [row] = store.rows()
    assert row["input"] == {"a": 1, "b": 2}
    assert row["output"] == 3
    assert row["span_attributes"] == {"name": "add", "type": "function"}
    assert row["context"]["caller_functionname"].endswith("add")
    assert row["context"]["caller_filename"].endswith("test_traced.py")
    assert add.__name__ == "add"


def test_options_name_type_attributes_notrace_io(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced(name="renamed", type="tool", span_attributes={"k": "v"}, notrace_io=True)
    def secret(x: str) -> str:
        return x.upper()

    assert secret("hidden") == "HIDDEN"
    [row] = store.rows()
    assert row["span_attributes"] == {"name": "renamed", "type": "tool", "k": "v"}
    assert "input" not in row and "output" not in row


def test_nested_traced_calls_form_a_tree(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def inner(x: int) -> int:
        braintrust.current_span().log(metadata={"seen": x})
        return x * 2

    @braintrust.traced
    def outer(x: int) -> int:
        return inner(x) + 1

    assert outer(4) == 9
    rows = store.by_name()
    assert rows["inner"]["span_parents"] == [rows["outer"]["span_id"]]
    assert rows["inner"]["metadata"] == {"seen": 4}
    assert rows["outer"]["span_parents"] is None


def test_methods_do_not_record_self(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    class Bot:
        @braintrust.traced
        def reply(self, text: str) -> str:
            return text[::-1]

    assert Bot().reply("abc") == "cba"
    assert store.rows()[0]["input"] == {"text": "abc"}


def test_exception_is_recorded_and_reraised_unchanged(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    err = ValueError("bad input")

    @braintrust.traced
    def fail() -> None:
        raise err

    with pytest.raises(ValueError) as info:
        fail()
    assert info.value is err
    [row] = store.rows()
    assert "ValueError: bad input" in row["error"]
    assert "Traceback" in row["error"]
    assert "output" not in row


def test_async_function(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced(type="llm")
    async def ask(q: str) -> str:
        await asyncio.sleep(0)
        return "a:" + q

    assert asyncio.run(ask("q")) == "a:q"
    [row] = store.rows()
    assert row["input"] == {"q": "q"} and row["output"] == "a:q"
    assert row["span_attributes"]["type"] == "llm"


def test_async_exception(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    async def boom() -> None:
        raise RuntimeError("async boom")

    with pytest.raises(RuntimeError, match="async boom"):
        asyncio.run(boom())
    assert "async boom" in store.rows()[0]["error"]


def test_generator_records_items_and_children_nest(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def child(i: int) -> int:
        return i

    @braintrust.traced
    def numbers(n: int) -> Iterator[int]:
        for i in range(n):
            yield child(i)

    assert list(numbers(3)) == [0, 1, 2]
    # Between items the consumer's context is its own, not the generator's span.
    assert braintrust.current_span() is braintrust.NOOP_SPAN
    rows = store.rows()
    gen = next(r for r in rows if r["span_attributes"]["name"] == "numbers")
    kids = [r for r in rows if r["span_attributes"]["name"] == "child"]
    assert gen["output"] == [0, 1, 2] and gen["input"] == {"n": 3}
    assert len(kids) == 3 and all(k["span_parents"] == [gen["span_id"]] for k in kids)


def test_generator_closed_early_ends_its_span(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def forever() -> Generator[int, None, None]:
        i = 0
        while True:
            yield i
            i += 1

    gen = forever()
    assert next(gen) == 0 and next(gen) == 1
    gen.close()
    [row] = store.rows()
    assert row["output"] == [0, 1]
    assert "error" not in row


def test_generator_send_and_return_value(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def echo() -> Generator[str, str, None]:
        got = yield "ready"
        yield f"got {got}"
        return

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send("x") == "got x"
    with pytest.raises(StopIteration):
        next(gen)
    assert store.rows()[0]["output"] == ["ready", "got x"]


def test_generator_error(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def broken() -> Iterator[int]:
        yield 1
        raise KeyError("gen")

    with pytest.raises(KeyError):
        list(broken())
    row = store.rows()[0]
    assert row["output"] == [1] and "KeyError" in row["error"]


def test_async_generator(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    async def stream(n: int) -> AsyncIterator[str]:
        for i in range(n):
            await asyncio.sleep(0)
            yield f"chunk{i}"

    async def consume() -> list[str]:
        return [c async for c in stream(2)]

    assert asyncio.run(consume()) == ["chunk0", "chunk1"]
    assert store.rows()[0]["output"] == ["chunk0", "chunk1"]


def test_generator_item_limit(store: StoreHelper, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINTRUST_MAX_GENERATOR_ITEMS", "2")
    braintrust.init_logger(project="p")

    @braintrust.traced
    def many() -> Iterator[int]:
        yield from range(5)

    assert list(many()) == [0, 1, 2, 3, 4]
    assert store.rows()[0]["output"] == [0, 1]


def test_logger_traced_goes_to_that_logger(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")
    other = braintrust.init_logger(project="q", set_current=False)

    @other.traced
    def f() -> int:
        return 1

    f()
    assert store.rows("q")[0]["span_attributes"]["name"] == "f"


def test_traced_without_logger_runs_untraced(store: StoreHelper) -> None:
    @braintrust.traced
    def f(x: int) -> int:
        return x + 1

    assert f(1) == 2
    assert store.store.projects() == []


def test_bad_decorator_arguments() -> None:
    with pytest.raises(ValueError, match="type must be one of"):
        braintrust.traced(type="banana")
    with pytest.raises(TypeError, match="name must be a str"):
        braintrust.traced(name=42)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="unexpected argument"):
        braintrust.traced(nmae="x")
    with pytest.raises(TypeError, match="span_attributes must be a dict"):
        braintrust.traced(span_attributes=["x"])  # type: ignore[call-overload]


def test_inputs_bind_by_parameter_name_for_every_signature_kind(store: StoreHelper) -> None:
    braintrust.init_logger(project="p")

    @braintrust.traced
    def simple(a: int, b: int = 2) -> None:
        pass

    @braintrust.traced
    def varargs(a: int, *rest: int, flag: bool = False, **extra: int) -> None:
        pass

    class K:
        @braintrust.traced
        def method(self, x: int) -> None:
            pass

    simple(1)
    simple(1, b=3)
    simple(b=4, a=5)
    varargs(1, 2, 3, flag=True, z=9)
    K().method(x=7)
    inputs = sorted((str(r["span_attributes"]["name"]), str(r["input"])) for r in store.rows())
    assert inputs == sorted([
        ("simple", str({"a": 1})),
        ("simple", str({"a": 1, "b": 3})),
        ("simple", str({"b": 4, "a": 5})),
        ("varargs", str({"a": 1, "rest": [2, 3], "flag": True, "extra": {"z": 9}})),
        ("method", str({"x": 7})),
    ])
