"""``braintrust.integrations.instructor``: Instructor (as in the official SDK)."""

from __future__ import annotations

from .._auto import wrap_instructor
from ._base import Integration

__all__ = ["InstructorIntegration", "wrap_instructor"]


class InstructorIntegration(Integration):
    """Every Instructor client's tracing: ``InstructorIntegration.setup()`` turns it on."""

    name = "instructor"
