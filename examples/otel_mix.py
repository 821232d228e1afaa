"""Mixing with an existing OpenTelemetry setup.

The app sets its own TracerProvider (with its own exporter) first;
braintrust attaches to it instead of replacing it. Spans from any OTel
instrumentation inside a Braintrust span land in the same trace.
"""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

provider = TracerProvider()
memory = InMemorySpanExporter()  # stands in for your OTLP exporter to a collector
provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(provider)

import braintrust  # noqa: E402

braintrust.init_logger(project="examples")
tracer = trace.get_tracer("my.app")

with braintrust.start_span(name="chat turn", type="task") as turn:
    turn.log(input="hello")
    with tracer.start_as_current_span("database lookup") as db:
        db.set_attribute("db.system", "sqlite")
    turn.log(output="hi!")

braintrust.flush()
print("your exporter saw:", sorted(s.name for s in memory.get_finished_spans()))
