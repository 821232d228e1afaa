"""Prompts: load_prompt, and Prompt.build turning a saved prompt into call arguments."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from ._loading import load_saved
from ._prompt_schema import plain
from ._render import BRAINTRUST_PARAMS, render, render_message, render_params

__all__ = ["BRAINTRUST_PARAMS", "Prompt", "PromptBlock", "load_prompt"]

#: Fields of the saved prompt's blocks and messages that read as None when absent.
_BLOCK_FIELDS = frozenset({"content", "role", "name", "function_call", "tool_calls", "tools",
                           "messages", "type", "tool_call_id"})


class PromptBlock(dict[str, Any]):
    """A part of a saved prompt (its template block, a message) read by key or attribute.

    ``prompt.prompt.messages[0].content`` and ``prompt.prompt["messages"]`` both
    work, as do ``as_dict()`` and JSON encoding (it is a dict).
    """

    def __getattr__(self, name: str) -> Any:
        if name in self:
            return _block(self[name])
        if name in _BLOCK_FIELDS:
            return None
        raise AttributeError(name)

    def __getitem__(self, key: str) -> Any:
        return _block(super().__getitem__(key))

    def as_dict(self) -> dict[str, Any]:
        """A plain-dict copy."""
        return json.loads(json.dumps(self, default=str))  # type: ignore[no-any-return]


def _block(value: Any) -> Any:
    if isinstance(value, PromptBlock):
        return value
    if isinstance(value, Mapping):
        return PromptBlock(value)
    if isinstance(value, list):
        return [_block(v) for v in value]
    return value


class Prompt:
    """A saved prompt: messages (or a completion template), model and parameters.

    Get one with :func:`load_prompt` (or :meth:`from_prompt_data`); turn it into
    the keyword arguments of an OpenAI call with :meth:`build`. Iterating a
    prompt yields its option names and ``"chat"``/``"tools"`` (or ``"prompt"``),
    and ``prompt[name]`` reads each.
    """

    def __init__(self, data: Mapping[str, Any], defaults: Mapping[str, Any] | None = None,
                 no_trace: bool = False) -> None:
        self._data = dict(data)
        self.defaults = dict(defaults or {})
        self.no_trace = no_trace

    @classmethod
    def from_prompt_data(cls, name: str, prompt_data: Any) -> Prompt:
        """Makes a prompt that is not saved anywhere from its ``prompt_data``.

        Args:
            name: Its name (also its slug).
            prompt_data: A :class:`PromptData` or the same as a mapping
                (``{"prompt": {...}, "options": {...}}``).

        Returns:
            The :class:`Prompt`, with no id, project or version.

        Raises:
            TypeError: When ``name`` is not a str or ``prompt_data`` is neither.
        """
        if not isinstance(name, str):
            raise TypeError("Prompt.from_prompt_data(): name must be a str")
        data = plain(prompt_data, "Prompt.from_prompt_data(): prompt_data")
        return cls({"id": None, "project_id": None, "_xact_id": None, "name": name,
                    "slug": name, "description": None, "tags": None, "prompt_data": data})

    id = property(lambda self: self._data.get("id"), doc="The prompt id.")
    name = property(lambda self: self._data.get("name"), doc="The prompt's name.")
    slug = property(lambda self: self._data.get("slug"), doc="The prompt's slug.")
    project_id = property(lambda self: self._data.get("project_id"), doc="Its project's id.")
    version = property(lambda self: self._data.get("_xact_id"), doc="The loaded version.")

    def __getattr__(self, name: str) -> Any:
        # Every other field of the saved prompt (description, tags, prompt_data...).
        if name.startswith("__") or name == "_data":
            raise AttributeError(name)
        if name in self._data:
            return _block(self._data[name])
        if name in ("description", "tags", "metadata", "function_type", "created"):
            return None
        raise AttributeError(f"'Prompt' object has no attribute {name!r}")

    @property
    def prompt(self) -> Optional[PromptBlock]:
        """The template block (``type`` chat or completion, ``messages`` or
        ``content``, ``tools``), or None when the prompt has none."""
        block = (self._data.get("prompt_data") or {}).get("prompt")
        return PromptBlock(block) if block else None

    @property
    def options(self) -> dict[str, Any]:
        """``model`` and ``params`` (temperature, max_tokens, ...)."""
        return dict((self._data.get("prompt_data") or {}).get("options") or {})

    def build(self, **build_args: Any) -> dict[str, Any]:
        """Renders the prompt with ``build_args`` (mustache) into call arguments.

        Args:
            **build_args: Template variables. ``strict=True`` makes a variable
                without a value an error (otherwise it renders empty).

        Returns:
            The ``defaults`` given to :func:`load_prompt`, the prompt's params
            (less Braintrust-only ones such as ``use_cache``), ``model``,
            ``span_info`` recording the prompt on the LLM span (unless
            ``no_trace``; instrumented clients strip it before sending), and
            ``messages`` and ``tools`` for a chat prompt or ``prompt`` for a
            completion prompt.

        Raises:
            ValueError: When there is no model, no template, or (strict) a
                variable has no value; the message says which.
        """
        strict = bool(build_args.get("strict", False))
        options = self.options
        out: dict[str, Any] = {**self.defaults,
                               **render_params(options.get("params") or {}, build_args,
                                               strict)}
        if "model" in options:
            out["model"] = options["model"]
        if out.get("model") is None:
            raise ValueError(f"Prompt.build(): prompt {self.slug!r} has no model; give it one "
                             "or pass defaults={'model': ...} to load_prompt()")
        if not self.no_trace:
            out["span_info"] = {"metadata": {"prompt": {
                "variables": build_args, "id": self.id, "project_id": self.project_id,
                "version": self.version}}}
        block = self.prompt
        if not block:
            raise ValueError(f"Prompt.build(): prompt {self.slug!r} has no template")
        if block.get("type") == "completion":
            out["prompt"] = render(str(block.get("content") or ""), build_args, strict)
        elif block.get("type") == "chat":
            out["messages"] = [render_message(m, build_args, strict)
                               for m in dict.get(block, "messages") or []]
            tools = dict.get(block, "tools")
            if isinstance(tools, str) and tools.strip():
                out["tools"] = json.loads(render(tools, build_args, strict))
            elif isinstance(tools, list) and tools:
                out["tools"] = tools
        return out

    def _keys(self) -> list[str]:
        block = self.prompt
        keys = list(self.options)
        keys += ["prompt"] if block is not None and block.get("type") == "completion" \
            else ["chat", "tools"]
        return keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __getitem__(self, key: str) -> Any:
        block = self.prompt or PromptBlock()
        if key == "prompt":
            return block.content
        if key == "chat":
            return block.messages
        if key == "tools":
            return block.tools
        return self.options[key]

    def __repr__(self) -> str:
        return f"<braintrust.Prompt {self.slug!r} version={self.version}>"


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
        BraintrustHTTPError: When the service refuses (a 4xx answer), or fails
            and the prompt is not cached (also a ValueError).
        BraintrustTransportError: When the service does not answer and the
            prompt is not cached (also a ValueError).
    """
    data = load_saved("load_prompt()", "prompt", "find_prompt", project=project, slug=slug,
                      version=version, project_id=project_id, id=id, environment=environment,
                      app_url=app_url, api_key=api_key, org_name=org_name)
    return Prompt(data, defaults, no_trace)
