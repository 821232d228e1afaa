"""Where the store file lives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

STORE_ENV = "BRAINTRUST_LOCAL_STORE"


def default_store_path() -> Path:
    """The store file: ``$BRAINTRUST_LOCAL_STORE``, else the user's data directory.

    Returns:
        ``~/.local/share/braintrust/store.sqlite`` on Linux (honouring
        ``XDG_DATA_HOME``), ``~/Library/Application Support/braintrust/...`` on
        macOS, ``%LOCALAPPDATA%\\braintrust\\...`` on Windows.
    """
    explicit = os.environ.get(STORE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "braintrust" / "store.sqlite"
