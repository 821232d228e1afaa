"""The package's version, read once from its installed metadata."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

__all__ = ["VERSION"]

_DIST = "braintrust-otel"
# src/braintrust_otel/_version.py -> the checkout's pyproject.toml
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def read_version(pyproject: Path = _PYPROJECT) -> str:
    """The installed distribution's version; in a source checkout that is not installed
    (``src`` on ``sys.path``), the ``version`` in ``pyproject.toml``; else ``0+unknown``.

    Args:
        pyproject: Where to look when the distribution is not installed.

    Returns:
        A version string, never raising.
    """
    try:
        return metadata.version(_DIST)
    except metadata.PackageNotFoundError:
        pass
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return "0+unknown"
    found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return found.group(1) if found else "0+unknown"


VERSION = read_version()
