"""Scores, and turning whatever a scorer returned into scores."""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Mapping
from typing import Any, Optional

from typing_extensions import NotRequired, TypedDict

from ._serial import Serializable
from ._span import safe_repr

__all__ = ["Classification", "NamedScoreDict", "Score", "ScoreDict", "ScorerError",
           "normalize_scores"]


# The functional form: this module's postponed annotations would otherwise hide
# NotRequired from TypedDict, making every key required.
ScoreDict = TypedDict("ScoreDict", {  # noqa: UP013
    "score": Optional[float],
    "metadata": NotRequired[Mapping[str, Any]],
    "name": NotRequired[str],
})
ScoreDict.__doc__ = """A score as a plain dict a scorer may return: ``score`` (0..1 or None),
and optionally ``name`` and ``metadata``."""

NamedScoreDict = TypedDict("NamedScoreDict", {  # noqa: UP013
    "score": Optional[float],
    "metadata": NotRequired[Mapping[str, Any]],
    "name": str,
})
NamedScoreDict.__doc__ = """A :class:`ScoreDict` whose ``name`` is required."""


@dataclasses.dataclass
class Classification(Serializable):
    """A classification result (a label rather than a number) for an evaluated case.

    Args:
        id: The class's id.
        name: The classifier's name.
        label: A readable label for the class.
        metadata: Anything that explains it.
    """

    id: str
    name: Optional[str] = None
    label: Optional[str] = None
    metadata: Optional[Mapping[str, Any]] = None

    def as_dict(self) -> dict[str, Any]:
        """The fields that are set (None ones left out, as the official SDK does)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclasses.dataclass
class Score(Serializable):
    """A named score between 0 and 1 (None means skipped), with optional metadata.

    Args:
        name: The score's name.
        score: A number between 0 and 1, or None (skipped).
        metadata: Anything that explains the score.
        error: Deprecated, kept for code written against older SDKs: an
            exception the scorer met. Setting it warns; it is not logged.

    Raises:
        ValueError: When ``score`` is outside [0, 1].
        TypeError: When ``score`` is not a number (or None).
    """

    name: str
    score: Optional[float] = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    error: Optional[BaseException] = None

    def __post_init__(self) -> None:
        if self.score is not None:
            if not isinstance(self.score, (int, float)):
                raise TypeError(f"Score(): score must be a number between 0 and 1 or None, "
                                f"got {type(self.score).__name__}")
            if self.score < 0 or self.score > 1:
                raise ValueError(f"Score(): score ({self.score}) must be between 0 and 1")
        if self.error is not None:
            warnings.warn("Score(error=...) is deprecated: a scorer's exception reaches the "
                          "caller instead", stacklevel=3)

    def as_dict(self) -> dict[str, Any]:
        """The score as ``{"name", "score", "metadata"}`` (``error`` is left out)."""
        return {"name": self.name, "score": self.score, "metadata": self.metadata}

    def as_json(self, **kwargs: Any) -> str:
        """:meth:`as_dict` encoded as JSON; ``kwargs`` go to :func:`json.dumps`."""
        return json.dumps(self.as_dict(), **kwargs)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Score:
        """Makes a score from a mapping, ignoring keys that are not fields.

        Args:
            d: ``name``, ``score`` and optionally ``metadata`` (and ``error``).

        Returns:
            The :class:`Score` (validated like the constructor).
        """
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def __getitem__(self, item: str) -> Any:
        # Scores are also read like dicts (score["score"]) by older scorer code.
        return getattr(self, item)


class ScorerError(ValueError):
    """A scorer returned something that is not a score."""


def _check(scorer: str, name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, bool):
        return value  # kept as given, as the official SDK keeps it (stored as 1/0)
    if not isinstance(value, (int, float)) or math.isnan(value):
        raise ScorerError(f"scorer {scorer!r} gave score {name!r} the value {safe_repr(value)}; "
                          "a score must be a number between 0 and 1, a bool, or None")
    if not 0 <= value <= 1:
        raise ScorerError(f"scorer {scorer!r} gave score {name!r} the value {safe_repr(value)}, "
                          "outside [0, 1]")
    # An int stays an int (1, not 1.0), as the official SDK records it.
    return value


def normalize_scores(scorer: str, value: Any) -> list[Score]:
    """Turns a scorer's return value into scores.

    Accepted: a number or bool (named after the scorer), None (skipped), a dict
    with ``score`` (and optional ``name``, ``metadata``), a :class:`Score` or any
    object with ``score`` and ``name`` attributes (such as autoevals' ``Score``),
    or a list of these.

    Args:
        scorer: The scorer's name, used for unnamed scores and in errors.
        value: What the scorer returned.

    Returns:
        The scores, possibly none.

    Raises:
        ScorerError: When ``value`` is none of the above; the message names the
            scorer.
    """
    if value is None:
        return []
    if isinstance(value, (bool, int, float)):
        return [Score(scorer, _check(scorer, scorer, value))]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in normalize_scores(scorer, item)]
    if isinstance(value, Mapping):
        if "score" not in value:
            raise ScorerError(f"scorer {scorer!r} returned a dict without a 'score' key: "
                              f"{safe_repr(list(value))}")
        name = str(value.get("name") or scorer)
        return [Score(name, _check(scorer, name, value["score"]),
                      dict(value.get("metadata") or {}))]
    if hasattr(value, "score"):
        name = str(getattr(value, "name", None) or scorer)
        metadata = getattr(value, "metadata", None)
        return [Score(name, _check(scorer, name, value.score),
                      dict(metadata) if isinstance(metadata, Mapping) else {})]
    raise ScorerError(f"scorer {scorer!r} returned {type(value).__name__} {safe_repr(value, 80)}, "
                      "which is not a score (a number, bool, None, a dict with 'score', "
                      "a Score, or a list of these)")
