"""Log rows with init_logger + logger.log, then flush before exit."""

import braintrust

logger = braintrust.init_logger(project="examples")

for question, answer in [("1+1", "2"), ("2+2", "4")]:
    row_id = logger.log(
        input={"question": question},
        output={"answer": answer},
        expected={"answer": answer},
        scores={"correct": 1},
        metadata={"source": "log_and_flush.py"},
        tags=["arithmetic"],
    )
    print("logged", row_id)

# Spans are delivered in the background; flush() waits until they are stored.
braintrust.flush()
