"""set_masking_function: redact values before they are recorded anywhere."""

import re

import braintrust

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def redact(value):
    if isinstance(value, str):
        return EMAIL.sub("<email>", value)
    if isinstance(value, dict):
        return {k: ("<hidden>" if k == "api_key" else redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


braintrust.set_masking_function(redact)
logger = braintrust.init_logger(project="examples")
logger.log(input={"user": "ann@example.com", "api_key": "sk-123"}, output="mailed ann@example.com")
braintrust.flush()
braintrust.set_masking_function(None)  # turn masking off again
print("logged a masked row")
