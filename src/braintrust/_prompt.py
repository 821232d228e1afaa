"""Prompts: load_prompt, Prompt.build, and creating prompts from code (projects.create)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional

import chevron  # type: ignore[import-untyped]
from chevron.tokenizer import tokenize  # type: ignore[import-untyped]

from braintrust_otel import diagnostics

from . import _state
from ._logger import GLOBAL_PROJECT
from ._paths import MISSING, get_path

__all__ = ["Project", "Prompt", "load_prompt", "projects"]


class PromptBuildError(ValueError):
    """A prompt cannot be built: a variable it uses has no value."""


def _check_variables(template: str, context: Mapping[str, Any], where: str) -> None:
    depth = 0
    for kind, key in tokenize(template):
        if kind in ("section", "inverted section"):
            depth += 1
        elif kind == "end":
            depth -= 1
        elif kind in ("variable", "no escape") and depth == 0 and key != "." \
                and get_path(context, key) is MISSING:
            raise PromptBuildError(f"{where}: no value for variable {key!r} (pass it to "
                                   "build() or in the prompt's defaults)")


def _render(template: str, context: Mapping[str, Any], where: str) -> str:
    _check_variables(template, context, where)
    return str(chevron.render(template, dict(context)))


class Prompt:
    """A saved prompt: messages (or a completion template), model and parameters.

    Get one with :func:`load_prompt`; turn it into the arguments of an OpenAI
    Chat Completions call with :meth:`build`.
    """

    def __init__(self, data: Mapping[str, Any], defaults: Mapping[str, Any] | None = None,
                 no_trace: bool = False) -> None:
        self._data = dict(data)
        self.defaults = dict(defaults or {})
        self.no_trace = no_trace

    id = property(lambda self: self._data.get("id"), doc="The prompt id.")
    name = property(lambda self: self._data.get("name"), doc="The prompt's name.")
    slug = property(lambda self: self._data.get("slug"), doc="The prompt's slug.")
    project_id = property(lambda self: self._data.get("project_id"), doc="Its project's id.")
    version = property(lambda self: self._data.get("_xact_id"), doc="The loaded version.")

    @property
    def prompt(self) -> dict[str, Any]:
        """The template block: ``type`` (chat or completion), messages or prompt, tools."""
        return dict((self._data.get("prompt_data") or {}).get("prompt") or {})

    @property
    def options(self) -> dict[str, Any]:
        """``model`` and ``params`` (temperature, max_tokens, ...)."""
        return dict((self._data.get("prompt_data") or {}).get("options") or {})

    def build(self, **variables: Any) -> dict[str, Any]:
        """Renders the prompt with ``variables`` (mustache) into call arguments.

        Args:
            **variables: Template variables; the prompt's ``defaults`` fill the
                rest.

        Returns:
            ``{"model", **params, "messages": [...]}`` for a chat prompt (or
            ``"prompt"`` for a completion prompt), ``"tools"`` when the prompt
            has some, and ``"span_info"`` recording the prompt on the LLM span
            (unless ``no_trace``); instrumented clients strip it before sending.

        Raises:
            PromptBuildError: When a variable has no value; the message names it.
        """
        context = {**self.defaults, **variables}
        where = f"prompt {self.slug!r}"
        prompt = self.prompt
        options = self.options
        out: dict[str, Any] = dict(options.get("params") or {})
        if options.get("model"):
            out["model"] = options["model"]
        if prompt.get("type", "chat") == "completion":
            out["prompt"] = _render(str(prompt.get("content", "")), context, where)
        else:
            out["messages"] = [self._message(m, context, where)
                               for m in prompt.get("messages") or []]
        tools = prompt.get("tools")
        if tools:
            out["tools"] = json.loads(tools) if isinstance(tools, str) else tools
        if not self.no_trace:
            out["span_info"] = {"metadata": {"prompt": {
                "variables": variables, "id": self.id, "project_id": self.project_id,
                "version": self.version}}}
        return out

    @staticmethod
    def _message(message: Mapping[str, Any], context: Mapping[str, Any],
                 where: str) -> dict[str, Any]:
        out = dict(message)
        content = message.get("content")
        if isinstance(content, str):
            out["content"] = _render(content, context, where)
        elif isinstance(content, list):
            out["content"] = [
                {**part, "text": _render(part["text"], context, where)}
                if isinstance(part, Mapping) and isinstance(part.get("text"), str) else part
                for part in content]
        return out

    def __repr__(self) -> str:
        return f"<braintrust.Prompt {self.slug!r} version={self.version}>"


def _cache_dir() -> Path:
    explicit = os.environ.get("BRAINTRUST_PROMPT_CACHE_DIR")
    return Path(explicit) if explicit else Path.home() / ".braintrust" / "prompt_cache"


def _cache_key(*parts: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "__".join(str(p) for p in parts)) + ".json"


def load_prompt(
    project: str | None = None,
    slug: str | None = None,
    version: str | int | None = None,
    project_id: str | None = None,
    id: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    no_trace: bool = False,
    environment: str | None = None,
    app_url: str | None = None,
    api_key: str | None = None,
    org_name: str | None = None,
) -> Prompt:
    """Loads a prompt by project and slug (or by id), the latest or a given version.

    From the service, loaded prompts are also cached on disk
    (``BRAINTRUST_PROMPT_CACHE_DIR``, ``~/.braintrust/prompt_cache``), so a
    process can still build a prompt it loaded before while the service is
    unreachable.

    Args:
        project: The project name (or ``project_id``).
        slug: The prompt's slug.
        version: A version (as ``prompt.version`` shows); the latest by default.
        project_id: The project id.
        id: The prompt id, instead of project and slug.
        defaults: Values for variables that ``build()`` is not given.
        no_trace: Leave ``span_info`` out of what ``build()`` returns.
        environment: An environment name (service only).
        app_url, api_key, org_name: As for :func:`braintrust.init_logger`.

    Returns:
        The :class:`Prompt`.

    Raises:
        ValueError: When no such prompt, project or version exists; the
            message names what was not found.
    """
    if id is None and not slug:
        raise ValueError("load_prompt(): pass slug= (with project= or project_id=) or id=")
    if id is None and not (project or project_id):
        raise ValueError("load_prompt(): pass project= or project_id= with slug=")
    from ._logger import _connect

    _connect(api_key, app_url, org_name, False)
    store = _state.local_store()
    what = f"prompt {slug!r} in project {project or project_id!r}" if id is None \
        else f"prompt id {id!r}"
    if version is not None:
        what += f" at version {version}"
    if store is not None:
        pid = project_id
        if id is None and pid is None:
            found_project = store.find_project(name=project)
            if found_project is None:
                raise ValueError(f"load_prompt(): no project named {project!r}")
            pid = found_project["id"]
        if version is not None and not str(version).isdigit():
            raise ValueError(f"load_prompt(): no {what}")
        data = store.find_prompt(project_id=pid, slug=slug, id=id,
                                 version=int(version) if version is not None else None)
        if data is None:
            raise ValueError(f"load_prompt(): no {what}")
        return Prompt(data, defaults, no_trace)
    return Prompt(_load_remote(project, slug, version, project_id, id, environment, what),
                  defaults, no_trace)


def _load_remote(project: str | None, slug: str | None, version: Any, project_id: str | None,
                 id: str | None, environment: str | None, what: str) -> dict[str, Any]:
    conn = _state.connection()
    assert conn is not None
    key = _cache_key(id or project_id or project, slug, version or "latest", environment or "")
    path = _cache_dir() / key
    try:
        if id is not None:
            resp = conn.request("GET", f"/v1/prompt/{id}")
            objects = [resp.json()] if resp.ok else []
        else:
            params: dict[str, Any] = {"slug": slug}
            params["project_id" if project_id else "project_name"] = project_id or project
            if version is not None:
                params["version"] = str(version)
            if environment is not None:
                params["environment"] = environment
            resp = conn.request("GET", "/v1/prompt", params=params)
            objects = resp.json().get("objects") or [] if resp.ok else []
        if not resp.ok and resp.status_code not in (400, 404):
            resp.raise_for_status()
    except Exception as exc:
        if path.exists():
            diagnostics.report("prompt_cache", f"service unreachable; using the cached {what}",
                               exc)
            return dict(json.loads(path.read_text()))
        raise ValueError(f"load_prompt(): could not load {what} and it is not cached: "
                         f"{type(exc).__name__}: {exc}") from None
    if not objects:
        raise ValueError(f"load_prompt(): no {what}")
    data = dict(objects[0])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
    except OSError as exc:
        diagnostics.report("prompt_cache", "could not cache a loaded prompt", exc)
    return data


class _Prompts:
    """``project.prompts``: creates prompt versions in a project."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def create(
        self,
        name: str,
        slug: str | None = None,
        description: str | None = None,
        prompt: str | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        model: str | None = None,
        params: Mapping[str, Any] | None = None,
        tools: Sequence[Mapping[str, Any]] | None = None,
        if_exists: str = "replace",
        tags: Sequence[str] | None = None,
    ) -> Prompt:
        """Saves a new version of a prompt (a chat prompt with ``messages``, or a
        completion prompt with ``prompt``).

        Args:
            name: The display name.
            slug: The stable name ``load_prompt`` uses; from ``name`` by default.
            description: A description.
            prompt: A completion template (instead of ``messages``).
            messages: Chat messages (``role``, ``content``), mustache templates.
            model: The model to call.
            params: Call parameters (temperature, max_tokens, ...).
            tools: Tool definitions (OpenAI format).
            if_exists: ``replace`` saves a new version; ``ignore`` keeps the
                existing prompt; ``error`` raises when the slug exists.
            tags: Tags.

        Returns:
            The saved :class:`Prompt`.
        """
        if (prompt is None) == (messages is None):
            raise ValueError("prompts.create(): pass exactly one of prompt= and messages=")
        if if_exists not in ("replace", "ignore", "error"):
            raise ValueError("prompts.create(): if_exists must be replace, ignore or error")
        slug = slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        block: dict[str, Any] = ({"type": "completion", "content": prompt} if prompt is not None
                                 else {"type": "chat", "messages": [dict(m) for m in messages
                                                                    or []]})
        if tools:
            block["tools"] = json.dumps(list(tools))
        data: dict[str, Any] = {"name": name, "description": description,
                                "prompt_data": {"prompt": block, "options": {
                                    "model": model, "params": dict(params or {})}},
                                "tags": list(tags or [])}
        store = _state.local_store()
        if store is not None:
            pid = self._project.id
            existing = store.find_prompt(project_id=pid, slug=slug)
            if existing is not None and if_exists != "replace":
                if if_exists == "error":
                    raise ValueError(f"prompts.create(): prompt {slug!r} exists")
                return Prompt(existing)
            saved = store.save_prompt(pid, slug, data)
        else:
            conn = _state.connection()
            assert conn is not None
            body = {"project_id": self._project.id, "slug": slug, **data}
            resp = conn.request("POST" if if_exists != "replace" else "PUT", "/v1/prompt",
                                json=body)
            if not resp.ok:
                raise ValueError(f"prompts.create(): saving {slug!r} failed "
                                 f"(HTTP {resp.status_code}: {resp.text[:300]})")
            saved = resp.json()
        _created.append(slug)
        return Prompt(saved)


