"""A seeded fuzz of the public API: thousands of odd values and arguments.

Each case picks an operation (log a row, a span tree, a traced call, an
experiment row and feedback, a dataset record, now and then a whole Eval)
and fills its arguments with good ones, whose *values* may be anything a
program can hold (lone surrogates, NaN, ints too long to print, cycles,
objects whose repr raises, ...), or with exactly one bad argument. It
asserts the charter's promises:

- a call with good arguments never raises, and its rows are stored (read
  back from the store after the run);
- a bad argument raises TypeError or ValueError whose message names it,
  and nothing else ever escapes into user code;
- with a masking function set, the secret marker never reaches the store.

``BRAINTRUST_FUZZ_SEED`` and ``BRAINTRUST_FUZZ_CASES`` change the run; a
failure message carries the seed and the case number to replay it.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import math
import os
import random
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

import pytest

import braintrust
from braintrust import _state
from braintrust_otel import diagnostics
from braintrust_otel import masking as _masking
from tests.conftest import StoreHelper

SEED = int(os.environ.get("BRAINTRUST_FUZZ_SEED", "20261126"))
CASES = int(os.environ.get("BRAINTRUST_FUZZ_CASES", "3000"))
SECRET = "SeCrEt-7f3a"
HUGE = 10**5000  # past the 4,300 digits Python will print

# The secret goes wherever the README says values are masked: logged fields,
# tags, score and metric names, dataset records, feedback and exception
# messages; never into names, ids or span_attributes, which are not.


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: Any
    y: Any


class BadRepr:
    """An object every conversion of which raises."""

    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq is broken")

    __hash__ = object.__hash__


class BadMapping(Mapping[str, Any]):
    """A mapping whose iteration fails."""

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("iteration is broken")

    def __len__(self) -> int:
        return 1


class Gen:
    """Random values and arguments from one seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def text(self, secret: bool = False) -> str:
        r = self.r
        base = r.choice([
            "", "plain", "héllo ✓ 日本語", "bad \ud800", "\udc80tail", "pair \ud83d\ude00",
            "nul\x00byte", "x" * r.randint(1, 3000), "line\nbreak\ttab", "\u202eRTL",
            "".join(chr(r.randint(1, 0x10FFFF)) for _ in range(r.randint(1, 20))),
        ])
        if secret and self.chance(0.5):
            base = f"{base}{SECRET}{base[:5]}"
        return base

    def number(self) -> Any:
        return self.r.choice([
            0, 1, -1, 7, 2**63, -(2**64), HUGE, -HUGE, 0.5, -0.0, 1e300, 5e-324,
            math.nan, math.inf, -math.inf, True, False,
        ])

    def value(self, secret: bool = False, depth: int = 0) -> Any:
        r = self.r
        kind = r.randint(0, 19 if depth < 3 else 9)
        if kind <= 2:
            return self.text(secret)
        if kind == 3:
            return self.number()
        if kind == 4:
            return None
        if kind == 5:
            return r.choice([b"\xff\x00bytes", bytearray(b"ba"), {1, 2}, frozenset({"a"}),
                             datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc),
                             datetime.date(2024, 1, 2), decimal.Decimal("NaN"),
                             decimal.Decimal("1.5"), uuid.UUID(int=5), PurePosixPath("/a/b"),
                             Colour.RED, datetime.timedelta(seconds=3)])
        if kind == 6:
            return BadRepr()
        if kind == 7:
            return Point(self.text(secret), self.number())
        if kind == 8:
            cycle: list[Any] = [self.text(secret)]
            cycle.append(cycle)
            return cycle
        if kind == 9:
            deep: Any = self.text(secret)
            for _ in range(r.randint(10, 200)):
                deep = [deep] if self.chance(0.5) else {"d": deep}
            return deep
        if kind <= 13:
            return {self.key(secret): self.value(secret, depth + 1)
                    for _ in range(r.randint(0, 4))}
        if kind <= 16:
            return [self.value(secret, depth + 1) for _ in range(r.randint(0, 4))]
        if kind == 17:
            return tuple(self.value(secret, depth + 1) for _ in range(r.randint(0, 3)))
        if kind == 18:
            return {r.choice([1, None, 2.5, math.nan, (1, 2), BadRepr()]): self.value(secret, 9)}
        return list(range(r.randint(100, 1000)))

    def key(self, secret: bool = False) -> str:
        return self.text(secret)[:50] if self.chance(0.7) else self.r.choice(["a", "b", "c"])

    def mapping(self, secret: bool = False) -> dict[str, Any]:
        return {self.key(secret): self.value(secret, 1) for _ in range(self.r.randint(0, 3))}

    def good_fields(self, secret: bool = True) -> dict[str, Any]:
        """Keyword arguments for ``log()``, each good (values may be anything)."""
        r = self.r
        out: dict[str, Any] = {}
        for field in ("input", "output", "expected", "error"):
            if self.chance(0.6):
                out[field] = self.value(secret)
        if self.chance(0.4):
            out["metadata"] = self.mapping(secret)
        if self.chance(0.3):
            out["tags"] = [self.text(secret) for _ in range(r.randint(0, 3))]
        if self.chance(0.3):
            out["scores"] = {self.key(secret): r.choice([0, 1, 0.25, None, True])
                             for _ in range(r.randint(0, 3))}
        if self.chance(0.3):
            out["metrics"] = {self.key(secret): self.number() for _ in range(r.randint(0, 3))}
        return out

    def bad_field(self) -> tuple[str, Any]:
        """One argument of ``log()`` that must be refused, and its name."""
        r = self.r
        return r.choice([
            ("tags", self.text() or "tag"), ("tags", [self.text(), r.choice([1, None, BadRepr()])]),
            ("tags", 5), ("scores", [0.5]), ("scores", {"s": r.choice([1.5, -1, HUGE, math.nan])}),
            ("scores", {"s": r.choice(["high", [1], BadRepr()])}), ("scores", {5: 0.5}),
            ("metadata", r.choice(["text", [1, 2], 5, BadRepr()])),
            ("metadata", {r.choice([1, None, BadRepr()]): "x"}),
            ("metrics", {"m": r.choice(["many", None, [1], BadRepr()])}), ("metrics", 3),
            ("id", r.choice([7, b"id", ["x"], BadRepr()])),
        ])

    def bad_span_arg(self) -> tuple[str, Any]:
        """One argument of ``start_span()`` that must be refused, and its name."""
        r = self.r
        return r.choice([
            ("name", r.choice([3, ["n"], b"n", BadRepr()])),
            ("type", r.choice(["banana", ["llm"], {"t": 1}, 5, BadRepr(), self.text()])),
            ("span_attributes", r.choice([[1], "attrs", 5, BadRepr()])),
            ("span_attributes", {r.choice([1, None, BadRepr()]): "x"}),
            ("start_time", r.choice([math.nan, math.inf, -math.inf, 1e300, HUGE, -5.0,
                                     1.7e12, 1.7e18, "now", [1], BadRepr()])),
            ("parent", r.choice([123, ["p"], BadRepr(), "not a slug", "e30"])),
            ("event", r.choice(["e", [1], 5, BadRepr()])),
        ])


