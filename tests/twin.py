"""Runs one script under the official SDK and under this one, against the fake service.

Both runs log to their own :class:`FakeBraintrust` through ``/logs3``; the rows
each sent are merged (as the service merges ``_is_merge`` rows, deeply) and
reduced to a comparable shape: every span by its path of names from the root.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .fake_braintrust import GOOD_KEY, FakeBraintrust
from .official_sdk import official_python, official_python_with

Row = dict[str, Any]


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def sent_rows(fake: FakeBraintrust) -> list[Row]:
    """Every row the SDK sent to ``/logs3``, merges applied (deeply, in order)."""
    rows: dict[str, Row] = {}
    for body in fake.logs3_bodies():
        for row in body["rows"]:
            row = json.loads(row) if isinstance(row, str) else dict(row)
            current = rows.get(row["id"])
            if row.pop("_is_merge", False) and current is not None:
                _merge(current, row)
            else:
                rows[row["id"]] = row
    return list(rows.values())


def run(python: str, script: str, tmp_path: Path, env: dict[str, str] | None = None
        ) -> tuple[list[Row], str]:
    """Runs ``script`` with ``python`` logging to a fresh fake service.

    Returns:
        ``(rows sent, stdout)``.
    """
    with FakeBraintrust() as fake:
        full = {k: v for k, v in os.environ.items()
                if not k.startswith(("BRAINTRUST_", "OTEL_", "OPENAI_"))}
        full.update(BRAINTRUST_API_KEY=GOOD_KEY, BRAINTRUST_APP_URL=fake.url,
                    BRAINTRUST_API_URL=fake.url, BRAINTRUST_SPOOL_DIR=str(tmp_path / "spool"),
                    BRAINTRUST_LOCAL_STORE=str(tmp_path / "store.sqlite"))
        full.update(env or {})
        proc = subprocess.run([python, "-c", textwrap.dedent(script)], capture_output=True,
                              text=True, env=full, timeout=180, cwd=str(tmp_path))
        assert proc.returncode == 0, proc.stderr[-4000:]
        return sent_rows(fake), proc.stdout


def both(script: str, tmp_path: Path, env: dict[str, str] | None = None,
         packages: tuple[str, ...] = ()) -> tuple[list[Row], list[Row]]:
    """``(official rows, our rows)`` for the same script; skips without the official SDK.

    ``packages`` (distribution names) are installed beside the official SDK, at
    the versions this interpreter has (with its openai), in a virtualenv of their own.
    """
    try:
        if packages:
            pins = [f"{p}=={importlib.metadata.version(p)}" for p in (*packages, "openai")]
            python = str(official_python_with("-".join(packages), pins))
        else:
            python = str(official_python())
    except RuntimeError as exc:
        pytest.skip(f"the official SDK cannot be installed here: {exc}")
    (tmp_path / "official").mkdir()
    (tmp_path / "ours").mkdir()
    official, _ = run(python, script, tmp_path / "official", env)
    ours, _ = run(sys.executable, script, tmp_path / "ours", env)
    return official, ours


def spans(rows: list[Row]) -> dict[str, list[Row]]:
    """Span rows by their path of names from the root (``root/child``).

    Each path maps to the shapes of its spans (sorted, so the order spans ran
    in does not matter). A shape keeps the fields a user sees: type and other
    span attributes (less the official SDK's ``exec_counter``), input, output,
    expected, metadata (a traceback in ``scorer_errors`` reduced to its last
    line), scores, tags, error presence, origin and classifications.
    """
    by_span = {r["span_id"]: r for r in rows if r.get("span_id")}

    def path(row: Row) -> str:
        names = [row["span_attributes"]["name"]]
        seen = 0
        while row.get("span_parents") and seen < 50:
            row = by_span.get(row["span_parents"][0], {})
            names.append((row.get("span_attributes") or {}).get("name", "?"))
            seen += 1
        return "/".join(reversed(names))

    found: dict[str, list[Row]] = {}
    for row in rows:
        attrs = row.get("span_attributes")
        if not isinstance(attrs, dict) or "name" not in attrs:
            continue
        shape: Row = {"span_attributes": {k: v for k, v in attrs.items()
                                          if k != "exec_counter" and v is not None}}
        for key in ("input", "output", "expected", "metadata", "scores", "tags", "origin",
                    "classifications"):
            if row.get(key) is not None:
                shape[key] = row[key]
        errors = (shape.get("metadata") or {}).get("scorer_errors")
        if isinstance(errors, dict):
            shape["metadata"] = {**shape["metadata"], "scorer_errors": {
                k: str(v).strip().splitlines()[-1] for k, v in errors.items()}}
        if row.get("error"):
            shape["error"] = True
        found.setdefault(path(row), []).append(shape)
    return {k: sorted(v, key=lambda r: json.dumps(r, sort_keys=True))
            for k, v in found.items()}


def framework_both(name: str, packages: list[str], script: str, tmp_path: Path,
                   env: dict[str, str] | None = None) -> tuple[list[Row], list[Row]]:
    """``(official rows, our rows)`` for a framework script: the official SDK runs in
    ``.venv-official-<name>``, ours in ``.venv-<name>`` (both with ``packages``);
    skips when either cannot be installed."""
    from .framework_venv import framework_python
    from .official_sdk import official_python_with

    try:
        official_py = official_python_with(name, packages)
        ours_py = framework_python(name, packages)
    except RuntimeError as exc:
        pytest.skip(f"{name} cannot be installed here: {exc}")
    (tmp_path / "official").mkdir()
    (tmp_path / "ours").mkdir()
    official, _ = run(str(official_py), script, tmp_path / "official", env)
    ours, _ = run(str(ours_py), script, tmp_path / "ours", env)
    return official, ours


def _key_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted(value)
    if isinstance(value, list):
        return f"list[{len(value)}]"
    return type(value).__name__


def skeleton(rows: list[Row], metadata_of: tuple[str, ...] = ()) -> dict[str, list[Any]]:
    """The tree of rows as a twin test compares it: per path of names (see :func:`spans`),
    each row's type and the shape of its input and output (a dict's keys, a list's
    length, a value's type); and for rows whose name is in ``metadata_of``, its
    metadata keys."""
    out: dict[str, list[Any]] = {}
    for path, shapes in spans(rows).items():
        items = []
        for shape in shapes:
            item = {"type": shape["span_attributes"].get("type"),
                    "input": _key_shape(shape.get("input")),
                    "output": _key_shape(shape.get("output"))}
            if shape["span_attributes"]["name"] in metadata_of:
                item["metadata"] = sorted(shape.get("metadata") or {})
            items.append(item)
        out[path] = sorted(items, key=lambda i: json.dumps(i, sort_keys=True))
    return out
