"""Quickstart: trace a small app, evaluate it, then print what was logged.

Run it with `make demo` (or `python examples/quickstart.py`). With no
BRAINTRUST_API_KEY set, everything goes to the embedded local store.
"""

import subprocess
import sys

import braintrust

logger = braintrust.init_logger(project="quickstart")


@braintrust.traced
def retrieve(question: str) -> list[str]:
    """Pretend retrieval step."""
    return [f"doc about {word}" for word in question.split()[:2]]


@braintrust.traced(name="generate", type="llm")
def generate(question: str, docs: list[str]) -> str:
    """Pretend LLM call; records token metrics on its span."""
    braintrust.current_span().log(metrics={"prompt_tokens": 12, "completion_tokens": 5,
                                           "tokens": 17},
                                  metadata={"model": "fake-model"})
    return f"Based on {len(docs)} documents: 42."


def answer(question: str) -> str:
    # braintrust.start_span nests under whatever is current: here a new trace in
    # the logger's project; inside the Eval below, the case's task span.
    with braintrust.start_span(name="answer", type="task") as span:
        span.log(input={"question": question})
        docs = retrieve(question)
        reply = generate(question, docs)
        span.log(output=reply, scores={"helpful": 1.0}, tags=["demo"])
        return reply


print(answer("What is six times seven?"))
row_id = logger.log(input="a standalone row", output="logged with logger.log",
                    metadata={"source": "quickstart"})
print(f"logger.log wrote row {row_id}")
braintrust.flush()

# Show the stored traces as trees, exactly as `braintrust logs` does.
subprocess.run([sys.executable, "-m", "braintrust", "logs", "--project", "quickstart",
                "--limit", "2"], check=True)


# Evaluate the app: every case is a trace in an experiment, scored by each scorer.
def mentions_42(output: str) -> bool:
    return "42" in output


def is_short(output: str) -> float:
    return 1.0 if len(output) < 30 else 0.5


braintrust.Eval(
    "quickstart",
    data=[{"input": "What is six times seven?"}, {"input": "And 40 plus 2?"}],
    task=answer,
    scores=[mentions_42, is_short],
)