def _masking_function(value: Any) -> Any:
    """Replaces the secret in every string and key it reaches (cycles and depth bounded)."""
    seen: set[int] = set()

    def walk(v: Any, depth: int) -> Any:
        if isinstance(v, str):
            return v.replace(SECRET, "[masked]")
        if depth > 400 or id(v) in seen:
            return "[not masked: too deep]"
        if isinstance(v, (dict, list, tuple, set, frozenset)):
            seen.add(id(v))
            if isinstance(v, dict):
                return {k.replace(SECRET, "[masked]") if isinstance(k, str) else k:
                        walk(x, depth + 1) for k, x in v.items()}
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, Point):
            return Point(walk(v.x, depth + 1), walk(v.y, depth + 1))
        return v

    return walk(value, 0)


class Fuzz:
    """Runs cases and records what must be found in the store afterwards."""

    def __init__(self, seed: int) -> None:
        self.g = Gen(random.Random(seed))
        self.seed = seed
        self.case = 0
        self.logger = braintrust.init_logger(project="fuzz")
        self.experiment = braintrust.init(project="fuzz", experiment="fuzz-exp")
        self.dataset = braintrust.init_dataset(project="fuzz", name="fuzz-ds")
        self.expected: dict[tuple[str, str], set[str]] = {}
        self.exports: list[str] = []
        self.evals = 0

    def expect(self, object_type: str, object_id: str, row_id: str) -> None:
        self.expected.setdefault((object_type, object_id), set()).add(row_id)

    def where(self) -> str:
        return f"(seed {self.seed}, case {self.case})"

    def refused(self, arg: str, call: Callable[[], Any], may_pass: bool = False) -> Any:
        """A call with the bad argument ``arg`` must raise a TypeError/ValueError naming it.

        With ``may_pass`` (a doubtful value, such as an empty name) success is
        allowed too; its result is returned.
        """
        try:
            result = call()
        except (TypeError, ValueError) as exc:
            assert arg in str(exc), f"{type(exc).__name__} does not name {arg!r}: {exc} " \
                                    f"{self.where()}"
            return None
        assert may_pass, f"bad {arg} was accepted {self.where()}"
        return result

    def run(self, cases: int) -> None:
        ops = [self.op_log, self.op_span, self.op_traced, self.op_experiment, self.op_dataset,
               self.op_names]
        weights = [30, 30, 15, 15, 10, 3]
        for self.case in range(cases):
            op = self.g.r.choices(ops, weights)[0]
            op()
            if self.evals < 6 and self.g.chance(0.003):
                self.op_eval()
            elif self.g.chance(0.005):
                self.op_bad_eval()

    # -- operations ---------------------------------------------------------------

    def op_log(self) -> None:
        g = self.g
        fields = g.good_fields()
        if g.chance(0.2):
            arg, value = g.bad_field()
            fields[arg] = value
            self.refused(arg, lambda: self.logger.log(**fields))
            return
        if g.chance(0.2):
            fields["id"] = g.text() or "x"
        row_id = self.logger.log(**fields)
        self.expect("project_logs", self.logger.id, row_id)

    def op_span(self) -> None:
        g = self.g
        kwargs: dict[str, Any] = {}
        if g.chance(0.7):
            kwargs["name"] = g.text()
        if g.chance(0.5):
            kwargs["type"] = g.r.choice(sorted(braintrust.SPAN_TYPES))
        if g.chance(0.3):
            kwargs["span_attributes"] = g.mapping()
        if g.chance(0.3):
            kwargs["start_time"] = g.r.choice([0, 1.5, 1_700_000_000, 1.7e9 + g.r.random(),
                                               253_402_300_799])
        if g.chance(0.2):
            kwargs["event"] = g.good_fields()
        if self.exports and g.chance(0.1):
            kwargs["parent"] = g.r.choice(self.exports)
        if g.chance(0.2):
            arg, value = g.bad_span_arg()
            kwargs[arg] = value
            starts: list[Callable[..., Any]] = [braintrust.start_span, self.logger.start_span]
            start = g.r.choice(starts)
            self.refused(arg, lambda: start(**kwargs))
            return
        with self.logger.start_span(**kwargs) as span:
            self.expect("project_logs", self.logger.id, span.id)
            if g.chance(0.2):
                self.exports.append(span.export())
            for _ in range(g.r.randint(0, 2)):
                if g.chance(0.2):
                    arg, value = g.bad_field()
                    bad_log: dict[str, Any] = {arg: value}
                    self.refused(arg, functools.partial(span.log, **bad_log))
                else:
                    span.log(**g.good_fields())
            if g.chance(0.3):
                child = span.start_span(name=g.text(), type=g.r.choice(["llm", "tool", None]))
                child.log(**g.good_fields())
                self.expect("project_logs", self.logger.id, child.id)
                if g.chance(0.3):
                    bad: Any = g.r.choice([math.nan, 1.7e12, -1.0, HUGE, "later"])
                    self.refused("end_time", lambda: child.end(end_time=bad))
                child.end()
            if g.chance(0.2):
                arg, value = g.r.choice([("name", 5), ("type", ["llm"]), ("type", "nope"),
                                         ("span_attributes", [1])])
                attrs: dict[str, Any] = {arg: value}
                self.refused(arg, lambda: span.set_attributes(**attrs))
            elif g.chance(0.2):
                span.set_attributes(name=g.text(), type="tool", span_attributes=g.mapping())
        if g.chance(0.02):
            span.log(output=g.value(secret=True))  # after end: a merge row

    def op_traced(self) -> None:
        g = self.g
        options: dict[str, Any] = {}
        if g.chance(0.3):
            options["name"] = g.text()
        if g.chance(0.2):
            options["type"] = g.r.choice(["function", "tool", "llm"])
        if g.chance(0.15):
            arg, value = g.r.choice([("name", 5), ("type", ["x"]), ("type", "nope"),
                                     ("span_attributes", "a"), ("span_attributes", {1: 2})])
            options[arg] = value
            self.refused(arg, lambda: braintrust.traced(**options))
            return
        result = g.value(secret=True)
        boom = RuntimeError(f"user error {g.text(secret=True)}") if g.chance(0.2) else None
        seen: list[str] = []

        def work(a: Any, b: Any = None, *rest: Any, **kw: Any) -> Any:
            seen.append(braintrust.current_span().id)
            if boom is not None:
                raise boom
            return result

        fn = braintrust.traced(**options)(work) if options else braintrust.traced(work)
        args = [g.value(secret=True) for _ in range(g.r.randint(1, 3))]
        try:
            with self.logger.start_span(name="traced-root") as root:
                self.expect("project_logs", self.logger.id, root.id)
                out = fn(*args, key=g.value(secret=True))
            assert out is result, f"traced changed the return value {self.where()}"
            assert boom is None, f"the user's exception vanished {self.where()}"
        except RuntimeError as exc:
            assert exc is boom, f"traced changed the user's exception: {exc!r} {self.where()}"
        self.expect("project_logs", self.logger.id, seen[0])

    def op_experiment(self) -> None:
        g = self.g
        fields = g.good_fields()
        if g.chance(0.15):
            arg, value = g.bad_field()
            fields[arg] = value
            self.refused(arg, lambda: self.experiment.log(**fields))
            return
        row_id = self.experiment.log(**fields)
        self.expect("experiment", self.experiment.id, row_id)
        if g.chance(0.3):
            if g.chance(0.2):
                arg, value = g.r.choice([("id", 5), ("id", ""), ("scores", [1]),
                                         ("scores", {"s": "high"}), ("scores", 3),
                                         ("tags", "t"), ("metadata", [1]),
                                         ("comment", 5), ("source", ["x"])])
                kwargs: dict[str, Any] = {"id": row_id, arg: value}
                self.refused(arg, lambda: self.experiment.log_feedback(**kwargs))
            else:
                self.experiment.log_feedback(
                    id=row_id, scores={g.key(secret=True): g.r.choice([0, 1, None])},
                    expected=g.value(secret=True), tags=[g.text(secret=True)],
                    comment=g.text(secret=True), metadata=g.mapping(secret=True))

    def op_dataset(self) -> None:
        g = self.g
        kwargs: dict[str, Any] = {"input": g.value(secret=True), "expected": g.value(secret=True)}
        if g.chance(0.4):
            kwargs["metadata"] = g.mapping(secret=True)
        if g.chance(0.3):
            kwargs["tags"] = [g.text(secret=True) for _ in range(2)]
        if g.chance(0.15):
            arg, value = g.r.choice([("metadata", "m"), ("metadata", [1]), ("tags", "t"),
                                     ("tags", [1]), ("id", 5), ("id", [1])])
            kwargs[arg] = value
            self.refused(arg, lambda: self.dataset.insert(**kwargs))
            return
        row_id = self.dataset.insert(**kwargs)
        self.expect("dataset", self.dataset.id, row_id)

    def op_names(self) -> None:
        """Project, experiment and dataset names: any text UTF-8 can encode is a name."""
        g = self.g
        name = g.text()[:100]
        makers: list[tuple[str, Callable[[], Any]]] = [

            ("project", lambda: braintrust.init_logger(project=name, set_current=False)),
            ("project", lambda: braintrust.init(project=name, experiment="e")),
            ("experiment", lambda: braintrust.init(project="fuzz", experiment=name)),
            ("project", lambda: braintrust.init_dataset(project=name, name="d")),
            ("name", lambda: braintrust.init_dataset(project="fuzz", name=name)),
        ]
        arg, make = g.r.choice(makers)
        if not _encodable(name) or not name:
            target = self.refused(arg, make, may_pass=not name)
        else:
            target = make()
        if target is None:
            return
        if isinstance(target, braintrust.Dataset):
            self.expect("dataset", target.id, target.insert(input=g.value()))
            target.flush()
        elif isinstance(target, braintrust.Experiment):
            self.expect("experiment", target.id, target.log(input=g.value()))
        else:
            self.expect("project_logs", target.id, target.log(input=g.value(secret=True)))

    def op_bad_eval(self) -> None:
        g = self.g
        arg, value = g.r.choice([
            ("name", 5), ("name", "bad \ud800"), ("scores", 5), ("scores", "exact"),
            ("trial_count", "2"), ("trial_count", 0), ("max_concurrency", 1.5),
            ("timeout", -1), ("timeout", math.nan), ("experiment_name", ["x"]),
            ("task", "not callable"), ("scores", [5]),
        ])
        kwargs: dict[str, Any] = {"name": "fuzz-bad-eval", "data": [{"input": 1}],
                                  "task": lambda input: input, "scores": [], "quiet": True}
        kwargs[arg] = value
        self.refused(arg if arg != "scores" or value != [5] else "scorer",
                     lambda: braintrust.Eval(**kwargs))

    def op_eval(self) -> None:
        g = self.g
        self.evals += 1
        data = [{"input": g.value(secret=True), "expected": g.value(secret=True),
                 "metadata": g.mapping(secret=True)} for _ in range(g.r.randint(1, 4))]
        # Cases run on threads in any order: draw every random choice now, so
        # the run stays reproducible.
        outputs = [g.r.choice([g.value(secret=True), None, ValueError(f"failed {SECRET}")])
                   for _ in data]
        score = g.r.choice([0, 1, 0.5, None, True, {"name": "s2", "score": 1}])

        def task(input: Any) -> Any:
            found = next((o for d, o in zip(data, outputs) if d["input"] is input), None)
            if isinstance(found, Exception):
                raise found
            return input if found is None else found

        def scorer(output: Any, expected: Any) -> Any:
            return score

        result = braintrust.Eval("fuzz-eval", data=data, task=task, scores=[scorer],
                                 quiet=True)
        assert len(result.results) == len(data), self.where()


