"""invoke() the Python tool push_code.py pushed, plain and under a span, and list it."""
import json

import braintrust

plain = braintrust.invoke(project_name="sdk-push-code", slug="add", input={"a": 2, "b": 3})
logger = braintrust.init_logger(project="sdk-push-code")
with logger.start_span(name="caller") as span:
    under_span = braintrust.invoke(project_name="sdk-push-code", slug="add",
                                   input={"a": 4, "b": 5}, parent=span)
logger.flush()
print("RESULT " + json.dumps({"plain": plain, "under_span": under_span}))
