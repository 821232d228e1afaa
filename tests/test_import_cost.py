"""`import braintrust` leaves out the standard modules it does not need at import."""

from __future__ import annotations

import json
import subprocess
import sys

# Each of these cost a measurable share of the import (asyncio brings ssl;
# importlib.abc brings importlib.resources, tempfile, shutil, bz2, lzma) and
# is needed only by calls most programs never make.
DEFERRED = ("asyncio", "ssl", "mimetypes", "importlib.resources", "tempfile", "bz2", "lzma")


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
