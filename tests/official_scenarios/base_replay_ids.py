"""Eval over BaseExperiment() with the SDK's default (OpenTelemetry-shaped) ids.

The official SDK picks the base's cases as fetched rows whose span_id equals
their root_span_id; with default ids a root span's span_id is its own 16 hex
digits, so the server's experiment fetch names each root span by its trace.
"""
import json

import braintrust

data = [{"input": "a", "expected": "A"}, {"input": "b", "expected": "B"}]
braintrust.Eval("sdk-replay-ids", data=data, task=lambda s: s.upper(), scores=[],
                experiment_name="base")
replay = braintrust.Eval("sdk-replay-ids", data=braintrust.BaseExperiment(),
                         task=lambda s: s + "!", scores=[], experiment_name="replay")
fetched = list(braintrust.init(project="sdk-replay-ids", experiment="base", open=True).fetch())
spans = {r["span_id"] for r in fetched}
print("RESULT " + json.dumps({
    "replayed": sorted([r.input, r.output, r.expected] for r in replay.results),
    "comparison": replay.summary.comparison_experiment_name,
    "parents_known": all(p in spans for r in fetched for p in (r.get("span_parents") or [])),
    "roots": sorted(r["input"] for r in fetched if r["span_id"] == r["root_span_id"])}))
