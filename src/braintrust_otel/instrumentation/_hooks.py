"""Run a callback right after a module is first imported, at almost no cost until then.

``auto_instrument()`` uses this so that arming an instrumentor imports
nothing: not the library, not our instrumentor module, not wrapt (whose
package import pulls in asyncio) and not OTel's instrumentor base class
(which pulls in package-metadata parsing). Those load when the library does.
The instrumentors themselves use wrapt's post-import hooks; this is the same
idea kept to the one thing needed before anything else is imported.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Callable, Optional

from .. import diagnostics

__all__ = ["when_imported"]

_pending: dict[str, list[Callable[[ModuleType], object]]] = {}
_lock = threading.RLock()
_finder: Optional[_Finder] = None


def when_imported(name: str, callback: Callable[[ModuleType], object]) -> None:
    """Calls ``callback(module)`` once ``name`` is imported (now, if it already is).

    A callback that raises is reported, never raised into the import.
    """
    global _finder
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _pending.setdefault(name, []).append(callback)
            if _finder is None:
                _finder = _Finder()
                sys.meta_path.insert(0, _finder)
            return
    _run(callback, module)


def _run(callback: Callable[[ModuleType], object], module: ModuleType) -> None:
    try:
        callback(module)
    except Exception as exc:
        diagnostics.report("instrumentation", f"could not instrument {module.__name__}", exc)


# Plain classes, not importlib.abc subclasses: the import system only needs
# the methods, and importlib.abc pulls in importlib.resources, tempfile,
# shutil, bz2 and lzma (about a sixth of `import braintrust`).
class _Loader:
    """Delegates to the real loader, then runs the module's callbacks."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[ModuleType]:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        with _lock:
            callbacks = _pending.pop(module.__name__, [])
        for callback in callbacks:
            _run(callback, module)

    def __getattr__(self, name: str) -> Any:
        # get_resource_reader, get_source, is_package, ...: the real loader's.
        return getattr(self._loader, name)


class _Finder:
    _busy = threading.local()

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in _pending or getattr(self._busy, "active", False):
            return None
        self._busy.active = True  # find the real spec without finding ourselves again
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            self._busy.active = False
        loader = spec.loader
        if loader is None and spec.submodule_search_locations is not None:
            # A namespace package (mistralai 2+): the import system would give it its
            # namespace loader later; making a throwaway module from the spec gives
            # it that loader now, so there is one to run the callbacks after.
            importlib.util.module_from_spec(spec)
            loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec  # an old-style loader: not ours to wrap
        spec.loader = _Loader(loader)  # type: ignore[assignment]  # a loader by its methods
        return spec
