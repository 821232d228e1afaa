"""Code bundles: what the official ``braintrust push`` uploads for code functions.

The CLI asks ``POST /function/code`` for an upload URL and a bundle id, PUTs a
zip there (the pushed source files, the packages it installed for them and a
``register.py`` importing the entry module), then sends the function rows to
``/insert-functions`` naming the bundle. The zip is kept in the store (as an
attachment ``bundle-<id>``, so every worker and server on one database sees
it), and a Python function from it runs here when invoked: its entry module
is extracted and run by the same code that runs functions pushed from a file,
with the zip at the end of ``sys.path`` so the modules it imports from the
bundle are found (packages this server has installed win over the bundled
copies, so ``braintrust`` is this package).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import tempfile
import threading
import uuid
import weakref
import zipfile
from pathlib import Path
from typing import Any, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from braintrust_otel.store import Store

from ._auth import signed_url
from ._body import read_body
from ._http import HTTPError, error

__all__ = ["bundle_routes", "runnable_from_bundle"]

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ENTRY = re.compile(r"^import ([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*) as _\s*$", re.M)


def _key(bundle_id: str) -> str:
    return f"bundle-{bundle_id}"


def bundle_routes(store: Store, token: Optional[str]) -> list[Route]:
    """``POST /function/code`` (an upload URL) and the upload it names, over ``store``.

    Args:
        store: Where bundles are kept.
        token: The server's access token, if any: the upload URL is signed with it,
            since the CLI's PUT carries no ``Authorization`` header.
    """

    async def new_bundle(request: Request) -> Response:
        await read_body(request)
        bundle_id = str(uuid.uuid4())
        url = f"{str(request.base_url).rstrip('/')}/function/code/upload/{bundle_id}"
        return JSONResponse({"url": signed_url(url, token, bundle_id), "bundleId": bundle_id})

    async def upload(request: Request) -> Response:
        bundle_id = request.path_params["id"]
        if not _ID.match(bundle_id):
            return error(404, "no such bundle upload")
        body = await read_body(request)
        if not zipfile.is_zipfile(io.BytesIO(body)):
            raise HTTPError(400, "a code bundle must be a zip file")
        if store.has_attachment(_key(bundle_id)):
            raise HTTPError(409, f"bundle {bundle_id} was uploaded already")
        store.put_attachment(_key(bundle_id), body, "bundle.zip", "application/zip")
        return Response(status_code=200)

    return [Route("/function/code", new_bundle, methods=["POST"]),
            Route("/function/code/upload/{id}", upload, methods=["PUT"])]


class _Extracted:
    """Entry files extracted from bundles in this process: bundle id -> file."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files: dict[str, str] = {}
        self.root: Optional[Path] = None

    def folder(self) -> Path:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="braintrust-serve-bundles-"))
            weakref.finalize(self, shutil.rmtree, self.root, True)
        return self.root


_extracted = _Extracted()


def runnable_from_bundle(store: Store, function: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The stored function with its code located in a file this process can run, when it
    is a Python function from an official bundle; None for anything else.

    Args:
        store: Where the bundle is kept.
        function: The function as the store returns it.

    Raises:
        ValueError: When the bundle is missing, not Python, or has no entry module.
    """
    data = (function.get("function_data") or {}).get("data") or {}
    if data.get("type") != "bundle" or (data.get("location") or {}).get("file"):
        return None  # not a bundle, or pushed to the store from a file on this machine
    runtime = (data.get("runtime_context") or {}).get("runtime")
    if runtime != "python":
        raise ValueError(f"function {function.get('slug')!r} is {runtime or 'unknown'} code: "
                         "a local server runs Python code functions only")
    if (data.get("location") or {}).get("type") != "function":
        raise ValueError(f"function {function.get('slug')!r} is not a function of its bundle "
                         "(sandboxed evals run on the hosted service only)")
    bundle_id = str(data.get("bundle_id"))
    with _extracted.lock:
        file = _extracted.files.get(bundle_id)
        if file is None:
            file = _extract(store, bundle_id)
            _extracted.files[bundle_id] = file
    located = {**data, "location": {"type": "file", "file": file}}
    return {**function, "function_data": {**function["function_data"], "data": located}}


def _extract(store: Store, bundle_id: str) -> str:
    if not _ID.match(bundle_id) or not store.has_attachment(_key(bundle_id)):
        raise ValueError(f"code bundle {bundle_id} was never uploaded to this server")
    folder = _extracted.folder() / bundle_id
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "bundle.zip"
    archive.write_bytes(store.get_attachment(_key(bundle_id)))
    entries: list[Path] = []
    with zipfile.ZipFile(archive) as zf:
        try:
            register = zf.read("register.py").decode()
        except KeyError:
            raise ValueError(f"code bundle {bundle_id} has no register.py") from None
        # One entry module per pushed file (the official CLI pushes one file).
        for i, module in enumerate(_ENTRY.findall(register)):
            member = module.replace(".", "/") + ".py"
            try:
                source = zf.read(member)
            except KeyError:
                raise ValueError(f"code bundle {bundle_id} lacks its entry module {member}") \
                    from None
            # Written out under names this code chose (no path from the zip is used
            # on disk); the modules they import come from the zip itself.
            entries.append(folder / f"entry_{i}.py")
            entries[-1].write_bytes(source)
    if not entries:
        raise ValueError(f"code bundle {bundle_id}: register.py names no entry module")
    # Run (not imported: a later bundle with a module of the same name must run
    # again) by one file, as a function pushed from a file is.
    entry = folder / "entry.py"
    entry.write_text("import runpy\n" + "".join(
        f"runpy.run_path({str(e)!r}, run_name='__braintrust_push__')\n" for e in entries))
    if str(archive) not in sys.path:
        sys.path.append(str(archive))
    return str(entry)
