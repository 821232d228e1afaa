"""Any span, whatever its convention: defaults, errors, leftover attributes, caller location."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import Event
from opentelemetry.trace import Status, StatusCode

from ._cases import ABSENT, Case, check, table

_EXC = Event("exception", {"exception.type": "ValueError", "exception.message": "bad",
                           "exception.stacktrace": "Traceback...\nValueError: bad\n"})

CASES = {
    "root_with_exception_event": Case(
        attrs={"code.line.number": 3, "db.system": "sqlite"}, parent=False, events=(_EXC,),
        status=Status(StatusCode.ERROR, "bad"),
        expected={"error": "Traceback...\nValueError: bad",
                  "span_attributes": {"name": "op", "type": "task"},
                  "span_parents": None,
                  "metadata": {"db.system": "sqlite"},
                  "context.caller_lineno": 3,
                  "_parent": None}),
    "error_from_status_without_event": Case(
        attrs={}, status=Status(StatusCode.ERROR, "timeout"),
        expected={"error": "timeout", "span_attributes": {"name": "op", "type": "function"},
                  "metadata": ABSENT}),
    "child_defaults_to_function": Case(
        attrs={}, expected={"span_attributes": {"name": "op", "type": "function"},
                            "error": ABSENT}),
    "null_type_stays_untyped": Case(
        attrs={"braintrust.span_attributes": '{"type": null}'},
        expected={"span_attributes": {"name": "op"}}),
    "root_defaults_to_task": Case(
        attrs={}, parent=False,
        expected={"span_attributes": {"name": "op", "type": "task"}, "span_parents": None}),
    "ok_status_is_no_error": Case(
        attrs={}, status=Status(StatusCode.OK), expected={"error": ABSENT}),
}


@pytest.mark.parametrize("case", table(CASES))
def test_generic_span(case: Case) -> None:
    check(case)
