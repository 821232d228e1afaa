"""The official Braintrust SDK, in a virtualenv of its own (both import as ``braintrust``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.48.1"
VENV = ROOT / ".venv-official"


def official_python() -> Path:
    """The official SDK's interpreter, creating the virtualenv on first use.

    Raises:
        RuntimeError: When it cannot be installed (no package index reachable).
    """
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if subprocess.run([str(python), "-c", "import braintrust, openai"],
                      capture_output=True).returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                               f"braintrust=={VERSION}", "openai==3.57.0"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot install braintrust=={VERSION}: {done.stderr[-500:]}")
    return python
