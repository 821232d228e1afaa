"""init_experiment: log evaluated rows yourself, add feedback, and summarize."""

import braintrust

experiment = braintrust.init(project="examples", experiment="by-hand")
for question, answer, expected in [("1+1", "2", "2"), ("2+2", "5", "4")]:
    row_id = experiment.log(input=question, output=answer, expected=expected,
                            scores={"correct": 1.0 if answer == expected else 0.0})
experiment.log_feedback(row_id, scores={"reviewed": 1.0}, comment="checked by a person")
print(experiment.summarize())
