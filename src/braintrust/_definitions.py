"""What a project defines in code: CodeFunction, CodePrompt, CodeParameters.

Each is a record of one definition; ``to_function_definition`` (or
``_push.code_definition`` for code) turns it into the body the service's
``/insert-functions`` takes, which the embedded store saves too. While
``braintrust push`` runs a file, every definition is also collected
(:func:`collecting`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from ._project import Project

__all__ = ["CodeFunction", "CodeParameters", "CodePrompt", "Collected", "collected",
           "collecting", "json_schema", "slugify"]


def slugify(name: str) -> str:
    """A URL-safe slug of ``name``: lower-case ASCII words joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def json_schema(model: Any) -> Any:
    """The JSON schema of a pydantic model (v2 or v1); other values unchanged."""
    if hasattr(model, "model_json_schema"):
        return model.model_json_schema()
    if hasattr(model, "schema") and isinstance(model, type):
        return model.schema()  # type: ignore[attr-defined]
    return model


#: Gives a project's id, registering the project when needed.
ProjectIds = Callable[["Project"], str]


@dataclasses.dataclass
class CodeFunction:
    """A Python function made into a Braintrust tool, scorer or classifier.

    Call it like the handler. It becomes a saved function when its file is
    pushed (``braintrust push``); until then :func:`braintrust.invoke` runs it
    in this process.
    """

    project: Project
    handler: Callable[..., Any]
    name: str
    slug: str
    type_: str
    description: Optional[str]
    parameters: Any
    returns: Any
    if_exists: Optional[str]
    metadata: Optional[dict[str, Any]] = None
    tags: Optional[Sequence[str]] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.handler(*args, **kwargs)


def _common(definition: dict[str, Any], description: Optional[str],
            metadata: Optional[Mapping[str, Any]], tags: Optional[Sequence[str]]) -> None:
    if description is not None:
        definition["description"] = description
    if metadata is not None:
        definition["metadata"] = dict(metadata)
    if tags is not None:
        definition["tags"] = list(tags)


@dataclasses.dataclass
class CodePrompt:
    """A prompt defined in code, saved by ``project.publish()`` or ``braintrust push``."""

    project: Project
    name: str
    slug: str
    prompt: dict[str, Any]
    tool_functions: list[Union[CodeFunction, dict[str, Any]]]
    description: Optional[str]
    function_type: Optional[str]
    id: Optional[str]
    if_exists: Optional[str]
    metadata: Optional[dict[str, Any]] = None
    tags: Optional[Sequence[str]] = None

    def to_function_definition(self, if_exists: Optional[str],
                               project_ids: ProjectIds) -> dict[str, Any]:
        """The definition ``/insert-functions`` takes for this prompt.

        Args:
            if_exists: Used when the prompt itself has none.
            project_ids: Gives a project's id (registering it when needed).

        Returns:
            ``project_id``, ``name``, ``slug``, ``function_data``, ``prompt_data``,
            ``if_exists`` and, when set, ``description``, ``function_type``,
            ``metadata`` and ``tags``.
        """
        prompt_data = json.loads(json.dumps(self.prompt))
        if self.tool_functions:
            prompt_data["tool_functions"] = [
                {"type": "slug", "project_id": project_ids(f.project), "slug": f.slug}
                if isinstance(f, CodeFunction) else dict(f) for f in self.tool_functions]
        out: dict[str, Any] = {
            "project_id": project_ids(self.project), "name": self.name, "slug": self.slug,
            "function_data": {"type": "prompt"}, "prompt_data": prompt_data,
            "if_exists": self.if_exists if self.if_exists is not None else if_exists}
        _common(out, self.description, self.metadata, self.tags)
        if self.function_type is not None:
            out["function_type"] = self.function_type
        return out


@dataclasses.dataclass
class CodeParameters:
    """Evaluation parameters defined in code (``project.parameters.create``), saved
    as a ``parameters`` function that :func:`braintrust.load_parameters` reads back.

    ``schema`` maps each parameter's name to its kind: ``{"type": "prompt",
    "default": ...}``, ``{"type": "model", "default": ...}``, a pydantic
    model, or None (any value).
    """

    project: Project
    name: str
    slug: str
    description: Optional[str]
    schema: Mapping[str, Any]
    if_exists: Optional[str]
    metadata: Optional[Mapping[str, Any]] = None

    def to_function_definition(self, if_exists: Optional[str],
                               project_ids: ProjectIds) -> dict[str, Any]:
        """The definition ``/insert-functions`` takes: ``function_data`` holds the
        JSON schema (``__schema``) and the defaults it declares (``data``).

        Args:
            if_exists: Used when the parameters themselves have none.
            project_ids: Gives a project's id (registering it when needed).
        """
        from ._parameters import defaults_of, parameters_json_schema

        schema = parameters_json_schema(self.schema)
        out: dict[str, Any] = {
            "project_id": project_ids(self.project), "name": self.name, "slug": self.slug,
            "description": self.description or "", "function_type": "parameters",
            "function_data": {"type": "parameters", "data": defaults_of(schema),
                              "__schema": schema},
            "if_exists": self.if_exists if self.if_exists is not None else if_exists}
        _common(out, None, self.metadata, None)
        return out


class Collected:
    """What a file run by ``braintrust push`` defined, in order."""

    def __init__(self) -> None:
        self.functions: list[CodeFunction] = []
        self.prompts: list[CodePrompt] = []
        self.parameters: list[CodeParameters] = []


_collecting: Optional[Collected] = None


def collected() -> Optional[Collected]:
    """Where definitions are collected while ``braintrust push`` imports a file; else None."""
    return _collecting


@contextmanager
def collecting() -> Iterator[Collected]:
    """Collects every tool, scorer, prompt and parameters object created while the
    block runs (push)."""
    global _collecting
    previous, _collecting = _collecting, Collected()
    try:
        yield _collecting
    finally:
        _collecting = previous
