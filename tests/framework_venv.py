"""Virtualenvs of their own for frameworks whose pins clash with the dev set.

LlamaIndex's OpenAI integration needs ``openai<3`` while the dev set pins a
newer client, so its tests run a script in ``.venv-<name>`` (this package
installed editable plus the framework's pinned packages) and read the rows
it wrote to a store file.

The venvs are built with uv (a dev dependency) where it is installed: a fresh
clone builds about a dozen of them, which took pip most of the suite's time.
Without uv, pip builds them as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Optional

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
    # An existing venv is updated in place: its own Python stands for the base.
    interpreter = (str(python) if python.exists() else
                   sys.executable if base is None else _find_python(base))
    done = install(venv, interpreter, ["-e", str(ROOT), *packages], find_uv())
    if done.returncode != 0:
        raise RuntimeError(f"cannot install {' '.join(packages)}: {done.stderr[-800:]}")
    stamp.write_text(wanted)
    return python


def find_uv() -> Optional[str]:
    """The uv command beside this interpreter (the dev extra installs it), else on PATH."""
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def install(venv: Path, interpreter: str, args: list[str],
            uv: Optional[str]) -> subprocess.CompletedProcess[str]:
    """Installs ``args`` (requirements and installer options) into ``venv``, creating it
    with ``interpreter`` first when it has none.

    Args:
        uv: The uv command to build with; None: ``venv`` and pip.

    Returns:
        The install command's completed process (its output captured).
    """
    python = venv / "bin" / "python"
    if uv is not None:
        # Never a download of a Python: the interpreter is given.
        env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")
        if not python.exists():
            # --seed: pip (and setuptools) as in a venv made by `venv`, for code that
            # runs the venv's pip, and for pip to update the venv where uv went missing.
            subprocess.run([uv, "venv", "--quiet", "--clear", "--seed", "--python",
                            interpreter, str(venv)], check=True, env=env)
        return subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python),
                               *args], capture_output=True, text=True, env=env)
    if not python.exists():
        subprocess.run([interpreter, "-m", "venv", "--clear", str(venv)], check=True)
    return subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args],
                          capture_output=True, text=True)


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
