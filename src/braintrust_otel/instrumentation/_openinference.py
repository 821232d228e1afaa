"""What the instrumentors built on an OpenInference package share."""

from __future__ import annotations

import importlib
from typing import Any

from ._llm import capture_content

__all__ = ["trace_config"]


def trace_config(module: str, library: str, extra: str) -> Any:
    """OpenInference's ``TraceConfig``: content hidden when ``BRAINTRUST_CAPTURE_CONTENT``
    is off (otherwise OpenInference's own ``OPENINFERENCE_HIDE_*`` apply).

    Args:
        module: The OpenInference instrumentation module (imported here, so a
            missing package is named before anything is patched).
        library: The library's name, for the error.
        extra: This package's extra that installs it.

    Raises:
        ImportError: When ``module`` cannot be imported, naming the package.
    """
    try:
        from openinference.instrumentation import TraceConfig

        importlib.import_module(module)
    except ImportError as exc:
        package = module.replace(".", "-").replace("_", "-")
        raise ImportError(f"tracing {library} needs {package} "
                          f"(pip install 'braintrust-otel[{extra}]')") from exc
    hide = None if capture_content() else True
    return TraceConfig(hide_inputs=hide, hide_outputs=hide, hide_input_messages=hide,
                       hide_output_messages=hide)
