"""Functions defined in code: projects.create(...).tools/prompts/scorers, publish, push.

Creating a tool, prompt or scorer only records it on its :class:`Project`;
``project.publish()`` (or ``braintrust push <file>``) saves the prompts (and,
for push, the code functions) as function definitions: the body the service's
``/insert-functions`` takes, or the embedded store's functions table. Code
functions are also callable by :func:`braintrust.invoke` in the process that
made them, published or not.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Optional, Union

from . import _state
from ._logger import GLOBAL_PROJECT

__all__ = ["CodeFunction", "CodePrompt", "Project", "ProjectBuilder", "projects"]

_IF_EXISTS = ("error", "replace", "ignore")


def slugify(name: str) -> str:
    """A URL-safe slug of ``name``: lower-case ASCII words joined by dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _check_if_exists(where: str, if_exists: Optional[str]) -> None:
    if if_exists is not None and if_exists not in _IF_EXISTS:
        raise ValueError(f"{where}: if_exists must be one of {', '.join(_IF_EXISTS)} or None, "
                         f"got {if_exists!r}")


def json_schema(model: Any) -> Any:
    """The JSON schema of a pydantic model (v2 or v1); other values unchanged."""
    if hasattr(model, "model_json_schema"):
        return model.model_json_schema()
    if hasattr(model, "schema") and isinstance(model, type):
        return model.schema()  # type: ignore[attr-defined]
    return model


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
                               project_ids: Callable[[Project], str]) -> dict[str, Any]:
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
        if self.description is not None:
            out["description"] = self.description
        if self.function_type is not None:
            out["function_type"] = self.function_type
        if self.metadata is not None:
            out["metadata"] = self.metadata
        if self.tags is not None:
            out["tags"] = list(self.tags)
        return out


class _Collected:
    """What a file run by ``braintrust push`` defined, in order."""

    def __init__(self) -> None:
        self.functions: list[CodeFunction] = []
        self.prompts: list[CodePrompt] = []


#: Set while ``braintrust push`` imports a file: definitions are collected here.
_collecting: Optional[_Collected] = None


@contextmanager
def collecting() -> Iterator[_Collected]:
    """Collects every tool, scorer and prompt created while the block runs (push)."""
    global _collecting
    previous, _collecting = _collecting, _Collected()
    try:
        yield _collecting
    finally:
        _collecting = previous


def _register_code(function: CodeFunction) -> None:
    from ._functions import register_tool

    register_tool(function.project.name, function.slug, function.handler)
    function.project.add_code_function(function)


def _register_prompt(prompt: CodePrompt) -> None:
    prompt.project._prompts.append(prompt)
    if _collecting is not None:
        _collecting.prompts.append(prompt)


