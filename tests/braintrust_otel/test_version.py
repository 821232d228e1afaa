"""The version is read once, from the installed metadata or the checkout's pyproject.toml."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import braintrust
import braintrust_otel
from braintrust_otel import _version


def test_both_packages_report_the_installed_version() -> None:
    installed = metadata.version("braintrust-otel")
    assert braintrust.__version__ == braintrust_otel.__version__ == installed


def test_source_checkout_reads_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "braintrust-otel"\nversion = "9.8.7"\n')
    # Not installed anywhere searched: the checkout's pyproject.toml.
    assert _version.read_version(pyproject, search=[str(tmp_path)]) == "9.8.7"
    # Neither installed nor in a checkout: a placeholder, never an exception.
    assert _version.read_version(tmp_path / "absent.toml", search=[]) == "0+unknown"


def test_installed_metadata_folder_names_the_version(tmp_path: Path) -> None:
    (tmp_path / "braintrust_otel-3.2.1.dist-info").mkdir()
    assert _version.read_version(tmp_path / "absent.toml",
                                 search=[str(tmp_path / "missing"), str(tmp_path)]) == "3.2.1"


def test_the_tracer_names_the_version() -> None:
    from braintrust import _state

    tracer: Any = _state.tracer()
    assert tracer.instrumentation_info.version == braintrust_otel.__version__


def test_no_module_writes_the_version_out() -> None:
    # Tracers and __version__ take it from _version.VERSION; a literal would go stale.
    src = Path(braintrust_otel.__file__).resolve().parents[1]
    literal = f'"{braintrust_otel.__version__}"'
    found = [str(p.relative_to(src)) for p in src.rglob("*.py")
             if literal in p.read_text(encoding="utf-8")]
    assert found == []
