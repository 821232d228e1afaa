"""Where this machine's local files live: the store (a file, or the PostgreSQL
database the environment names) and, beside the file, the spool.

Kept out of the ``store`` package so that finding the spool folder (every
process that sends to the service does) imports neither the store nor
``sqlite3``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .settings import get_settings

STORE_ENV = "BRAINTRUST_LOCAL_STORE"

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str) -> bool:
    """Whether a ``--store`` value names a PostgreSQL database rather than a file."""
    return location.startswith(_POSTGRES_SCHEMES)


def default_store_path() -> Path:
    """The store file: ``$BRAINTRUST_LOCAL_STORE``, else the user's data directory (also
    when that variable names a PostgreSQL database: local things such as the spool
    still need a folder on this machine).

    Returns:
        ``~/.local/share/braintrust/store.sqlite`` on Linux (honouring
        ``XDG_DATA_HOME``), ``~/Library/Application Support/braintrust/...`` on
        macOS, ``%LOCALAPPDATA%\\braintrust\\...`` on Windows.
    """
    env = get_settings()
    if env.local_store is not None and not is_postgres_url(env.local_store):
        return Path(env.local_store)
    home = Path.home()
    if sys.platform == "win32":
        base = env.localappdata or home / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = env.xdg_data_home or home / ".local" / "share"
    return base / "braintrust" / "store.sqlite"


def default_store_location() -> str | Path:
    """Where a store opened without a location lives: ``$BRAINTRUST_LOCAL_STORE`` when it
    is a ``postgresql://`` URL, else :func:`default_store_path`."""
    explicit = get_settings().local_store
    if explicit is not None and is_postgres_url(explicit):
        return explicit
    return default_store_path()
