"""Where the store file lives."""

from __future__ import annotations

import sys
from pathlib import Path

from ..settings import get_settings

STORE_ENV = "BRAINTRUST_LOCAL_STORE"


def default_store_path() -> Path:
    """The store file: ``$BRAINTRUST_LOCAL_STORE``, else the user's data directory.

    Returns:
        ``~/.local/share/braintrust/store.sqlite`` on Linux (honouring
        ``XDG_DATA_HOME``), ``~/Library/Application Support/braintrust/...`` on
        macOS, ``%LOCALAPPDATA%\\braintrust\\...`` on Windows.
    """
    env = get_settings()
    if env.local_store is not None:
        return env.local_store
    home = Path.home()
    if sys.platform == "win32":
        base = env.localappdata or home / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = env.xdg_data_home or home / ".local" / "share"
    return base / "braintrust" / "store.sqlite"
