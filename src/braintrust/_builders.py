"""The builders on a project: ``project.tools``, ``prompts``, ``scorers``,
``classifiers`` and ``parameters``, each with one ``create`` method.

Creating only records the definition on its :class:`~._project.Project`
(and, while ``braintrust push`` runs, in what push collects); publishing or
pushing saves it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

from ._definitions import CodeFunction, CodeParameters, CodePrompt, slugify
from ._prompt_schema import plain

if TYPE_CHECKING:
    from ._project import Project

__all__ = ["ClassifierBuilder", "ParametersBuilder", "PromptBuilder", "ScorerBuilder",
           "ToolBuilder"]

_IF_EXISTS = ("error", "replace", "ignore")


def _check_if_exists(where: str, if_exists: Optional[str]) -> None:
    if if_exists is not None and if_exists not in _IF_EXISTS:
        raise ValueError(f"{where}: if_exists must be one of {', '.join(_IF_EXISTS)} or None, "
                         f"got {if_exists!r}")


def _prompt_data(where: str, prompt: Optional[str], messages: Optional[Sequence[Any]],
                 model: Optional[str], params: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    if (prompt is None) == (messages is None):
        raise ValueError(f"{where}: pass exactly one of prompt= and messages=")
    if not isinstance(model, str) or not model:
        raise TypeError(f"{where}: model must be a non-empty str")
    block: dict[str, Any] = (
        {"type": "chat", "messages": [plain(m, f"{where}: each message") for m in messages]}
        if messages is not None else {"type": "completion", "content": prompt})
    options: dict[str, Any] = {"model": model}
    if params is not None:
        options["params"] = dict(params)
    return {"prompt": block, "options": options}


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
    from ._run_local import register_tool

    register_tool(project.name, function.slug, handler)
    project.add_code_function(function)
    return function


class _Builder:
    """What every builder keeps: its project, and how many it made (for default names)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._count = 0


class _HandlerBuilder(_Builder):
    # Tools and classifiers are made the same way; only their kind differs.
    _kind = ""

    def create(self, *, handler: Callable[..., Any], name: Optional[str] = None,
               slug: Optional[str] = None, description: Optional[str] = None,
               parameters: Any = None, returns: Any = None, if_exists: Optional[str] = None,
               metadata: Optional[dict[str, Any]] = None,
               tags: Optional[Sequence[str]] = None) -> CodeFunction:
        """Makes ``handler`` a function of this kind (a tool, a classifier) in the project.

        Args:
            handler: The function called when it is used.
            name: Its name; the handler's name by default.
            slug: Its stable name; from ``name`` by default.
            description: What it does.
            parameters: Its input schema (a pydantic model); needed to push it.
            returns: Its output schema (a pydantic model).
            if_exists: ``error``, ``replace`` or ``ignore`` when the slug exists.
            metadata: Custom metadata.
            tags: Tags.

        Returns:
            The :class:`CodeFunction` (callable like ``handler``; a tool can be
            passed in a prompt's ``tools``).
        """
        self._count += 1
        return _code_function(self.project, f"{self._kind}s.create()", self._kind,
                              f"{self._kind.capitalize()} {self._count}", handler, name, slug,
                              description, parameters, returns, if_exists, metadata, tags)


class ToolBuilder(_HandlerBuilder):
    """``project.tools``: makes Python functions into tools.

    Args:
        project: The project the tools belong to.
    """

    _kind = "tool"


class PromptBuilder(_Builder):
    """``project.prompts``: prompts defined in code.

    Args:
        project: The project the prompts belong to.
    """

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
            messages: Chat messages, dicts (``role``, ``content``) or
                :class:`~braintrust.PromptMessage`; mustache templates.
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
            TypeError: When ``model`` is missing or a message is not a dict or
                a PromptMessage.
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
        self.project.add_prompt(code_prompt)
        return code_prompt


class ScorerBuilder(_Builder):
    """``project.scorers``: code scorers (a handler) and LLM scorers (a prompt).

    Args:
        project: The project the scorers belong to.
    """

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
        self.project.add_prompt(scorer)
        return scorer


class ClassifierBuilder(_HandlerBuilder):
    """``project.classifiers``: Python functions that label outputs.

    Args:
        project: The project the classifiers belong to.
    """

    _kind = "classifier"


class ParametersBuilder(_Builder):
    """``project.parameters``: evaluation parameters saved in the project.

    Args:
        project: The project the parameters belong to.
    """

    def create(self, *, name: str, schema: Mapping[str, Any], slug: Optional[str] = None,
               description: Optional[str] = None, if_exists: Optional[str] = None,
               metadata: Optional[Mapping[str, Any]] = None) -> Mapping[str, Any]:
        """Defines parameters that ``project.publish()`` (or ``braintrust push``) saves
        and :func:`braintrust.load_parameters` reads back.

        Args:
            name: Their name.
            schema: Each parameter's kind: ``{"type": "prompt", "default":
                PromptData | dict, "description": ...}``, ``{"type": "model",
                "default": "gpt-4o"}``, a pydantic model (one field named
                ``value`` stands for that value), or None (any value).
            slug: Their stable name; from ``name`` by default.
            description: A description.
            if_exists: ``error``, ``replace`` or ``ignore`` when the slug exists.
            metadata: Custom metadata.

        Returns:
            ``schema`` itself, to pass as an Eval's ``parameters``.

        Raises:
            TypeError: When ``name`` is not a non-empty str, or ``schema`` holds
                an entry of no known kind.
        """
        if not isinstance(name, str) or not name:
            raise TypeError("parameters.create(): name must be a non-empty str")
        _check_if_exists("parameters.create()", if_exists)
        from ._parameters import parameters_json_schema

        parameters_json_schema(schema)  # a bad schema fails here, not at publish
        self.project.add_parameters(CodeParameters(
            project=self.project, name=name, slug=slug or slugify(name),
            description=description, schema=schema, if_exists=if_exists, metadata=metadata))
        return schema
