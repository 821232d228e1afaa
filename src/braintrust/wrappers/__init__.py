"""Per-library modules under the paths the official SDK uses (``braintrust.wrappers.<lib>``).

Each re-exports this package's functions for that library, so code written
against the official SDK's import paths keeps working.
"""
