"""Saved evaluation parameters: their JSON schema, load_parameters, RemoteEvalParameters.

``project.parameters.create(name=, schema=)`` saves a ``parameters`` function
whose ``function_data`` holds a JSON schema (``__schema``) and the defaults it
declares (``data``). :func:`load_parameters` reads one back as a
:class:`RemoteEvalParameters`, which an Eval can take as its ``parameters``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any, Optional

from ._loading import load_saved
from ._prompt_schema import plain
from ._serial import Serializable

__all__ = ["RemoteEvalParameters", "defaults_of", "load_parameters", "parameters_json_schema"]


@dataclasses.dataclass
class RemoteEvalParameters(Serializable):
    """Parameters saved in a project, as :func:`load_parameters` returns them.

    Args:
        id: The saved function's id.
        project_id: Its project's id.
        name: Its name.
        slug: Its slug.
        version: The loaded version.
        schema: The JSON schema the parameters follow.
        data: The saved values (the schema's defaults).
    """

    id: Optional[str]
    project_id: Optional[str]
    name: str
    slug: str
    version: Optional[str]
    schema: dict[str, Any]
    data: dict[str, Any]

    @classmethod
    def from_function_row(cls, row: Mapping[str, Any]) -> RemoteEvalParameters:
        """Reads a saved ``parameters`` function (as the service returns it)."""
        function_data = row.get("function_data") or {}
        return cls(id=row.get("id"), project_id=row.get("project_id"), name=row["name"],
                   slug=row["slug"], version=row.get("_xact_id"),
                   schema=dict(function_data.get("__schema") or {}),
                   data=dict(function_data.get("data") or {}))

    def validate(self, data: Any) -> bool:
        """Whether ``data`` (with the schema's defaults filled in) follows the schema.

        Needs the ``jsonschema`` package.
        """
        try:
            from jsonschema import (  # type: ignore[import-untyped, unused-ignore]
                Draft7Validator,
            )
        except ImportError:
            raise ImportError("RemoteEvalParameters.validate() needs the jsonschema "
                              "package: pip install jsonschema") from None
        if not isinstance(data, Mapping):
            return False
        filled = {**defaults_of(self.schema), **data}
        return not any(True for _ in Draft7Validator(self.schema).iter_errors(filled))


def _kind(spec: Any) -> Optional[str]:
    return spec.get("type") if isinstance(spec, Mapping) else None


def _pydantic_schema(model: Any) -> dict[str, Any]:
    if hasattr(model, "model_json_schema"):
        schema = model.model_json_schema()
    elif hasattr(model, "schema"):
        schema = model.schema()
    else:
        raise TypeError("parameters.create(): each schema entry must be a prompt or model "
                        f"parameter, a pydantic model or None, got {model!r}")
    resolved = dict(_inline_refs(schema, schema, ()))
    resolved.pop("$defs", None)
    resolved.pop("definitions", None)
    fields = getattr(model, "model_fields", None)
    if fields is None:
        fields = getattr(model, "__fields__", {})  # pydantic v1
    # A model with one field named "value" stands for that one value.
    if list(fields) == ["value"] and isinstance(resolved.get("properties", {}).get("value"),
                                               Mapping):
        return dict(resolved["properties"]["value"])
    return resolved


def _inline_refs(node: Any, root: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    # Saved schemas stand alone: local "$ref"s are replaced by what they point to.
    if isinstance(node, list):
        return [_inline_refs(v, root, seen) for v in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {k: _inline_refs(v, root, seen) for k, v in node.items()}
    if ref in seen or not ref.startswith("#"):
        raise ValueError(f"parameters.create(): cannot inline the schema reference {ref!r}")
    target: Any = root
    for part in filter(None, ref[1:].split("/")):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    inlined = _inline_refs(copy.deepcopy(target), root, (*seen, ref))
    siblings = {k: _inline_refs(v, root, seen) for k, v in node.items() if k != "$ref"}
    return {**inlined, **siblings}


def _required(spec: Any) -> bool:
    if _kind(spec) in ("prompt", "model"):
        return spec.get("default") is None
    fields = getattr(spec, "model_fields", None)
    if fields is not None:
        return list(fields) == ["value"] and bool(fields["value"].is_required())
    legacy = getattr(spec, "__fields__", None)  # pydantic v1
    if legacy is not None and list(legacy) == ["value"]:
        return bool(getattr(legacy["value"], "required", False))
    return False


def parameters_json_schema(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON schema saved for an evaluation's parameters.

    Args:
        parameters: Each name maps to ``{"type": "prompt", "default":
            PromptData | dict, "description": ...}``, ``{"type": "model",
            "default": "gpt-4o", ...}``, a pydantic model, or None.

    Returns:
        An object schema: prompts are objects marked ``"x-bt-type": "prompt"``,
        models strings marked ``"model"``; a parameter with neither a default
        nor a default-making model is required.

    Raises:
        TypeError: When an entry is none of those kinds.
    """
    if not isinstance(parameters, Mapping):
        raise TypeError("parameters.create(): schema must be a mapping of parameter names")
    properties: dict[str, Any] = {}
    for name, spec in parameters.items():
        kind = _kind(spec)
        if kind == "prompt":
            prop: dict[str, Any] = {"type": "object", "x-bt-type": "prompt"}
            if spec.get("default") is not None:
                prop["default"] = plain(spec["default"], f"parameter {name!r}: default")
        elif kind == "model":
            prop = {"type": "string", "x-bt-type": "model"}
            if "default" in spec:
                prop["default"] = spec["default"]
        elif spec is None:
            prop = {}
        else:
            prop = _pydantic_schema(spec)
        if kind in ("prompt", "model") and spec.get("description") is not None:
            prop["description"] = spec["description"]
        properties[str(name)] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": True}
    required = [str(n) for n, spec in parameters.items() if _required(spec)]
    if required:
        schema["required"] = required
    return schema


def defaults_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The ``default`` of each property of an object schema that declares one."""
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {name: prop["default"] for name, prop in properties.items()
            if isinstance(prop, Mapping) and "default" in prop}


def load_parameters(
    project: str | None = None,
    slug: str | None = None,
    version: str | int | None = None,
    project_id: str | None = None,
    id: str | None = None,
    environment: str | None = None,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
) -> RemoteEvalParameters:
    """Loads saved parameters by project and slug (or by id), the latest or a version.

    Args:
        project: The project name (or ``project_id``).
        slug: The parameters' slug.
        version: A version; the latest by default.
        project_id: The project id (wins over ``project``).
        id: The saved parameters' id, instead of project and slug.
        environment: An environment name (service only); ``version`` wins.
        app_url, api_key, org_name: As for :func:`braintrust.login`.

    Returns:
        The :class:`RemoteEvalParameters`.

    Raises:
        ValueError: When no such parameters, project or version exists (the
            message names what), or the arguments name none.
        BraintrustHTTPError: When the service refuses (also a ValueError).
        BraintrustTransportError: When the service does not answer and no copy
            is cached (also a ValueError).
    """
    row = load_saved("load_parameters()", "parameters", "find_function", project=project,
                     slug=slug, version=version, project_id=project_id, id=id,
                     environment=environment, app_url=app_url, api_key=api_key,
                     org_name=org_name, function_type="parameters")
    return RemoteEvalParameters.from_function_row(row)
