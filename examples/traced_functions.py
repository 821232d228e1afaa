"""@traced as a bare decorator and with a name and a type, on sync and async code."""

import asyncio

import braintrust

braintrust.init_logger(project="examples")


@braintrust.traced
def tokenize(text: str) -> list[str]:
    return text.split()


@braintrust.traced(name="classify", type="llm")
def classify(tokens: list[str]) -> str:
    return "question" if tokens and tokens[-1].endswith("?") else "statement"


@braintrust.traced
async def handle(text: str) -> str:
    await asyncio.sleep(0)
    return classify(tokenize(text))


@braintrust.traced
def stream_words(text: str):  # generators are traced too; output = the yielded items
    yield from text.split()


print(asyncio.run(handle("is this traced?")))
print(list(stream_words("one two three")))
braintrust.flush()
