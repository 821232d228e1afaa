"""The ``braintrust.parent`` string: which object a trace belongs to."""

from __future__ import annotations

from typing import NamedTuple

from .settings import PARENT

__all__ = ["DEFAULT_PARENT", "Parent", "format_parent", "parse_parent"]

#: Where spans with no other parent land (the official SDK's OTel default).
DEFAULT_PARENT = "project_name:default-otel-project"

_KINDS = ("project_id", "project_name", "experiment_id", "dataset_id")


class Parent(NamedTuple):
    """A parsed parent: ``kind`` is one of project_id, project_name, experiment_id."""

    kind: str
    value: str


def default_parent() -> str:
    """``BRAINTRUST_PARENT``, else :data:`DEFAULT_PARENT` (one lookup, cheap per span)."""
    return PARENT.get() or DEFAULT_PARENT


def parse_parent(text: str) -> Parent:
    """Parses ``project_id:<id>``, ``project_name:<name>`` or ``experiment_id:<id>``.

    Args:
        text: The parent string.

    Returns:
        The parsed :class:`Parent`.

    Raises:
        ValueError: When the string has another form.
    """
    kind, sep, value = text.partition(":")
    if not sep or kind not in _KINDS or not value:
        raise ValueError(
            f"invalid braintrust parent {text!r}: expected project_id:<id>, "
            "project_name:<name> or experiment_id:<id>"
        )
    return Parent(kind, value)


def format_parent(kind: str, value: str) -> str:
    """The inverse of :func:`parse_parent`."""
    return f"{kind}:{value}"
