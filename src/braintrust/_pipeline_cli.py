"""``braintrust datasets pipeline run FILE``: runs a DatasetPipeline a file defines
(the official ``bt datasets pipeline run``, over whatever backend is installed)."""

from __future__ import annotations

import argparse
import runpy
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_datasets_command"]


def add_datasets_command(sub: Any) -> None:
    """Adds ``datasets pipeline run`` to the ``braintrust`` command's subparsers."""
    datasets = sub.add_parser("datasets", help="dataset pipelines: logged spans or traces "
                              "turned into dataset rows",
                              description="Dataset commands (only `pipeline run` so far).")
    stages = datasets.add_subparsers(dest="datasets_command", metavar="<command>")
    pipeline = stages.add_parser("pipeline", help="run a DatasetPipeline(...) defined in a file")
    actions = pipeline.add_subparsers(dest="pipeline_command", metavar="<command>")
    run = actions.add_parser(
        "run", help="discover spans or traces, transform them, write the target dataset",
        description="Imports FILE, takes the DatasetPipeline it defines (or the one named "
        "--name), and runs it once against the store (or the service when logged in).")
    run.add_argument("file", help="a Python file calling braintrust.DatasetPipeline(...)")
    run.add_argument("--name", help="the pipeline to run when the file defines several "
                     "(default: the only one)")
    run.add_argument("--limit", type=int, default=None, help="spans (or traces, by the "
                     "source's scope) to discover, newest first (default: all)")
    run.add_argument("--max-concurrency", type=int, default=16,
                     help="transforms running at once (default: 16)")
    run.set_defaults(run=_run)
    datasets.set_defaults(run=lambda args: _usage(datasets))
    pipeline.set_defaults(run=lambda args: _usage(pipeline))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _run(args: argparse.Namespace) -> int:
    from ._pipeline import get_registered_dataset_pipelines

    before = len(get_registered_dataset_pipelines())
    path = Path(args.file)
    if not path.is_file():
        print(f"braintrust datasets pipeline run: no file {args.file}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(path.resolve().parent))
    try:
        runpy.run_path(str(path), run_name="__braintrust_pipeline__")
    finally:
        sys.path.pop(0)
    found = get_registered_dataset_pipelines()[before:]
    if args.name is not None:
        found = [p for p in found if p.name == args.name]
    if len(found) != 1:
        names = ", ".join(p.name or "<unnamed>" for p in found) or "none"
        what = f"named {args.name!r} " if args.name else ""
        print(f"braintrust datasets pipeline run: expected one DatasetPipeline {what}in "
              f"{args.file}, found {names}" + ("; pass --name" if len(found) > 1 else ""),
              file=sys.stderr)
        return 1
    rows = found[0].run(limit=args.limit, max_concurrency=args.max_concurrency)
    print(f"{len(rows)} rows written to dataset {found[0].target['dataset_name']!r}")
    return 0
