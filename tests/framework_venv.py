"""Virtualenvs of their own for frameworks whose pins clash with the dev set.

LlamaIndex's OpenAI integration needs ``openai<3`` while the dev set pins a
newer client, so its tests run a script in ``.venv-<name>`` (this package
installed editable plus the framework's pinned packages) and read the rows
it wrote to a store file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def framework_python(name: str, packages: list[str]) -> Path:
    """The interpreter of ``.venv-<name>``, created or updated when ``packages`` change.

    Raises:
        RuntimeError: When the packages cannot be installed (no package index).
    """
    venv = ROOT / f".venv-{name}"
    python = venv / "bin" / "python"
    stamp = venv / ".packages"
    wanted = "\n".join(sorted(packages))
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT),
                           *packages], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot install {' '.join(packages)}: {done.stderr[-800:]}")
    stamp.write_text(wanted)
    return python
