"""The official SDK's ``braintrust.logs`` module path: ``BraintrustLogHandler``."""

from __future__ import annotations

from ._log_handler import BraintrustLogHandler

__all__ = ["BraintrustLogHandler"]