@pytest.fixture
def fuzz_store(store: StoreHelper) -> Iterator[StoreHelper]:
    _masking.set_masking_function(_masking_function)
    yield store
    _masking.set_masking_function(None)


def test_fuzz_the_public_api(fuzz_store: StoreHelper) -> None:
    fuzz = Fuzz(SEED)
    fuzz.run(CASES)
    fuzz.dataset.flush()  # dataset writes are buffered until their own flush
    assert braintrust.flush() is True
    store = fuzz_store.store
    missing: dict[tuple[str, str], set[str]] = {}
    for (object_type, object_id), ids in fuzz.expected.items():
        stored = {r.data["id"] for r in store.rows(object_type, object_id)}
        lost = {i for i in ids if i not in stored and _repaired(i) not in stored}
        if lost:
            missing[(object_type, object_id)] = lost
    assert not missing, f"rows not stored (seed {SEED}): {missing}"
    assert sum(len(ids) for ids in fuzz.expected.values()) > CASES // 2
    counts = diagnostics.counts()
    assert "dropped" not in counts and "rejected" not in counts, counts
    conn = sqlite3.connect(str(fuzz_store.path))
    try:
        leaked = conn.execute("SELECT count(*) FROM rows WHERE instr(data, ?) > 0",
                              (SECRET,)).fetchone()[0]
    finally:
        conn.close()
    assert leaked == 0, f"{leaked} stored rows hold the unmasked secret (seed {SEED})"
    _state.current_logger = None


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _repaired(row_id: str) -> str:
    from braintrust_otel.serialize import repair

    return repair(row_id)[0]


def test_the_fuzz_is_reproducible() -> None:
    a, b = Gen(random.Random(SEED)), Gen(random.Random(SEED))
    assert [repr(a.text()) for _ in range(50)] == [repr(b.text()) for _ in range(50)]
