"""An evaluation: data, a task, scorers (plain functions and autoevals).

Run it directly (`python examples/eval_basic.py`) or with the CLI
(`braintrust eval examples/eval_basic.py`). Each run is a new experiment,
compared with the project's previous one.
"""

from autoevals import Levenshtein

import braintrust


def greet(name: str) -> str:
    return "Hi " + name


def exact_match(output: str, expected: str) -> bool:
    return output == expected


braintrust.Eval(
    "Say Hi Bot",
    data=lambda: [
        {"input": "Foo", "expected": "Hi Foo"},
        {"input": "Bar", "expected": "Hello Bar"},
    ],
    task=greet,
    scores=[exact_match, Levenshtein],
    metadata={"model": "none: a plain function"},
)