_created: list[str] = []


class _Tools:
    """``project.tools``: Python functions callable by :func:`braintrust.invoke`."""

    def __init__(self, project: Project) -> None:
        self._project = project

    def create(self, handler: Any, name: str | None = None, slug: str | None = None,
               description: str | None = None) -> Any:
        """Registers ``handler`` as a function of the project, for this process.

        Returns:
            ``handler``, unchanged.
        """
        from ._functions import register_tool

        label = str(name or getattr(handler, "__name__", None) or "tool")
        slug = slug or re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        register_tool(self._project.name, slug, handler)
        return handler


class Project:
    """A project, for creating prompts and tools from code (``projects.create(name)``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.prompts = _Prompts(self)
        self.tools = _Tools(self)
        self._id: Optional[str] = None

    @property
    def id(self) -> str:
        """The project id (registered when first needed)."""
        if self._id is None:
            store = _state.local_store()
            if store is not None:
                self._id = store.ensure_project(name=self.name)["id"]
            else:
                conn = _state.connection()
                assert conn is not None
                self._id = conn.project_id(self.name)
        return self._id


class _Projects:
    """``braintrust.projects``: ``projects.create(name)`` returns a :class:`Project`."""

    def create(self, name: str = GLOBAL_PROJECT) -> Project:
        """Returns the project called ``name`` (created when first used)."""
        if not isinstance(name, str) or not name:
            raise TypeError("projects.create(): name must be a non-empty str")
        _state.tracer()
        return Project(name)


projects = _Projects()
