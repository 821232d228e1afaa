"""`import braintrust` leaves out the standard modules it does not need at import."""

from __future__ import annotations

import json
import subprocess
import sys

# Each of these cost a measurable share of the import (asyncio brings ssl;
# importlib.abc brings importlib.resources, tempfile, shutil, bz2, lzma) and
# is needed only by calls most programs never make.
DEFERRED = ("asyncio", "ssl", "mimetypes", "importlib.resources", "tempfile", "bz2", "lzma",
            # The embedded store and SQLite load when a program first uses the
            # store; evals, experiments, prompts (chevron) and their summaries
            # on first use of their names; email.utils and decimal only for
            # the values that need them.
            "sqlite3", "braintrust_otel.store", "email.utils", "decimal", "chevron",
            "braintrust._eval", "braintrust._experiment", "braintrust._prompt",
            "braintrust._summary", "braintrust._project", "braintrust._functions")


def test_import_braintrust_defers_what_it_does_not_need() -> None:
    code = (f"import sys, json, braintrust; print(json.dumps([m for m in {DEFERRED!r} "
            "if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"})
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_deferred_paths_still_work() -> None:
    import asyncio

    import braintrust
    from braintrust_otel.attachments import Attachment

    att = Attachment(data=b"x", filename="a.png")
    assert att.reference["content_type"] == "image/png"
    assert asyncio.iscoroutinefunction(braintrust.load_prompt_async)


def test_every_public_name_resolves() -> None:
    # The lazily loaded names (module __getattr__) behave like the eager ones:
    # attribute access, ``from braintrust import X`` and ``import *``.
    code = ("import braintrust\n"
            "missing = [n for n in braintrust.__all__ if not hasattr(braintrust, n)]\n"
            "from braintrust import Eval, init, init_dataset\n"
            "ns = {}\n"
            "exec('from braintrust import *', ns)\n"
            "missing += [n for n in braintrust.__all__ if n not in ns]\n"
            "print(missing, sorted(set(braintrust.__all__) - set(dir(braintrust))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.strip().splitlines()[-1] == "[] []"


def test_a_lazy_name_is_the_module_attribute() -> None:
    import braintrust
    import braintrust._eval as eval_module
    from braintrust_otel import Store
    from braintrust_otel.store import Store as StoreClass

    assert braintrust.Eval is eval_module.Eval
    assert Store is StoreClass
    try:
        braintrust.NoSuchName  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchName" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
