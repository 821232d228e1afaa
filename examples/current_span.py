"""current_logger() and current_span(): log to whatever is active, from anywhere."""

import braintrust

logger = braintrust.init_logger(project="examples")
assert braintrust.current_logger() is logger


def helper() -> None:
    # Works whether or not a span is active: with none, it is a no-op span.
    braintrust.current_span().log(metadata={"helper_ran": True})


helper()  # no active span: nothing is logged, nothing breaks

with braintrust.start_span(name="request") as span:
    helper()
    assert braintrust.current_span() is span

braintrust.flush()
print("logged", span.id)
