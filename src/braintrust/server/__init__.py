"""``braintrust serve``: a local Braintrust-compatible server over the embedded store.

Needs the ``server`` extra (``pip install 'braintrust-otel[server]'``).
"""

from __future__ import annotations

from ._app import create_app

__all__ = ["create_app"]
