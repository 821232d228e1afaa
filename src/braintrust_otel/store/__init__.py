"""The embedded store: Braintrust objects and rows in one SQLite file.

WAL mode with a busy timeout lets several processes (apps, ``braintrust
serve``, ``braintrust logs``) read and write the same file at once. Each
batch of rows is one transaction and gets one transaction id (``_xact_id``),
increasing across processes.

The :class:`Store` is put together from one part per idea: the connection
(``_db``), the objects rows belong to (``_objects``), row writes
(``_writes``), row reads (``_reads``), attachments (``_attachments``) and the
web UI's listings (``_listings``).
"""

from __future__ import annotations

from .._local_paths import STORE_ENV, default_store_path
from ._attachments import _Attachments
from ._listings import _Listings
from ._objects import _Objects
from ._reads import StoredRow, _Reads
from ._writes import _Writes

__all__ = ["STORE_ENV", "Store", "StoredRow", "default_store_path"]


class Store(_Writes, _Reads, _Objects, _Attachments, _Listings):
    """A handle on one SQLite store file, safe to share between threads.

    Args:
        path: The database file; created with its folder when missing.
    """
