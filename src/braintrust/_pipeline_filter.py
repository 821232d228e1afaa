"""The SQL filter of a dataset pipeline's source, evaluated on stored rows (pure).

A subset of Braintrust's SQL ``WHERE`` syntax: field paths (``metadata.flagged``,
``scores.accuracy``, ``span_attributes.type``, ``metadata."odd key"``,
``input[0]``), string, number, boolean and null literals, comparisons
(``= == != <> < <= > >=``), ``IS [NOT] NULL``, ``[NOT] LIKE`` / ``ILIKE``,
``[NOT] IN (...)``, ``AND`` / ``OR`` / ``NOT`` and parentheses. Anything else
is a ``ValueError`` naming what is not understood, never a wrong answer.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["compile_filter"]

Predicate = Callable[[Mapping[str, Any]], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<qid>"(?:[^"]|"")*"|`[^`]*`)
    | (?P<op><=|>=|<>|!=|==|=|<|>|\(|\)|\[|\]|,|\.)
    | (?P<word>[A-Za-z_][A-Za-z_0-9]*)
    )""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "is", "null", "true", "false", "like", "ilike", "in"}
_MISSING = object()
_ORDER: dict[str, Callable[[Any, Any], Any]] = {"<": operator.lt, "<=": operator.le,
                                                 ">": operator.gt, ">=": operator.ge}


def _tokens(text: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"source filter: cannot read {text[pos:pos + 20]!r} "
                             f"(at character {pos})")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind or "")
        if kind == "num":
            found.append(("lit", float(value) if any(c in value for c in ".eE") else int(value)))
        elif kind == "str":
            found.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "qid":
            found.append(("id", value[1:-1].replace('""', '"')))
        elif kind == "word" and value.lower() in _KEYWORDS:
            word = value.lower()
            if word in ("true", "false", "null"):
                found.append(("lit", {"true": True, "false": False, "null": None}[word]))
            else:
                found.append(("kw", word))
        elif kind == "word":
            found.append(("id", value))
        else:
            found.append(("op", value))
    return found


def _lookup(row: Any, path: list[Any]) -> Any:
    for part in path:
        if isinstance(row, Mapping) and isinstance(part, str):
            row = row.get(part, _MISSING)
        elif isinstance(row, list) and isinstance(part, int) and -len(row) <= part < len(row):
            row = row[part]
        else:
            return None
        if row is _MISSING:
            return None
    return row


def _like(value: Any, pattern: Any, ignore_case: bool) -> bool:
    if not isinstance(value, str) or not isinstance(pattern, str):
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case
                        else re.DOTALL) is not None


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        return False  # SQL: a comparison with null is not true
    if op in ("=", "=="):
        return bool(left == right)
    if op in ("!=", "<>"):
        return bool(left != right)
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool) or not (
            (isinstance(left, numbers) and isinstance(right, numbers))
            or (isinstance(left, str) and isinstance(right, str))):
        return False
    return bool(_ORDER[op](left, right))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, kind: str | None = None, value: Any = None) -> bool:
        if self.i >= len(self.toks):
            return False
        k, v = self.toks[self.i]
        return (kind is None or k == kind) and (value is None or v == value)

    def take(self, kind: str, value: Any = None) -> Any:
        if not self.peek(kind, value):
            got = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
            raise ValueError(f"source filter {self.text!r}: expected {value or kind}, "
                             f"got {got!r}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def parse(self) -> Predicate:
        pred = self.or_()
        if self.i != len(self.toks):
            raise ValueError(f"source filter {self.text!r}: unexpected "
                             f"{self.toks[self.i][1]!r}")
        return pred

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.peek("kw", "or"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while self.peek("kw", "and"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def not_(self) -> Predicate:
        if self.peek("kw", "not"):
            self.i += 1
            inner = self.not_()
            return lambda r: not inner(r)
        return self.test()

    def operand(self) -> Callable[[Mapping[str, Any]], Any]:
        if self.peek("lit"):
            value = self.take("lit")
            return lambda r: value
        if self.peek("id"):
            path: list[Any] = [self.take("id")]
            while self.peek("op", ".") or self.peek("op", "["):
                if self.take("op") == ".":
                    path.append(self.take("id"))
                else:
                    path.append(self.take("lit"))
                    self.take("op", "]")
            return lambda r: _lookup(r, path)
        got = self.toks[self.i][1] if self.i < len(self.toks) else "the end"
        raise ValueError(f"source filter {self.text!r}: expected a field or a value, "
                         f"got {got!r}")

    def test(self) -> Predicate:
        if self.peek("op", "("):
            self.i += 1
            inner = self.or_()
            self.take("op", ")")
            return inner
        left = self.operand()
        if self.peek("op") and self.toks[self.i][1] in ("=", "==", "!=", "<>", "<", "<=",
                                                          ">", ">="):
            op = self.take("op")
            right = self.operand()
            return lambda r: _compare(left(r), op, right(r))
        if self.peek("kw", "is"):
            self.i += 1
            negate = self.peek("kw", "not")
            if negate:
                self.i += 1
            self.take("lit", None) if self.peek("lit", None) else self.take("kw", "null")
            return lambda r: (left(r) is None) != negate
        negate = False
        if self.peek("kw", "not"):
            self.i += 1
            negate = True
        if self.peek("kw", "like") or self.peek("kw", "ilike"):
            ignore = self.take("kw") == "ilike"
            pattern = self.operand()
            return lambda r: _like(left(r), pattern(r), ignore) != negate
        if self.peek("kw", "in"):
            self.i += 1
            self.take("op", "(")
            options = [self.operand()]
            while self.peek("op", ","):
                self.i += 1
                options.append(self.operand())
            self.take("op", ")")
            return lambda r: (left(r) is not None
                              and any(left(r) == o(r) for o in options)) != negate
        if negate:
            raise ValueError(f"source filter {self.text!r}: NOT must come before LIKE or IN")
        return lambda r: bool(left(r))


def compile_filter(text: str | None) -> Predicate:
    """A predicate over rows for the filter ``text`` (None or empty: every row).

    Raises:
        ValueError: On syntax this subset does not understand, naming it.
    """
    if text is None or not text.strip():
        return lambda row: True
    if not isinstance(text, str):
        raise TypeError("source filter must be a str")
    return _Parser(text).parse()
