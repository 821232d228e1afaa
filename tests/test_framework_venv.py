"""tests/framework_venv.py builds the framework virtualenvs with uv, or with pip without it."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.framework_venv import find_uv, install


def _wheel(folder: Path, version: str) -> Path:
    """A one-module wheel, so the installs below need no package index."""
    dist = f"probe_pkg-{version}.dist-info"
    files = {
        "probe_pkg.py": f"VALUE = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: probe-pkg\nVersion: {version}\n",
        f"{dist}/WHEEL": ("Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                          "Tag: py3-none-any\n"),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join([*record, f"{dist}/RECORD,,"]) + "\n"
    path = folder / f"probe_pkg-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def _value(venv: Path) -> str:
    return subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import probe_pkg; print(probe_pkg.VALUE)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _made_by_uv(venv: Path) -> bool:
    return any(line.startswith("uv =")
               for line in (venv / "pyvenv.cfg").read_text().splitlines())


def test_the_dev_set_brings_uv() -> None:
    assert find_uv() is not None, "uv (the dev extra) is missing: the venvs build with pip"


def test_uv_builds_the_venv_and_pip_can_update_it_later(tmp_path: Path) -> None:
    uv = find_uv()
    assert uv is not None
    venv = tmp_path / "venv"
    done = install(venv, sys.executable, ["--no-index", str(_wheel(tmp_path, "1.0"))], uv)
    assert done.returncode == 0, done.stderr
    assert _made_by_uv(venv) and _value(venv) == "1.0"
    # Where uv went missing since, pip must still update the venv uv made.
    done = install(venv, sys.executable, ["--no-index", str(_wheel(tmp_path, "2.0"))], None)
    assert done.returncode == 0, done.stderr
    assert _value(venv) == "2.0"


def test_without_uv_pip_builds_the_venv(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    done = install(venv, sys.executable, ["--no-index", str(_wheel(tmp_path, "1.0"))], None)
    assert done.returncode == 0, done.stderr
    assert not _made_by_uv(venv) and _value(venv) == "1.0"
