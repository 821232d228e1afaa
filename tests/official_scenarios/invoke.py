"""invoke() a stored prompt (plain and streamed, under a span) and init_function in an Eval."""
import json

import braintrust

plain = braintrust.invoke(project_name="sdk-invoke", slug="greet", input={"name": "Ann"})
streamed = braintrust.invoke(project_name="sdk-invoke", slug="greet", input={"name": "Bo"},
                             stream=True).final_value()
prompt = braintrust.load_prompt(project="sdk-invoke", slug="greet")
by_id = braintrust.invoke(function_id=prompt.id, version=prompt.version,
                          input={"name": "Ed"}, messages=[{"role": "user", "content": "more"}])
try:
    braintrust.invoke(project_name="sdk-invoke", slug="absent", input=1)
    missing = None
except Exception as exc:  # the SDK's HTTP error, carrying the server's message
    missing = str(exc)
logger = braintrust.init_logger(project="sdk-invoke")
with logger.start_span(name="caller") as span:
    under_span = braintrust.invoke(project_name="sdk-invoke", slug="greet",
                                   input={"name": "Cy"}, parent=span)
logger.flush()
result = braintrust.Eval("sdk-invoke", data=[{"input": {"name": "Di"}, "expected": "x"}],
                         task=braintrust.init_function("sdk-invoke", "greet"),
                         scores=[lambda output, expected: float(bool(output))],
                         experiment_name="remote-task")
print("RESULT " + json.dumps({"by_id": by_id, "missing": missing, "span_id": span.id,
                              "plain": plain, "streamed": streamed, "under_span": under_span,
                              "eval_output": result.results[0].output,
                              "eval_error": str(result.results[0].error or "")}))
