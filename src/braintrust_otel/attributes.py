"""Names of the span attributes that carry Braintrust row fields.

The names are the ones Braintrust's own OTLP ingestion reads, so a span
written by the facade lands the same way whether it reaches Braintrust
through our exporter or through a stock OTLP exporter.
"""

from __future__ import annotations

#: ``project_id:<id>``, ``project_name:<name>`` or ``experiment_id:<id>``.
PARENT = "braintrust.parent"
INPUT = "braintrust.input_json"
OUTPUT = "braintrust.output_json"
EXPECTED = "braintrust.expected"
ERROR = "braintrust.error"
METADATA = "braintrust.metadata"
SCORES = "braintrust.scores"
METRICS = "braintrust.metrics"
TAGS = "braintrust.tags"
SPAN_ATTRIBUTES = "braintrust.span_attributes"
ORIGIN = "braintrust.origin"
#: An eval case's classifier results (``{name: [{id, label?, metadata?}]}``).
CLASSIFICATIONS = "braintrust.classifications"
#: JSON merged into the row's ``context`` (for example ``span_origin``).
CONTEXT = "braintrust.context_json"
#: The row id, when the user chose one; otherwise it is derived from the span ids.
ROW_ID = "braintrust.row_id"
#: Row ids a user chose (``logger.start_span(span_id=, root_span_id=)``) in place of the
#: OTel ids, and the parent list that follows from them for the span's children (JSON).
SPAN_ID = "braintrust.span_id"
ROOT_SPAN_ID = "braintrust.root_span_id"
SPAN_PARENTS = "braintrust.span_parents"

#: Braintrust attributes whose value is a JSON document.
JSON_FIELDS = {
    INPUT: "input",
    OUTPUT: "output",
    EXPECTED: "expected",
    ERROR: "error",
    METADATA: "metadata",
    SCORES: "scores",
    METRICS: "metrics",
    SPAN_ATTRIBUTES: "span_attributes",
    ORIGIN: "origin",
    CLASSIFICATIONS: "classifications",
}

# OTel semantic conventions for the caller's source location.
CODE_FILE = "code.file.path"
CODE_FUNCTION = "code.function.name"
CODE_LINE = "code.line.number"

#: Context key under which a parent object string travels with the OTel context.
PARENT_CONTEXT_KEY = PARENT

PREFIX = "braintrust."

#: The instrumentation scope of spans made by the ``braintrust`` facade. Its
#: spans carry exactly the type they were given (a child without one has none,
#: as in the official SDK); other instrumentation's children are ``function``.
FACADE_SCOPE = "braintrust"
#: ``context.span_origin`` of rows the facade makes, as the official Python SDK names
#: its own (``name``; ``instrumentation.name`` unless an integration gives another).
SDK_ORIGIN_NAME = "braintrust.sdk.python"
FACADE_INSTRUMENTATION = "braintrust-python-logger"
#: Instrumentation scopes of this package's own instrumentors start with this.
OWN_SCOPE_PREFIX = "braintrust_otel."
