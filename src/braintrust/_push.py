"""``braintrust push``: run files under collection and save what they define.

Prompts, LLM scorers and parameters become definitions as ``publish()`` makes them.
Python tools and scorers become code functions: on the service their source
files go up as a bundle (``/function/code``, then a PUT to the signed URL)
that the definitions name; on the embedded store the definition records the
file, which :func:`braintrust.invoke` imports to run the function.
"""

from __future__ import annotations

import inspect
import io
import re
import runpy
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from . import _state
from ._definitions import CodeFunction, Collected, collecting, json_schema
from ._project import ProjectIds, save_definitions

__all__ = ["push_files"]


def _runtime() -> dict[str, str]:
    return {"runtime": "python", "version": f"{sys.version_info.major}.{sys.version_info.minor}"}


def _preview(function: CodeFunction) -> str:
    try:
        source = inspect.getsource(function.handler)
    except (OSError, TypeError):
        return ""
    if getattr(function.handler, "__name__", "") == "<lambda>":
        found = re.search(r"handler\s*=\s*(.+)\s*[,)]", source)
        source = found.group(1) if found else source
    return source.strip()


def code_definition(function: CodeFunction, index: int, file: Path, project_id: str,
                    bundle_id: Optional[str], if_exists: str) -> dict[str, Any]:
    """The definition of one code function, as the service's ``/insert-functions`` takes.

    Args:
        function: The tool or scorer.
        index: Its position among the functions its file defines.
        file: The file (recorded for the embedded store, which runs it from there).
        project_id: Its project's id.
        bundle_id: The uploaded bundle (service), or None (embedded store).
        if_exists: Used when the function itself has none.

    Raises:
        ValueError: When the function has no ``parameters`` schema.
    """
    if function.parameters is None:
        raise ValueError(f"braintrust push: function {function.name!r} has no parameters= "
                         "(its input schema, a pydantic model)")
    location: dict[str, Any] = {"type": "function", "index": index}
    if bundle_id is None:
        location["file"] = str(file)
    schema: dict[str, Any] = {"parameters": json_schema(function.parameters)}
    if function.returns is not None:
        schema["returns"] = json_schema(function.returns)
    out: dict[str, Any] = {
        "project_id": project_id, "name": function.name, "slug": function.slug,
        "description": function.description,
        "function_data": {"type": "code", "data": {
            "type": "bundle", "runtime_context": _runtime(), "location": location,
            "bundle_id": bundle_id, "preview": _preview(function)}},
        "function_type": function.type_, "function_schema": schema,
        "if_exists": function.if_exists or if_exists}
    if function.metadata is not None:
        out["metadata"] = function.metadata
    if function.tags is not None:
        out["tags"] = list(function.tags)
    return out


def _upload_bundle(files: Sequence[Path], requirements: Optional[str]) -> Optional[str]:
    # Only the user's files (and requirements, when given) go into the bundle;
    # the official CLI also installs dependencies into it with uv. A backend
    # that runs code from its files takes no bundle (None).
    def make_bundle() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for file in files:
                zf.write(file, file.name)
            if requirements:
                zf.write(requirements, "requirements.txt")
            zf.writestr("register.py", "".join(f"import {f.stem} as _\n" for f in files))
        return buffer.getvalue()

    try:
        return _state.backend().upload_bundle(make_bundle, _runtime())
    except ValueError as exc:
        raise ValueError(f"braintrust push: {exc}") from None


def push_files(files: Sequence[str], if_exists: str = "error",
               requirements: Optional[str] = None) -> list[str]:
    """Runs each file, collecting its tools, scorers, prompts and parameters, and saves them.

    Args:
        files: Python files.
        if_exists: ``error``, ``replace`` or ``ignore`` for functions that do
            not say.
        requirements: A requirements file to add to the service bundle.

    Returns:
        The slugs saved.
    """
    _state.tracer()
    found: list[tuple[Path, Collected]] = []
    for raw in files:
        path = Path(raw).resolve()
        sys.path.insert(0, str(path.parent))
        try:
            with collecting() as collected:
                runpy.run_path(str(path), run_name="__braintrust_push__")
        finally:
            sys.path.remove(str(path.parent))
        found.append((path, collected))
    ids = ProjectIds()
    bundle_id = None
    if any(collected.functions for _, collected in found):
        bundle_id = _upload_bundle([path for path, _ in found], requirements)
    definitions: list[dict[str, Any]] = []
    for path, collected in found:
        definitions += [code_definition(f, i, path, ids(f.project), bundle_id, if_exists)
                        for i, f in enumerate(collected.functions)]
    for _, collected in found:
        definitions += [p.to_function_definition(if_exists, ids) for p in collected.prompts]
    for _, collected in found:
        definitions += [p.to_function_definition(if_exists, ids) for p in collected.parameters]
    if definitions:
        save_definitions(definitions)
    return [str(d["slug"]) for d in definitions]
