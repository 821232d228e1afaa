"""invoke, invoke_async and init_function: calling saved functions (prompts, tools, scorers).

Where the backend runs functions (the service) the call goes there; where it
runs none (the embedded store) it runs here, traced as a ``function`` span
(:mod:`._run_local`). Streamed output is a :class:`~._stream.BraintrustStream`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Callable, TypeVar

from typing_extensions import ParamSpec  # typing has it from Python 3.10

from braintrust_otel.api_errors import BraintrustAPIError, BraintrustHTTPError, with_detail
from braintrust_otel.backends import FunctionError, NotFound

from . import _state
from ._run_local import run_local
from ._span import start_span
from ._stream import BraintrustInvokeError, BraintrustStream, chunks_from_sse

__all__ = ["BraintrustInvokeError", "BraintrustStream", "init_function", "invoke",
           "invoke_async"]

P = ParamSpec("P")
R = TypeVar("R")


def _parent_slug(parent: Any) -> str:
    # What the service traces the invocation under: the given parent, else the
    # current span, else the current experiment or logger, else nothing ("").
    if isinstance(parent, str):
        return parent
    if parent is not None:
        if not hasattr(parent, "export"):
            raise TypeError("invoke(): parent must be a span, logger, experiment or an "
                            f"exported slug (str), got {type(parent).__name__}")
        return str(parent.export())
    from ._span import current_span

    slug = current_span().export()
    if slug:
        return slug
    owner = getattr(_state, "current_experiment", None) or _state.current_logger
    return str(owner.export()) if owner is not None else ""


def _not_found(exc: NotFound, what: Any, project_name: str | None) -> ValueError:
    # The service's 404 keeps its status and request details (a BraintrustHTTPError,
    # which is a ValueError); the message names the function either way.
    detail = f"invoke(): no function {what!r}" \
             f"{f' in project {project_name!r}' if project_name else ''}"
    cause = exc.__cause__
    return with_detail(cause, detail) if isinstance(cause, BraintrustHTTPError) \
        else ValueError(detail)


def invoke(
    function_id: str | None = None,
    version: str | None = None,
    prompt_session_id: str | None = None,
    prompt_session_function_id: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    slug: str | None = None,
    global_function: str | None = None,
    function_type: str | None = None,
    input: Any = None,
    messages: Sequence[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    parent: Any = None,
    stream: bool = False,
    mode: str | None = None,
    strict: bool | None = None,
    overrides: Mapping[str, Any] | None = None,
    org_name: str | None = None,
    api_key: str | None = None,
    app_url: str | None = None,
    force_login: bool = False,
) -> Any:
    """Invokes a function (a prompt, a tool, a scorer...) and returns its output.

    On the service this calls ``/function/invoke``, traced there under
    ``parent`` (by default the current span, experiment or logger). On the
    embedded store it runs here, as a ``function`` span: a Python function
    made with ``project.tools.create`` (or pushed with ``braintrust push``) is
    called, and a prompt is built and sent to the OpenAI-compatible endpoint
    in ``OPENAI_BASE_URL``.

    Args:
        function_id: The function's id (or give ``project_name`` and ``slug``).
        version: A version of it; the latest by default.
        prompt_session_id, prompt_session_function_id: A playground function
            (service only).
        project_name: The project the function is in.
        project_id: The project whose settings the call uses (service);
            on the embedded store, the project the function is in.
        slug: The function's slug.
        global_function: A built-in function by name (service only).
        function_type: The type of ``global_function``.
        input: The function's input (a prompt's template variables).
        messages: Chat messages added after a prompt's own.
        metadata: Logged with the call; ``{{metadata}}`` in a prompt.
        tags: Logged with the call.
        parent: A span, logger, experiment or exported slug to trace under.
        stream: Return a :class:`BraintrustStream` instead of the output.
        mode: For tool calls: ``auto`` or ``json`` (the first call's
            arguments), ``parallel`` (every call), ``text`` (the text).
        strict: Fail when a prompt variable has no value.
        overrides: Deep-merged into the function's data (service only).
        org_name, api_key, app_url, force_login: As for :func:`braintrust.login`.

    Returns:
        The function's output, or a :class:`BraintrustStream`.

    Raises:
        ValueError: When no function matches (the message names it), or the
            arguments name none.
        BraintrustInvokeError: When the service fails running the function.
        BraintrustHTTPError: When the service answers with another failing
            status (also a ValueError and a RuntimeError).
        BraintrustTransportError: When the service does not answer.
    """
    if function_id is None and not slug and global_function is None \
            and prompt_session_id is None:
        raise ValueError("invoke(): pass function_id=, project_name= with slug=, "
                         "global_function= or prompt_session_id=")
    from ._logger import _connect

    _connect(api_key, app_url, org_name, force_login)

    def request() -> dict[str, Any]:
        # Built only where the backend runs the function: the parent slug may
        # register the current logger's project.
        body: dict[str, Any] = {"input": input, "metadata": metadata, "tags": tags,
                                "parent": _parent_slug(parent), "stream": stream,
                                "api_version": 1}
        for key, value in (("function_id", function_id), ("version", version),
                           ("prompt_session_id", prompt_session_id),
                           ("prompt_session_function_id", prompt_session_function_id),
                           ("project_name", project_name), ("slug", slug),
                           ("global_function", global_function),
                           ("function_type", function_type), ("messages", messages),
                           ("mode", mode), ("strict", strict), ("overrides", overrides)):
            if value is not None:
                body[key] = value
        return body

    try:
        answer = _state.backend().invoke(request, project_id=project_id, org_name=org_name)
    except NotImplementedError:
        pass  # this backend runs no functions: run it here, traced as a span
    except NotFound as exc:
        raise _not_found(exc, slug or function_id or global_function, project_name) from None
    except FunctionError as exc:
        raise BraintrustInvokeError(str(exc)) from None
    except BraintrustAPIError:
        raise
    except RuntimeError as exc:
        raise RuntimeError(f"invoke(): {exc}") from None
    else:
        return BraintrustStream(chunks_from_sse(answer)) if stream else answer
    if global_function is not None or prompt_session_id is not None:
        raise ValueError("invoke(): global_function and prompt_session_id need the "
                         "Braintrust service (set BRAINTRUST_API_KEY)")
    event: dict[str, Any] = {"input": input, "metadata": dict(metadata or {}) or None}
    if tags:
        event["tags"] = list(tags)
    local_parent = parent if parent is None or isinstance(parent, str) \
        else _parent_slug(parent)
    with start_span(name=slug or function_id or "function", type="function",
                    parent=local_parent, event=event) as span:
        result = run_local(function_id, version, project_name, project_id, slug, input,
                           messages, metadata, strict, mode, stream)
        if not isinstance(result, BraintrustStream):
            span.log(output=result)
        return result


def _in_a_thread(fn: Callable[P, R], name: str, doc: str) -> Callable[P, Awaitable[R]]:
    # The async twin of a blocking function: same parameters (its signature is
    # the original's), run by asyncio.to_thread, which copies the current context
    # so spans made in the thread nest under the caller's current span.
    @functools.wraps(fn)
    async def twin(*args: P.args, **kwargs: P.kwargs) -> R:
        import asyncio  # not at import time: it costs every process that never awaits

        return await asyncio.to_thread(fn, *args, **kwargs)

    twin.__name__ = twin.__qualname__ = name
    twin.__doc__ = doc
    return twin


invoke_async = _in_a_thread(invoke, "invoke_async", """\
:func:`invoke` without blocking the event loop: the call runs in a thread,
in a copy of the current context (so its span nests under the current span).

Arguments, result and errors are as for :func:`invoke`; a
:class:`BraintrustStream` result can be read with ``async for``.
""")


def init_function(project_name: str, slug: str, version: str | None = None
                  ) -> Callable[..., Any]:
    """Returns a function that invokes ``slug``, usable as an Eval task or scorer.

    Called with a positional argument (a task), it invokes the function with
    that input; called with keywords only (a scorer: ``input``, ``output``,
    ``expected``...), it invokes it with those keywords as a dict.

    Args:
        project_name: The project the function is in.
        slug: The function's slug.
        version: A version; the latest by default.

    Returns:
        The function, named ``init_function-<project>-<slug>-<version>``.
    """
    def call(*args: Any, **kwargs: Any) -> Any:
        payload = args[0] if args else kwargs
        return invoke(project_name=project_name, slug=slug, version=version, input=payload)

    call.__name__ = call.__qualname__ = f"init_function-{project_name}-{slug}-" \
                                        f"{version or 'latest'}"
    return call
