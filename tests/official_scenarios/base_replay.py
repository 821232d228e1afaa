"""Eval over BaseExperiment(): the base is looked up on the server, its rows replayed.

The official SDK picks the base's cases as rows whose span_id equals their
root_span_id, which holds for its legacy (UUID) ids only, so this runs with them.
"""
import json
import os

os.environ["BRAINTRUST_LEGACY_IDS"] = "1"

import braintrust

data = [{"input": "a", "expected": "A"}, {"input": "b", "expected": "B"}]
braintrust.Eval("sdk-replay", data=data, task=lambda s: s.upper(), scores=[],
                experiment_name="base")
replay = braintrust.Eval("sdk-replay", data=braintrust.BaseExperiment(),
                         task=lambda s: s + "!", scores=[], experiment_name="replay")
print("RESULT " + json.dumps({
    "replayed": sorted([r.input, r.output, r.expected] for r in replay.results),
    "comparison": replay.summary.comparison_experiment_name}))
