"""The official Braintrust SDK, in a virtualenv of its own (both import as ``braintrust``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.framework_venv import find_uv, install

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.48.1"
VENV = ROOT / ".venv-official"


def official_python() -> Path:
    """The official SDK's interpreter, creating the virtualenv on first use.

    Raises:
        RuntimeError: When it cannot be installed (no package index reachable).
    """
    python = VENV / "bin" / "python"
    if not python.exists() or subprocess.run([str(python), "-c", "import braintrust, openai"],
                                             capture_output=True).returncode != 0:
        done = install(VENV, sys.executable, [f"braintrust=={VERSION}", "openai==3.57.0"],
                       find_uv())
        if done.returncode != 0:
            raise RuntimeError(f"cannot install braintrust=={VERSION}: {done.stderr[-500:]}")
    return python


#: What the official `braintrust push` puts in a code bundle, at the versions its
#: virtualenv has (it pins them from there); fetched once into WHEELHOUSE.
BUNDLED = ("pydantic", "braintrust", "autoevals", "requests", "openai")
WHEELHOUSE = VENV / "wheelhouse"


def official_cli_env() -> dict[str, str]:
    """Environment for the official CLI's ``push`` of code functions, without a network.

    Its push needs the ``uv`` package (the ``cli`` extra) and installs the bundled
    packages with ``uv pip install``; they are downloaded once into a wheelhouse
    beside the virtualenv, and uv is pointed at it with no index, so a test's
    push reads no network.

    Raises:
        RuntimeError: When uv, autoevals or the wheels cannot be installed.
    """
    python = official_python()
    if subprocess.run([str(python), "-c", "import uv, autoevals"],
                      capture_output=True).returncode != 0:
        done = install(VENV, sys.executable, ["uv", "autoevals"], find_uv())
        if done.returncode != 0:
            raise RuntimeError(f"cannot install uv for the official CLI: {done.stderr[-500:]}")
    if not (WHEELHOUSE / ".complete").exists():
        pins = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(' '.join("
             f"f'{{p}}=={{m.version(p)}}' for p in {BUNDLED!r}))"],
            capture_output=True, text=True, check=True).stdout.split()
        done = subprocess.run([str(python), "-m", "pip", "download", "--quiet",
                               "--only-binary=:all:", "-d", str(WHEELHOUSE), *pins],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"cannot download the bundled wheels: {done.stderr[-500:]}")
        (WHEELHOUSE / ".complete").touch()
    # The CLI runs the `uv` command, found on PATH as in an activated virtualenv.
    return {"UV_NO_INDEX": "1", "UV_FIND_LINKS": str(WHEELHOUSE),
            "UV_CACHE_DIR": str(VENV / "uv-cache"),
            "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def official_python_with(name: str, packages: list[str]) -> Path:
    """The official SDK's interpreter with a framework beside it, in ``.venv-official-<name>``.

    A framework's dependencies (OTel, protobuf, web servers...) stay out of
    ``.venv-official``, which the other twin tests share.

    Args:
        name: The virtualenv's suffix.
        packages: Pip requirements besides the official SDK.

    Raises:
        RuntimeError: When they cannot be installed (no package index reachable).
    """
    venv = ROOT / f".venv-official-{name}"
    python = venv / "bin" / "python"
    stamp = venv / ".packages"
    wanted = "\n".join([f"braintrust=={VERSION}", *sorted(packages)])
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    done = install(venv, sys.executable, [f"braintrust=={VERSION}", *packages], find_uv())
    if done.returncode != 0:
        raise RuntimeError(f"cannot install {' '.join(packages)}: {done.stderr[-500:]}")
    stamp.write_text(wanted)
    return python
