"""Dict and JSON conversions for the public dataclasses (the official SDK offers them)."""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, TypeVar

__all__ = ["Serializable"]

T = TypeVar("T", bound="Serializable")


class Serializable:
    """``as_dict``/``as_json``/``from_dict``/``from_dict_deep`` and ``obj["field"]``
    for a dataclass."""

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (nested dataclasses become dicts too)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    def as_json(self, **kwargs: Any) -> str:
        """:meth:`as_dict` as JSON; ``kwargs`` go to ``json.dumps``."""
        return json.dumps(self.as_dict(), **kwargs)

    def __getitem__(self, item: str) -> Any:
        return getattr(self, item)

    @classmethod
    def from_dict(cls: type[T], d: dict[str, Any]) -> T:
        """Builds one from a dict, ignoring keys that are not fields (nested dicts stay dicts)."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in d.items() if k in names})

    @classmethod
    def from_dict_deep(cls: type[T], d: dict[str, Any]) -> T:
        """Like :meth:`from_dict`, also building the nested dataclasses the fields declare
        (directly, optional, or inside a list or a dict of them)."""
        hints = typing.get_type_hints(cls)
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: _build(hints.get(k), v) for k, v in d.items() if k in names})


def _build(hint: Any, value: Any) -> Any:
    if value is None or hint is None:
        return value
    if isinstance(hint, type) and issubclass(hint, Serializable) and isinstance(value, dict):
        return hint.from_dict_deep(value)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and args and isinstance(value, list):
        return [_build(args[0], v) for v in value]
    if origin is dict and len(args) == 2 and isinstance(value, dict):
        return {k: _build(args[1], v) for k, v in value.items()}
    for arg in args if origin is typing.Union or type(hint).__name__ == "UnionType" else ():
        if arg is not type(None):
            try:
                return _build(arg, value)
            except TypeError:
                continue
    return value
