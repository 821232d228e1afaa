"""register_sandbox: eval functions that run in a sandbox snapshot on the service.

The service runs them (it starts the snapshot, imports the entrypoints and
reports the evals they define); this side only asks which evals a snapshot
holds and saves one ``sandbox`` function per eval, as the official SDK does.
There is no sandbox runtime on the embedded store, so it needs a login.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Any, Literal, Optional

from . import _state

__all__ = ["RegisterSandboxResult", "RegisteredSandboxFunction", "SandboxConfig",
           "register_sandbox"]

#: The metadata key naming the group a sandbox's functions belong to (the official key).
SANDBOX_GROUP_KEY = "_bt_sandbox_group_name"
_PROVIDERS = ("modal",)
_IF_EXISTS = ("error", "replace", "ignore")


@dataclasses.dataclass
class SandboxConfig:
    """Where the evals run.

    Attributes:
        provider: The sandbox provider; ``"modal"`` is the one the service runs.
        snapshot_ref: The provider's reference to the snapshot (an image with
            your code and dependencies).
    """

    provider: Literal["modal"]
    snapshot_ref: str


@dataclasses.dataclass
class RegisteredSandboxFunction:
    """One eval found in the sandbox and saved as a function."""

    eval_name: str
    id: str
    name: str
    slug: str


@dataclasses.dataclass
class RegisterSandboxResult:
    """What :func:`register_sandbox` saved: the project and one function per eval."""

    project_id: str
    functions: list[RegisteredSandboxFunction]


def _slug(name: str) -> str:
    from ._definitions import slugify

    return slugify(name)


def _check(name: Any, project: Any, sandbox: Any, entrypoints: Any, metadata: Any,
           if_exists: Any) -> None:
    where = "register_sandbox()"
    for arg, value in (("name", name), ("project", project)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"{where}: {arg} must be a non-empty str")
    if not isinstance(sandbox, SandboxConfig):
        raise TypeError(f"{where}: sandbox must be a SandboxConfig")
    if sandbox.provider not in _PROVIDERS:
        raise ValueError(f"{where}: sandbox provider must be one of {', '.join(_PROVIDERS)}; "
                         f"got {sandbox.provider!r}")
    if not isinstance(sandbox.snapshot_ref, str) or not sandbox.snapshot_ref:
        raise TypeError(f"{where}: sandbox.snapshot_ref must be a non-empty str")
    if entrypoints is not None and (isinstance(entrypoints, str) or not all(
            isinstance(e, str) for e in entrypoints)):
        raise TypeError(f"{where}: entrypoints must be a list of str")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"{where}: metadata must be a dict")
    if if_exists is not None and if_exists not in _IF_EXISTS:
        raise ValueError(f"{where}: if_exists must be one of {', '.join(_IF_EXISTS)}; "
                         f"got {if_exists!r}")


def register_sandbox(
    name: str,
    project: str,
    sandbox: SandboxConfig,
    *,
    entrypoints: Sequence[str] | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    if_exists: str | None = None,
    api_key: str | None = None,
    app_url: str | None = None,
    org_name: str | None = None,
    state: Any = None,
) -> RegisterSandboxResult:
    """Registers the evals a sandbox snapshot defines as functions of ``project``.

    The service lists the evals in the snapshot (``entrypoints``: the eval
    files in it), then each becomes a ``sandbox`` function named after its
    eval, slugged, grouped under ``name``.

    Args:
        name: The group name of the sandbox's functions.
        project: The project's name (created when missing).
        sandbox: A :class:`SandboxConfig`.
        entrypoints: Eval files inside the sandbox (the service's default when None).
        description: Set on every function.
        metadata: Set on every function (plus the group name).
        if_exists: ``"replace"`` (the default), ``"error"`` or ``"ignore"``.
        api_key, app_url, org_name: Log in with these (default: the environment).
        state: Accepted for the official signature; there is one state here.

    Returns:
        :class:`RegisterSandboxResult`.

    Raises:
        TypeError, ValueError: On a bad argument (named).
        LoginError: Without an API key (sandboxes run only on the service) or
            when the key is refused.
        RuntimeError: When the service refuses the listing or the functions.
    """
    from braintrust_otel.api import LoginError

    _check(name, project, sandbox, entrypoints, metadata, if_exists)
    _state.login(api_key, app_url, org_name, False)
    backend = _state.backend()
    org, _ = backend.link_defaults()  # the logged-in organization's name
    no_service = LoginError("register_sandbox(): sandboxes run on the Braintrust service; set "
                            "BRAINTRUST_API_KEY or pass api_key (the embedded store has no "
                            "sandbox runtime)")
    if org is None:  # not logged in: nothing is created
        raise no_service
    runtime = {"runtime": "python",
               "version": f"{sys.version_info.major}.{sys.version_info.minor}"}
    spec = {"provider": sandbox.provider, "snapshot_ref": sandbox.snapshot_ref}
    entries = list(entrypoints) if entrypoints is not None else None
    project_id = backend.ensure_project(name=project)["id"]
    try:
        evals = backend.list_sandbox_evals({"sandbox_spec": spec, "runtime_context": runtime,
                                            "entrypoints": entries, "project_id": project_id},
                                           org_name=org)
    except NotImplementedError:
        raise no_service from None
    except RuntimeError as exc:
        raise RuntimeError(f"register_sandbox(): {exc}") from exc
    by_slug: dict[str, str] = {}
    definitions = []
    for eval_name, evaluator in evals.items():
        slug = _slug(eval_name)
        by_slug[slug] = eval_name
        definition: dict[str, Any] = {
            "project_id": project_id, "org_name": org, "name": eval_name,
            "slug": slug, "function_type": "sandbox",
            "function_data": {"type": "code", "data": {
                "type": "bundle", "runtime_context": runtime,
                "location": {"type": "sandbox", "sandbox_spec": spec, "entrypoints": entries,
                             "eval_name": eval_name, "evaluator_definition": evaluator},
                "bundle_id": None, "preview": None}},
            "metadata": {**(metadata or {}), SANDBOX_GROUP_KEY: name},
            "if_exists": if_exists or "replace",
        }
        if description is not None:
            definition["description"] = description
        definitions.append(definition)
    saved: Optional[dict[str, Any]] = backend.save_functions(definitions)
    functions = []
    for fn in (saved or {}).get("functions") or []:
        eval_name = by_slug.get(fn.get("slug"), fn.get("name") or fn.get("slug"))
        functions.append(RegisteredSandboxFunction(eval_name=eval_name, id=fn["id"],
                                                   name=eval_name, slug=fn["slug"]))
    return RegisterSandboxResult(project_id=project_id, functions=functions)
