"""invoke() a stored prompt (plain and streamed, under a span) and init_function in an Eval."""
import json

import braintrust

plain = braintrust.invoke(project_name="sdk-invoke", slug="greet", input={"name": "Ann"})
streamed = braintrust.invoke(project_name="sdk-invoke", slug="greet", input={"name": "Bo"},
                             stream=True).final_value()
logger = braintrust.init_logger(project="sdk-invoke")
with logger.start_span(name="caller") as span:
    under_span = braintrust.invoke(project_name="sdk-invoke", slug="greet",
                                   input={"name": "Cy"}, parent=span)
logger.flush()
result = braintrust.Eval("sdk-invoke", data=[{"input": {"name": "Di"}, "expected": "x"}],
                         task=braintrust.init_function("sdk-invoke", "greet"),
                         scores=[lambda output, expected: float(bool(output))],
                         experiment_name="remote-task")
print("RESULT " + json.dumps({"plain": plain, "streamed": streamed, "under_span": under_span,
                              "eval_output": result.results[0].output,
                              "eval_error": str(result.results[0].error or "")}))
