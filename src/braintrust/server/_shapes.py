"""Stored objects in the shapes the official SDK's schemas require."""

from __future__ import annotations

from typing import Any

__all__ = ["ORG_ID", "prompt_object"]

#: The one organization a local server has.
ORG_ID = "00000000-0000-4000-8000-000000000001"


def prompt_object(found: dict[str, Any]) -> dict[str, Any]:
    """A stored prompt or function with every field the SDK's prompt schema requires.

    Args:
        found: The prompt as the store returns it.

    Returns:
        A new dict: the stored fields over null defaults.
    """
    return {"name": found.get("slug"), "description": None, "tags": None,
            "function_type": None, "org_id": ORG_ID, "log_id": "p", **found}
