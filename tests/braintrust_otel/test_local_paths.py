"""Where local files live, found without loading the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FIND_SPOOL = """
import json, sys
from braintrust_otel.spool import default_spool_dir
found = default_spool_dir()
print(json.dumps({"dir": str(found), "store": "braintrust_otel.store" in sys.modules,
                  "sqlite3": "sqlite3" in sys.modules}))
"""


def test_the_default_spool_folder_is_found_without_importing_the_store(tmp_path: Path) -> None:
    # Every process that sends to the service finds its spool folder; that
    # must not import the store package and sqlite3 (import time, and objects
    # every full garbage collection walks for the life of the process).
    env = {k: v for k, v in os.environ.items()
           if k not in ("BRAINTRUST_LOCAL_STORE", "BRAINTRUST_SPOOL_DIR")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    out = subprocess.run([sys.executable, "-c", FIND_SPOOL], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path), timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    if sys.platform.startswith("linux"):
        assert seen["dir"] == str(tmp_path / "data" / "braintrust" / "spool")
    assert (seen["store"], seen["sqlite3"]) == (False, False)


def test_the_spool_folder_sits_beside_the_store_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from braintrust_otel.spool import default_spool_dir
    from braintrust_otel.store import default_store_path

    monkeypatch.setenv("BRAINTRUST_LOCAL_STORE", str(tmp_path / "x.sqlite"))
    monkeypatch.delenv("BRAINTRUST_SPOOL_DIR", raising=False)
    assert default_store_path() == tmp_path / "x.sqlite"
    assert default_spool_dir() == tmp_path / "spool"
