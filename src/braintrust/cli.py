"""The ``braintrust`` command line."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from braintrust_otel.store import Store, default_store_path

from ._view import render_datasets, render_experiments, render_logs


def _logs(args: argparse.Namespace) -> int:
    if args.store and not Path(args.store).is_file():
        # Opening it would create an empty store and report "no traces": say what happened.
        print(f"braintrust logs: {args.store}: no such store file", file=sys.stderr)
        return 2
    store = Store(args.store or None)
    if args.experiments:
        sys.stdout.write(render_experiments(store, project=args.project, limit=args.limit))
    elif args.datasets:
        sys.stdout.write(render_datasets(store, project=args.project))
    else:
        sys.stdout.write(render_logs(store, project=args.project, limit=args.limit))
    return 0


_EVAL_PATTERNS = ("eval_*.py", "*_eval.py", "*.eval.py")


def _eval_files(paths: Sequence[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for pattern in _EVAL_PATTERNS:
                found += sorted(p for p in path.rglob(pattern) if p not in found)
        elif path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"braintrust eval: {raw}: no such file or folder")
    return found


def _eval(args: argparse.Namespace) -> int:
    import re
    import runpy

    from ._eval import DEFAULT_REPORTER, Reporter, collect, run_collected

    filters = []
    for item in args.filter or []:
        path, sep, pattern = item.partition("=")
        if not sep:
            raise SystemExit(f"braintrust eval: --filter {item!r}: expected PATH=REGEX")
        filters.append((path, re.compile(pattern)))
    evaluators = []
    for file in _eval_files(args.paths):
        sys.path.insert(0, str(file.resolve().parent))
        def load(f: Path = file) -> None:
            runpy.run_path(str(f), run_name="__braintrust_eval__")

        try:
            found = collect(load)
        finally:
            sys.path.pop(0)
        evaluators += [(file, ev) for ev in found]
    if args.list:
        for file, ev in evaluators:
            print(f"{ev.eval_name}\t{file}")
        return 0
    if not evaluators:
        print("braintrust eval: no Eval() calls found", file=sys.stderr)
        return 1
    reports: dict[int, tuple[Reporter, list[object]]] = {}
    for _, ev in evaluators:
        ev.no_send_logs = ev.no_send_logs or args.no_send_logs
        ev.case_filters = filters
        ev.quiet = ev.quiet or args.jsonl
        result = run_collected(ev)
        reporter = ev.reporter or DEFAULT_REPORTER
        report = reporter.report_eval(ev, result, args.verbose, args.jsonl)
        reports.setdefault(id(reporter), (reporter, []))[1].append(report)
    ok = all(bool(r.report_run(rs, args.verbose, args.jsonl)) for r, rs in reports.values())
    return 0 if ok else 1


def _push(args: argparse.Namespace) -> int:
    from ._logger import login
    from ._push import push_files

    login(app_url=args.app_url, api_key=args.api_key, org_name=args.org_name)
    try:
        saved = push_files(args.files, args.if_exists, args.requirements)
    except ValueError as exc:  # a definition the backend refused, or an incomplete one
        print(f"braintrust push: {exc}", file=sys.stderr)
        return 1
    if not saved:
        print("No functions found in the files. Nothing was pushed.", file=sys.stderr)
        return 0
    print(f"pushed {len(saved)} function{'s' if len(saved) != 1 else ''}: {', '.join(saved)}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .server import create_app, default_token, server_config
        from .server._guard import host_allowed
    except ImportError:
        print("braintrust serve needs the server extra: pip install 'braintrust-otel[server]'",
              file=sys.stderr)
        return 2
    store = Store(args.store or None)
    token = args.token
    if token is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        token = default_token()  # anything beyond this machine must authenticate
    public = list(args.public_host or [])
    if not host_allowed(args.host):
        public.append(args.host)  # bound to a name: that name is ours
    try:
        config = server_config(create_app(store, token, public_hosts=public), args.host,
                               args.port, max_connections=args.max_connections,
                               idle_timeout=args.idle_timeout)
    except ValueError as exc:
        print(f"braintrust serve: {exc}", file=sys.stderr)
        return 2
    if args.workers < 1:
        print(f"braintrust serve: --workers must be at least 1, not {args.workers}",
              file=sys.stderr)
        return 2
    # Bound before the banner: a port that is taken is one line, not a
    # banner followed by uvicorn's traceback.
    try:
        sock = socket.create_server((args.host, args.port))
    except OSError as exc:
        reason = ("the address is in use (is another server running? pick another with "
                  "--port)" if exc.errno == errno.EADDRINUSE else exc.strerror or str(exc))
        print(f"braintrust serve: cannot listen on {args.host}:{args.port}: {reason}",
              file=sys.stderr)
        return 1
    if token is not None and args.token is None:
        print(f"braintrust serve: access token {token}", file=sys.stderr)
    print(f"braintrust serve: http://{args.host}:{args.port} over {store.location}",
          file=sys.stderr)
    with sock:
        if args.workers == 1:
            uvicorn.Server(config).run(sockets=[sock])
            return 0
        return _serve_workers(config, sock, args.workers)


def _serve_workers(config: Any, sock: socket.socket, workers: int) -> int:
    # The parent has bound the port once; it forks the workers, which all accept on
    # it (the kernel spreads the connections). Each worker opens its own store
    # connection on first use (a connection never crosses fork()).
    import uvicorn

    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                uvicorn.Server(config).run(sockets=[sock])
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)

    def stop(signum: int, frame: Any) -> None:
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    failed = 0
    for child in children:
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
        failed |= os.waitstatus_to_exitcode(status) not in (0, -signal.SIGTERM)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the ``braintrust`` command.

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns:
        The process exit code.
    """
    parser = argparse.ArgumentParser(
        prog="braintrust",
        description="Braintrust tools over the local store (or the Braintrust service when "
        "BRAINTRUST_API_KEY is set). Run `braintrust <command> --help` for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    store_help = ("the store file (default: $BRAINTRUST_LOCAL_STORE, else the store in the "
                  f"user data directory, now {default_store_path()})")
    logs = sub.add_parser("logs", help="print recent traces, experiments or datasets from "
                          "the local store", description="Prints the newest traces of each "
                          "project as trees (name, type, duration, tokens, input, output, "
                          "scores, error), or the experiments or datasets.")
    logs.add_argument("-p", "--project", help="only this project (default: every project)")
    logs.add_argument("-n", "--limit", type=int, default=5,
                      help="traces (or experiments) per project, newest first (default: 5)")
    logs.add_argument("--store", help=store_help + "; it must exist")
    shown = logs.add_mutually_exclusive_group()
    shown.add_argument("--experiments", action="store_true",
                       help="list experiments with their cases, errors and score means "
                       "instead of traces (default: off)")
    shown.add_argument("--datasets", action="store_true",
                       help="list datasets with their record counts and versions instead of "
                       "traces (default: off)")
    logs.set_defaults(run=_logs)
    ev = sub.add_parser("eval", help="run the Eval() calls in files or folders",
                        description="Runs every Eval() in the given files and prints each "
                        "summary (scores, and changes against the previous experiment).")
    ev.add_argument("paths", nargs="+", help="eval files, or folders searched for "
                    "eval_*.py, *_eval.py and *.eval.py")
    ev.add_argument("--no-send-logs", action="store_true",
                    help="store nothing; summaries are still computed (default: off)")
    ev.add_argument("--filter", action="append", metavar="PATH=REGEX",
                    help="only run cases whose field matches, repeatable (for example "
                    "input.lang=^en$; default: every case)")
    ev.add_argument("--list", action="store_true",
                    help="list the evaluators, run nothing (default: off)")
    ev.add_argument("--jsonl", action="store_true",
                    help="print each summary as a JSON line (default: off)")
    ev.add_argument("--verbose", action="store_true",
                    help="print every failing case (default: off)")
    ev.set_defaults(run=_eval)
    push = sub.add_parser("push", help="save the tools, scorers and prompts a file defines "
                          "(projects.create(...).tools/scorers/prompts.create(...))",
                          description="Saves the tools, scorers and prompts the files define: "
                          "to the service when logged in, else to the local store. A prompt "
                          "pushed unchanged keeps its version.")
    push.add_argument("files", nargs="+", help="Python files to push")
    push.add_argument("--if-exists", default="error", choices=["error", "replace", "ignore"],
                      help="when a function with the same slug exists (default: error)")
    push.add_argument("--api-key", help="Braintrust API key (default: BRAINTRUST_API_KEY; "
                      "without one, functions go to the embedded store)")
    push.add_argument("--org-name", help="organization, when the key belongs to several "
                      "(default: BRAINTRUST_ORG_NAME)")
    push.add_argument("--app-url", help="Braintrust app URL (default: BRAINTRUST_APP_URL, "
                      "else https://www.braintrust.dev)")
    push.add_argument("--requirements", help="a requirements file, listed in the bundle "
                      "sent to the service (default: none)")
    push.set_defaults(run=_push)
    serve = sub.add_parser("serve", help="the local UI and a Braintrust-compatible server "
                           "over the store", description="Serves the web UI (open "
                           "http://127.0.0.1:8000) and the API the SDKs use, over the store. "
                           "The links the SDK prints (Eval results, span.permalink()) open here.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: "
                       "127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000, where the "
                       "SDK's links point)")
    serve.add_argument("--store", help=store_help + "; created when missing; or a PostgreSQL "
                       "database URL (postgresql://user@host/db; needs the postgres extra)")
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="server processes accepting on the one port (default: 1); use a "
                       "PostgreSQL store, or SQLite's file locking serializes their writes")
    serve.add_argument("--token", help="access token required on every request (default: "
                       "none on 127.0.0.1; generated and printed when binding beyond it)")
    serve.add_argument("--public-host", action="append", metavar="NAME",
                       help="a host name clients use to reach the server (repeatable). Requests "
                       "are refused unless their Host is a loopback name, an IP address, the "
                       "--host name or one of these (a DNS rebinding guard; default: none)")
    serve.add_argument("--max-connections", type=int, default=256, metavar="N",
                       help="connections open at once (default: 256); past it the "
                       "longest-idle one is closed, or the new one answered 503 when all are busy")
    serve.add_argument("--idle-timeout", type=float, default=20.0, metavar="SECONDS",
                       help="close a connection that keeps the server waiting this long for a "
                       "request or the rest of one (default: 20)")
    serve.set_defaults(run=_serve)
    from ._pipeline_cli import add_datasets_command

    add_datasets_command(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
