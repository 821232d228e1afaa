"""The metadata of a stored object (a project) as the official SDK shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ObjectMetadata", "StoredRecord"]


class ObjectMetadata(dict[str, Any]):
    """A project as ``experiment.project`` / ``dataset.project`` give it.

    The official SDK gives an object with ``id``, ``name`` and ``full_info``;
    earlier versions here gave a dict. This is both: attribute access as the
    official, item access (``project["id"]``) as before.
    """

    def __init__(self, info: Mapping[str, Any]) -> None:
        super().__init__(info)

    @property
    def id(self) -> str:
        """The project id ("" when not known, e.g. registered offline)."""
        return str(self.get("id") or "")

    @property
    def name(self) -> str:
        """The project name."""
        return str(self.get("name") or "")

    @property
    def full_info(self) -> dict[str, Any]:
        """Everything known about the project, as a plain dict."""
        return dict(self)

    def __repr__(self) -> str:
        return f"ObjectMetadata(id={self.id!r}, name={self.name!r})"


class StoredRecord:
    """An object with a stored record (an experiment, a dataset): ``data`` and, as in
    the official SDK, the record's other fields as attributes (``.description``,
    ``.created``, ``.repo_info``...). The class sets ``_info`` in ``__init__``."""

    _info: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        info = self.__dict__.get("_info")
        if info is not None and not name.startswith("_") and name in info:
            return info[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def data(self) -> dict[str, Any]:
        """The object's stored record (id, name, project_id, description, metadata, ...)."""
        return dict(self._info)
