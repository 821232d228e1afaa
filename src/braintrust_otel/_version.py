"""The package's version, read once from its installed metadata."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["VERSION"]

# The installed distribution's metadata folder; its name carries the version.
_DIST_INFO_PREFIX = "braintrust_otel-"
_DIST_INFO_SUFFIX = ".dist-info"
# src/braintrust_otel/_version.py -> the checkout's pyproject.toml
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _installed(search: Iterable[str]) -> str | None:
    # importlib.metadata would cost `import braintrust` about 15 ms (zipfile,
    # email, importlib.resources, ...): the dist-info folder's name is enough,
    # looked up in sys.path order as importlib.metadata does.
    for entry in search:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(_DIST_INFO_PREFIX) and name.endswith(_DIST_INFO_SUFFIX):
                return name[len(_DIST_INFO_PREFIX):-len(_DIST_INFO_SUFFIX)]
    return None


def read_version(pyproject: Path = _PYPROJECT, search: Iterable[str] | None = None) -> str:
    """The installed distribution's version; in a source checkout that is not installed
    (``src`` on ``sys.path``), the ``version`` in ``pyproject.toml``; else ``0+unknown``.

    Args:
        pyproject: Where to look when the distribution is not installed.
        search: The folders to look for the installed metadata in (``sys.path``).

    Returns:
        A version string, never raising.
    """
    found = _installed(sys.path if search is None else search)
    if found:
        return found
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return "0+unknown"
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0+unknown"


VERSION = read_version()
