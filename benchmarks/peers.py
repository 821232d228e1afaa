"""Other tracing SDKs a user might pick instead, each in a virtualenv of its own.

Like the official SDK (tests/official_sdk.py), each is installed on first use
from the package index with its ordinary client, pinned, into
``.venv-<name>`` at the repository root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> (pinned requirement, module to import as a check)
PEERS = {
    "langfuse": ("langfuse==5.0.4", "langfuse"),
    "logfire": ("logfire==5.4.0", "logfire"),
}


def peer_python(name: str) -> Path:
    """The interpreter of the peer SDK ``name``, creating its virtualenv on first use.

    Raises:
        RuntimeError: When it cannot be installed (no package index reachable).
    """
    requirement, module = PEERS[name]
    venv = ROOT / f".venv-{name}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if subprocess.run([str(python), "-c", f"import {module}"],
                      capture_output=True).returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", requirement],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot install {requirement}: {done.stderr[-500:]}")
    return python