def _prompt_data(where: str, prompt: Optional[str], messages: Optional[Sequence[Any]],
                 model: Optional[str], params: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    if (prompt is None) == (messages is None):
        raise ValueError(f"{where}: pass exactly one of prompt= and messages=")
    if not isinstance(model, str) or not model:
        raise TypeError(f"{where}: model must be a non-empty str")
    block: dict[str, Any] = ({"type": "chat", "messages": [dict(m) for m in messages]}
                             if messages is not None
                             else {"type": "completion", "content": prompt})
    options: dict[str, Any] = {"model": model}
    if params is not None:
        options["params"] = dict(params)
    return {"prompt": block, "options": options}


class ToolBuilder:
    """``project.tools``: makes Python functions into tools."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._count = 0

    def create(self, *, handler: Callable[..., Any], name: Optional[str] = None,
               slug: Optional[str] = None, description: Optional[str] = None,
               parameters: Any = None, returns: Any = None, if_exists: Optional[str] = None,
               metadata: Optional[dict[str, Any]] = None,
               tags: Optional[Sequence[str]] = None) -> CodeFunction:
        """Makes ``handler`` a tool of the project.

        Args:
            handler: The function called when the tool is used.
            name: Its name; the handler's name by default.
            slug: Its stable name; from ``name`` by default.
            description: What it does.
            parameters: Its input schema (a pydantic model); needed to push it.
            returns: Its output schema (a pydantic model).
            if_exists: ``error``, ``replace`` or ``ignore`` when the slug exists.
            metadata: Custom metadata.
            tags: Tags.

        Returns:
            The :class:`CodeFunction` (callable like ``handler``; pass it in a
            prompt's ``tools``).
        """
        self._count += 1
        return _code_function(self.project, "tools.create()", "tool", f"Tool {self._count}",
                              handler, name, slug, description, parameters, returns,
                              if_exists, metadata, tags)


def _code_function(project: Project, where: str, kind: str, fallback: str,
                   handler: Callable[..., Any], name: Optional[str], slug: Optional[str],
                   description: Optional[str], parameters: Any, returns: Any,
                   if_exists: Optional[str], metadata: Optional[dict[str, Any]],
                   tags: Optional[Sequence[str]]) -> CodeFunction:
    if not callable(handler):
        raise TypeError(f"{where}: handler must be callable")
    _check_if_exists(where, if_exists)
    if not name:
        own = getattr(handler, "__name__", None)
        name = own if own and own != "<lambda>" else fallback
    function = CodeFunction(project=project, handler=handler, name=name,
                            slug=slug or slugify(name), type_=kind, description=description,
                            parameters=parameters, returns=returns, if_exists=if_exists,
                            metadata=metadata, tags=tags)
    _register_code(function)
    return function


class PromptBuilder:
    """``project.prompts``: prompts defined in code."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._count = 0

    def create(self, *, name: Optional[str] = None, slug: Optional[str] = None,
               description: Optional[str] = None, id: Optional[str] = None,
               prompt: Optional[str] = None, messages: Optional[Sequence[Any]] = None,
               model: Optional[str] = None, params: Optional[Mapping[str, Any]] = None,
               tools: Optional[Sequence[Any]] = None, if_exists: Optional[str] = None,
               metadata: Optional[dict[str, Any]] = None,
               tags: Optional[Sequence[str]] = None) -> CodePrompt:
        """Defines a chat prompt (``messages``) or a completion prompt (``prompt``).

        Args:
            name: Its name; ``Prompt <n>`` by default.
            slug: The stable name :func:`braintrust.load_prompt` uses; from ``name``.
            description: A description.
            id: A prompt id to save it under.
            prompt: A completion template (mustache).
            messages: Chat messages (``role``, ``content``), mustache templates.
            model: The model to call (required).
            params: Call parameters (temperature, max_tokens, use_cache...).
            tools: :class:`CodeFunction` tools, saved function ids
                (``{"type": "slug"|"global"|"function", ...}``) or OpenAI tool
                definitions (``{"type": "function", "function": {...}}``).
            if_exists: ``error``, ``replace`` or ``ignore`` when the slug exists.
            metadata: Custom metadata.
            tags: Tags.

        Returns:
            The :class:`CodePrompt`; ``project.publish()`` saves it.

        Raises:
            ValueError: When both or neither of ``prompt`` and ``messages`` are given.
            TypeError: When ``model`` is missing.
        """
        self._count += 1
        _check_if_exists("prompts.create()", if_exists)
        data = _prompt_data("prompts.create()", prompt, messages, model, params)
        tool_functions: list[Union[CodeFunction, dict[str, Any]]] = []
        raw_tools: list[Any] = []
        for tool in tools or []:
            if isinstance(tool, CodeFunction):
                tool_functions.append(tool)
            elif isinstance(tool, Mapping) and "type" in tool and "function" not in tool:
                tool_functions.append(dict(tool))
            else:
                raw_tools.append(tool)
        if raw_tools and messages is not None:
            data["prompt"]["tools"] = json.dumps(raw_tools)
        name = name or f"Prompt {self._count}"
        code_prompt = CodePrompt(project=self.project, name=name, slug=slug or slugify(name),
                                 prompt=data, tool_functions=tool_functions,
                                 description=description, function_type=None, id=id,
                                 if_exists=if_exists, metadata=metadata, tags=tags)
        _register_prompt(code_prompt)
        return code_prompt


class ScorerBuilder:
    """``project.scorers``: code scorers (a handler) and LLM scorers (a prompt)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._count = 0

    def create(self, *, name: Optional[str] = None, slug: Optional[str] = None,
               description: Optional[str] = None, if_exists: Optional[str] = None,
               metadata: Optional[dict[str, Any]] = None, tags: Optional[Sequence[str]] = None,
               handler: Optional[Callable[..., Any]] = None, parameters: Any = None,
               returns: Any = None, prompt: Optional[str] = None,
               messages: Optional[Sequence[Any]] = None, model: Optional[str] = None,
               params: Optional[Mapping[str, Any]] = None, use_cot: Optional[bool] = None,
               choice_scores: Optional[Mapping[str, float]] = None
               ) -> Union[CodeFunction, CodePrompt]:
        """Defines a scorer: either code (``handler`` and ``parameters``) or an LLM
        classifier (``prompt`` or ``messages``, ``model``, ``use_cot``,
        ``choice_scores``).

        Args:
            name: Its name; the handler's name or ``Scorer <n>`` by default.
            slug: Its stable name; from ``name`` by default.
            description, if_exists, metadata, tags: As for ``tools.create``.
            handler: The scoring function (code scorer).
            parameters: Its input schema, a pydantic model (code scorer).
            returns: Its output schema (code scorer).
            prompt, messages, model, params: The judge prompt (LLM scorer).
            use_cot: Whether the judge reasons before choosing (LLM scorer).
            choice_scores: The score of each choice (LLM scorer).

        Returns:
            A :class:`CodeFunction` for a code scorer, a :class:`CodePrompt` for
            an LLM scorer.

        Raises:
            TypeError: When a required argument of the chosen kind is missing.
        """
        self._count += 1
        if handler is not None:
            if parameters is None:
                raise TypeError("scorers.create(): a code scorer needs parameters= "
                                "(its input schema)")
            return _code_function(self.project, "scorers.create()", "scorer",
                                  f"Scorer {self._count}", handler, name, slug, description,
                                  parameters, returns, if_exists, metadata, tags)
        _check_if_exists("scorers.create()", if_exists)
        if use_cot is None or choice_scores is None:
            raise TypeError("scorers.create(): an LLM scorer needs use_cot= and "
                            "choice_scores= (or pass handler= for a code scorer)")
        data = _prompt_data("scorers.create()", prompt, messages, model, params)
        data["parser"] = {"type": "llm_classifier", "use_cot": use_cot,
                          "choice_scores": dict(choice_scores)}
        name = name or f"Scorer {self._count}"
        scorer = CodePrompt(project=self.project, name=name, slug=slug or slugify(name),
                            prompt=data, tool_functions=[], description=description,
                            function_type="scorer", id=None, if_exists=if_exists,
                            metadata=metadata, tags=tags)
        _register_prompt(scorer)
        return scorer


class ClassifierBuilder:
    """``project.classifiers``: Python functions that label outputs."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._count = 0

    def create(self, *, handler: Callable[..., Any], name: Optional[str] = None,
               slug: Optional[str] = None, description: Optional[str] = None,
               parameters: Any = None, returns: Any = None, if_exists: Optional[str] = None,
               metadata: Optional[dict[str, Any]] = None,
               tags: Optional[Sequence[str]] = None) -> CodeFunction:
        """Makes ``handler`` a classifier of the project; arguments as for ``tools.create``.

        Returns:
            The :class:`CodeFunction`.
        """
        self._count += 1
        return _code_function(self.project, "classifiers.create()", "classifier",
                              f"Classifier {self._count}", handler, name, slug, description,
                              parameters, returns, if_exists, metadata, tags)


class Project:
    """A project, for defining tools, prompts and scorers in code.

    Args:
        name: The project's name.
        project_group_name: A project group to create the project in (service).
    """

    def __init__(self, name: str, project_group_name: Optional[str] = None) -> None:
        self.name = name
        self.project_group_name = project_group_name
        self.tools = ToolBuilder(self)
        self.prompts = PromptBuilder(self)
        self.scorers = ScorerBuilder(self)
        self.classifiers = ClassifierBuilder(self)
        self._functions: list[CodeFunction] = []
        self._prompts: list[CodePrompt] = []
        self._id: Optional[str] = None

    @property
    def id(self) -> str:
        """The project id (the project is registered when first needed)."""
        if self._id is None:
            self._id = _project_id(self.name, self.project_group_name)
        return self._id

    def add_code_function(self, function: CodeFunction) -> None:
        """Adds a code function to what this project pushes (``create`` already does)."""
        if not isinstance(function, CodeFunction):
            raise TypeError("add_code_function(): pass a CodeFunction")
        self._functions.append(function)
        if _collecting is not None:
            _collecting.functions.append(function)

    def add_prompt(self, prompt: CodePrompt) -> None:
        """Adds a prompt to what :meth:`publish` saves (``prompts.create`` already
        does; adding it again sends it twice, as the official SDK does)."""
        if not isinstance(prompt, CodePrompt):
            raise TypeError("add_prompt(): pass a CodePrompt")
        _register_prompt(prompt)

    def publish(self) -> Any:
        """Saves the prompts and LLM scorers defined on this project.

        Code functions are not saved by ``publish()`` (a warning says so): push
        their file with ``braintrust push``. Inside ``braintrust push`` this
        does nothing, since push saves everything.

        Returns:
            The service's answer to ``/insert-functions``; on the embedded
            store, ``{"functions": [saved...]}``.
        """
        if _collecting is not None:
            print("publish() does nothing while `braintrust push` runs: push saves "
                  "everything", file=sys.stderr)
            return None
        _state.tracer()
        if self._functions:
            print("Code functions cannot be published with publish(); push their file with "
                  "`braintrust push`", file=sys.stderr)
        ids = _ProjectIds()
        return save_definitions([p.to_function_definition(None, ids) for p in self._prompts])

    def __repr__(self) -> str:
        return f"<braintrust Project {self.name!r}>"


class _ProjectIds:
    """Project ids by name, each registered once per publish or push."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def __call__(self, project: Project) -> str:
        if project.name not in self._ids:
            self._ids[project.name] = _project_id(project.name, project.project_group_name)
        return self._ids[project.name]


def _project_id(name: str, project_group_name: Optional[str] = None) -> str:
    return str(_state.backend().ensure_project(name=name, group=project_group_name)["id"])


def save_definitions(definitions: list[dict[str, Any]]) -> Any:
    """Saves function definitions (the ``/insert-functions`` body) to the backend.

    Args:
        definitions: Each with ``project_id``, ``slug``, ``name``,
            ``function_data`` and the rest as ``to_function_definition`` makes.

    Returns:
        The service's answer, or ``{"functions": [saved...]}`` from the
        embedded store.

    Raises:
        ValueError: When a slug exists and its ``if_exists`` is ``error``, or
            the service refuses the definitions.
    """
    return _state.backend().save_functions(definitions)


class ProjectBuilder:
    """``braintrust.projects``: ``projects.create(name)`` returns a :class:`Project`."""

    def create(self, name: str = GLOBAL_PROJECT,
               project_group_name: Optional[str] = None) -> Project:
        """Returns a handle to the project ``name`` (registered when first needed).

        Args:
            name: The project's name.
            project_group_name: A project group to create it in (service only).
        """
        if not isinstance(name, str) or not name:
            raise TypeError("projects.create(): name must be a non-empty str")
        return Project(name, project_group_name=project_group_name)


projects = ProjectBuilder()
