"""What `braintrust push push_code.py` loads: a Python tool and a prompt in one project.

A code function makes the official CLI upload a bundle (POST /function/code,
then a PUT of the zip) before /insert-functions.
"""
from push_code_helper import total
from pydantic import BaseModel

import braintrust


class Pair(BaseModel):
    a: int
    b: int


project = braintrust.projects.create(name="sdk-push-code")


def add(a: int, b: int) -> int:
    return total(a, b)


project.tools.create(handler=add, name="Add", slug="add", description="adds two numbers",
                     parameters=Pair)
project.prompts.create(name="Hi", slug="hi", model="gpt-4o-mini",
                       messages=[{"role": "user", "content": "hi {{name}}"}])
