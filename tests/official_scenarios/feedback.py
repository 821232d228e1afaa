"""log_feedback and update_span on a logger and an experiment."""
import json

import braintrust

logger = braintrust.init_logger(project="sdk-feedback")
span = logger.start_span(name="answer", input="q")
span.log(output="a")
span.end()
logger.log_feedback(id=span.id, scores={"correct": 1}, comment="good", metadata={"by": "me"})
logger.update_span(id=span.id, output="edited")
exported = logger.start_span(name="later")
exported.end()
braintrust.update_span(exported.export(), metadata={"k": "v"})
logger.flush()
exp = braintrust.init(project="sdk-feedback", experiment="fb")
row_id = exp.log(input=1, output=2, scores={"s": 0})
exp.log_feedback(id=row_id, scores={"s": 1}, expected=3)
exp.flush()
print("RESULT " + json.dumps({"span_id": span.id, "later_id": exported.id,
                              "exp_id": exp.id, "row_id": row_id}))
