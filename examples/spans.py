"""start_span as a context manager and as a plain call, with span.log and children."""

import braintrust

logger = braintrust.init_logger(project="examples")

with logger.start_span(name="pipeline", type="task") as root:
    root.log(input={"query": "weather in Paris"})
    with root.start_span(name="lookup", type="tool") as tool:
        tool.log(input={"city": "Paris"}, output={"temp_c": 18})
    root.log(output="It is 18°C in Paris.", metadata={"units": "metric"})

# Without `with`, the span is not made current; end it yourself.
span = logger.start_span(name="manual")
span.log(input="started by hand", output="ended by hand")
span.end()

braintrust.flush()
print("logged", root.id, "and", span.id)
