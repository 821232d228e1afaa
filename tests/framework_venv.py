"""Virtualenvs of their own for frameworks whose pins clash with the dev set.

LlamaIndex's OpenAI integration needs ``openai<3`` while the dev set pins a
newer client, so its tests run a script in ``.venv-<name>`` (this package
installed editable plus the framework's pinned packages) and read the rows
it wrote to a store file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def framework_python(name: str, packages: list[str], base: str | None = None) -> Path:
    """The interpreter of ``.venv-<name>``, created or updated when ``packages`` change.

    Args:
        name: The venv's suffix.
        packages: Pip requirements besides this package.
        base: The Python to build the venv with (``python3.12``), found on PATH
            or among pyenv's versions; None: the running one.

    Raises:
        RuntimeError: When the packages cannot be installed (no package index),
            or ``base`` is not on this machine.
    """
    venv = ROOT / f".venv-{name}"
    python = venv / "bin" / "python"
    stamp = venv / ".packages"
    # This package's own requirements too: a new one must reach the venv as well.
    own = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = "\n".join(sorted(packages) + sorted(own))
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        interpreter = sys.executable if base is None else _find_python(base)
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT),
                           *packages], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot install {' '.join(packages)}: {done.stderr[-800:]}")
    stamp.write_text(wanted)
    return python


def _find_python(base: str) -> str:
    found = shutil.which(base)
    # A pyenv shim is on PATH for every installed version but fails unless that
    # version is selected, so it does not count as finding one.
    if found and "/shims/" not in found:
        return found
    version = base.removeprefix("python")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*"), reverse=True):
        if (candidate / "bin" / "python").exists():
            return str(candidate / "bin" / "python")
    raise RuntimeError(f"no {base} on this machine")


def run_script(python: Path, script: str, store: Path, env: dict[str, str]) -> dict[str, Any]:
    """Runs ``script`` with ``python``, rows going to the store file ``store``.

    Returns:
        The JSON object the script printed on its last line.
    """
    full_env = dict(os.environ, BRAINTRUST_LOCAL_STORE=str(store), **env)
    full_env.pop("BRAINTRUST_API_KEY", None)
    done = subprocess.run([str(python), "-c", textwrap.dedent(script)], capture_output=True,
                          text=True, env=full_env, timeout=240, cwd=str(ROOT))
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def ancestors(rows: list[dict[str, Any]], row: dict[str, Any]) -> list[str]:
    """The names of a row's ancestors, nearest first."""
    by_id = {r["span_id"]: r for r in rows}
    names = []
    while row["span_parents"]:
        row = by_id[row["span_parents"][0]]
        names.append(row["span_attributes"]["name"])
    return names
