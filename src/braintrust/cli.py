"""The ``braintrust`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from braintrust_otel.store import Store, default_store_path

from ._view import render_logs


def _logs(args: argparse.Namespace) -> int:
    store = Store(args.store) if args.store else Store(default_store_path())
    sys.stdout.write(render_logs(store, project=args.project, limit=args.limit))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``braintrust`` command.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(prog="braintrust", description="Braintrust tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    logs = sub.add_parser("logs", help="print recent traces from the local store as trees")
    logs.add_argument("-p", "--project", help="only this project (default: all)")
    logs.add_argument("-n", "--limit", type=int, default=5, help="traces per project (5)")
    logs.add_argument("--store", help="store file (default: $BRAINTRUST_LOCAL_STORE or the "
                      "user data directory)")
    logs.set_defaults(run=_logs)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
