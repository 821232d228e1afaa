"""The official SDK's ``braintrust.logs`` module path: ``BraintrustLogHandler``."""

from __future__ import annotations

from ._logs import BraintrustLogHandler

__all__ = ["BraintrustLogHandler"]
