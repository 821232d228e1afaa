"""Instrumentors that cost nothing until their library is imported.

``instrument()`` only registers a post-import hook (wrapt's) on the library's
top-level module; the patching runs when the application imports it, or at
once when it already has. So ``opentelemetry-instrument`` and
``auto_instrument()`` never import a provider library the program does not
use, and a library imported before ``auto_instrument()`` is still patched
before its first call (we patch classes, so objects made earlier are covered).
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import Any, ClassVar

import wrapt
from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,
)

from .. import diagnostics

__all__ = ["LazyInstrumentor"]


class LazyInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """A ``BaseInstrumentor`` that patches its library when it is imported.

    Subclasses set ``library`` (the module whose import triggers the patch) and
    ``instruments`` (pip requirement strings), and implement :meth:`_patch` and
    :meth:`_unpatch`.
    """

    library: ClassVar[str] = ""
    instruments: ClassVar[tuple[str, ...]] = ()

    # Per subclass (BaseInstrumentor makes each class a singleton): which
    # instrument() call is current, and whether the library is patched now.
    _generation: int = 0
    _patched: bool = False
    _options: dict[str, Any]
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    def _instrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            self._options = dict(kwargs)

        def on_import(module: Any) -> None:
            self._on_import(generation)

        wrapt.register_post_import_hook(on_import, self._library())

    def _on_import(self, generation: int) -> None:
        # A hook left by an earlier instrument() call, since uninstrumented, does nothing.
        with self._lock:
            if generation != self._generation or self._patched:
                return
            self._patched = True
        try:
            self._patch(**self._options)
        except Exception as exc:
            # Runs inside the user's import statement: failing here would fail their import.
            self._patched = False
            diagnostics.report("instrumentation", f"could not instrument {self.library}", exc)

    def _uninstrument(self, **kwargs: Any) -> None:
        with self._lock:
            self._generation += 1
            patched, self._patched = self._patched, False
        if patched:
            self._unpatch(**kwargs)

    def _library(self) -> str:
        """The module whose import triggers the patch (``library`` unless a
        library's layout differs between its versions)."""
        return self.library

    @property
    def patched(self) -> bool:
        """Whether the library has been imported and patched."""
        return self._patched

    def _patch(self, **kwargs: Any) -> None:
        """Wraps the library's methods (it is imported by now)."""
        raise NotImplementedError

    def _unpatch(self, **kwargs: Any) -> None:
        """Removes what :meth:`_patch` added."""
        raise NotImplementedError
