"""``braintrust serve``: a local Braintrust-compatible server over the embedded store.

Needs the ``server`` extra (``pip install 'braintrust-otel[server]'``).
"""

from __future__ import annotations

from ._app import create_app
from ._auth import default_token
from ._conn import server_config

__all__ = ["create_app", "default_token", "server_config"]
