"""Eval against a named base experiment; summarize with a comparison; fetch the base."""
import json

import braintrust

data = [{"input": "a", "expected": "A"}, {"input": "b", "expected": "B"}]
first = braintrust.Eval("sdk-base", data=data, task=lambda s: s.upper(),
                        scores=[lambda output, expected: float(output == expected)],
                        experiment_name="first")
second = braintrust.Eval("sdk-base", data=data, task=lambda s: s,
                         scores=[lambda output, expected: float(output == expected)],
                         experiment_name="second", base_experiment_name="first")
exp = braintrust.init(project="sdk-base", experiment="third", base_experiment="first")
exp.log(input="a", output="A", expected="A", scores={"<lambda>": 0.5})
summary = exp.summarize(comparison_experiment_id=first.summary.experiment_id)
base = exp.fetch_base_experiment()
print("RESULT " + json.dumps({
    "first": first.summary.experiment_id,
    "second_comparison": second.summary.comparison_experiment_name,
    "second_scores": {k: [v.score, v.diff, v.improvements, v.regressions]
                      for k, v in second.summary.scores.items()},
    "third_comparison": summary.comparison_experiment_name,
    "third_scores": {k: [v.score, v.diff] for k, v in summary.scores.items()},
    "base": [base.id, base.name] if base else None,
}))
