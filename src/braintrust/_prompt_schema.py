"""The saved prompt's shape as dataclasses: PromptData, PromptMessage, PromptSchema...

These are what the official SDK names the parts of a prompt. Code may build
a prompt from them (``Prompt.from_prompt_data(name, PromptData(...))``,
``prompts.create(messages=[PromptMessage(...)])``) or read one into them
(``PromptSchema.from_dict_deep(row)``). Each converts with ``as_dict()`` /
``from_dict_deep()`` (:class:`~._serial.Serializable`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Optional, Union

from ._serial import Serializable

__all__ = ["FunctionCall", "ImagePart", "ImageURL", "PromptChatBlock", "PromptCompletionBlock",
           "PromptData", "PromptMessage", "PromptSchema", "TextPart", "ToolCall",
           "plain"]


@dataclasses.dataclass
class PromptCompletionBlock(Serializable):
    """A completion prompt: one mustache template.

    Args:
        content: The template.
    """

    content: str
    type: str = "completion"


@dataclasses.dataclass
class FunctionCall(Serializable):
    """A function call an assistant message made.

    Args:
        name: The function's name.
        arguments: Its arguments, as JSON text.
    """

    name: str
    arguments: str


@dataclasses.dataclass
class ToolCall(Serializable):
    """A tool call an assistant message made.

    Args:
        id: The call's id.
        function: The function called.
    """

    id: str
    function: FunctionCall
    type: str = "function"


@dataclasses.dataclass
class TextPart(Serializable):
    """A text part of a message's content.

    Args:
        text: The text (a mustache template in a saved prompt).
    """

    text: str
    type: str = "text"


@dataclasses.dataclass
class ImageURL(Serializable):
    """Where an image part's image is.

    Args:
        url: An ``https:`` or ``data:`` URL (a mustache template in a saved prompt).
        detail: ``auto``, ``low`` or ``high``.
    """

    url: str
    detail: str = "auto"


@dataclasses.dataclass
class ImagePart(Serializable):
    """An image part of a message's content.

    Args:
        image_url: The image.
    """

    image_url: ImageURL
    type: str = "image_url"


@dataclasses.dataclass
class PromptMessage(Serializable):
    """One chat message of a prompt.

    Args:
        content: The text, or a list of :class:`TextPart` and :class:`ImagePart`.
        role: ``system``, ``user``, ``assistant``, ``function``, ``tool`` or ``model``.
        name: The author's name.
        function_call: A function call (assistant).
        tool_calls: Tool calls (assistant).
    """

    content: Union[str, list[Union[TextPart, ImagePart]]]
    role: str
    name: Optional[str] = None
    function_call: Union[str, FunctionCall, None] = None
    tool_calls: Optional[list[ToolCall]] = None


@dataclasses.dataclass
class PromptChatBlock(Serializable):
    """A chat prompt: messages, and tool definitions as JSON text.

    Args:
        messages: The messages.
        tools: OpenAI tool definitions, as JSON text.
    """

    messages: list[PromptMessage]
    tools: Optional[str] = None
    type: str = "chat"


@dataclasses.dataclass
class PromptData(Serializable):
    """What a saved prompt holds: its template block and its options.

    Args:
        prompt: A :class:`PromptChatBlock` or :class:`PromptCompletionBlock`.
        options: ``{"model": ..., "params": {...}}``.
    """

    prompt: Union[PromptCompletionBlock, PromptChatBlock, None] = None
    options: Optional[dict[str, Any]] = None


@dataclasses.dataclass
class PromptSchema(Serializable):
    """A saved prompt as the service returns it.

    Args:
        id: The prompt id.
        project_id: Its project's id.
        _xact_id: The version.
        name: Its name.
        slug: Its slug.
        description: Its description.
        prompt_data: Its :class:`PromptData`.
        tags: Its tags.
    """

    id: Optional[str]
    project_id: Optional[str]
    _xact_id: Optional[str]
    name: str
    slug: str
    description: Optional[str]
    prompt_data: PromptData
    tags: Optional[list[str]]


def _without_nones(value: Any) -> Any:
    # A dataclass's unset optional fields are None; a saved prompt leaves them out.
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def plain(value: Any, what: str) -> dict[str, Any]:
    """A prompt part as the dict a saved prompt holds: one of these dataclasses
    (its unset fields left out) or any mapping (copied).

    Args:
        value: The part.
        what: Names the argument in the error.

    Raises:
        TypeError: When ``value`` is neither.
    """
    if isinstance(value, Serializable):
        return dict(_without_nones(value.as_dict()))
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{what} must be a dict or a prompt dataclass (PromptMessage, "
                    f"PromptData...), got {type(value).__name__}")
