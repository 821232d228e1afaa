"""`braintrust push` of a small functions file, for the tests of pushing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: A code tool and a prompt that uses it, as a file to push.
PUSHED = '''
import braintrust
from pydantic import BaseModel


class Args(BaseModel):
    a: int
    b: int


project = braintrust.projects.create("pushed")


def multiply(a: int, b: int) -> int:
    return a * b


tool = project.tools.create(handler=multiply, parameters=Args, returns=None)
project.prompts.create(name="Calc", model="gpt-4o", tools=[tool],
                       messages=[{"role": "user", "content": "{{a}} times {{b}}?"}])
project.publish()  # does nothing under `braintrust push`
'''


def push(tmp_path: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    """Runs this package's ``braintrust push`` of :data:`PUSHED` in ``tmp_path``.

    With no ``env``, it pushes to the store file ``s.sqlite`` there (no API key).
    """
    (tmp_path / "functions.py").write_text(PUSHED)
    full = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(tmp_path / "s.sqlite"), **(env or {}))
    if not env:
        full.pop("BRAINTRUST_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "braintrust", "push", "functions.py", *args],
                          capture_output=True, text=True, env=full, cwd=str(tmp_path),
                          timeout=120)
