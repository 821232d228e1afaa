"""The official SDK's ``braintrust.sandbox`` module path (see
:func:`braintrust.register_sandbox`). Public re-exports only."""

from __future__ import annotations

from ._sandbox import (
    SANDBOX_GROUP_KEY,
    RegisteredSandboxFunction,
    RegisterSandboxResult,
    SandboxConfig,
    register_sandbox,
)

__all__ = ["RegisterSandboxResult", "RegisteredSandboxFunction", "SandboxConfig",
           "register_sandbox"]

#: The function metadata key holding the sandbox's group name (the official name).
SANDBOX_GROUP_NAME_METADATA_KEY = SANDBOX_GROUP_KEY
