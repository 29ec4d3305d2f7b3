"""`sigpipe-lint prove [OPTIONS] -- CMD [ARGS...]`: run the user's program against a peer
that dies, before and (with --fix) after the fixes; arguments and output only."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

from sigpipe_lint.cli import _positive_int
from sigpipe_lint.prove.peer import VARIANTS, DyingPeer, PeerError
from sigpipe_lint.prove.run import (
    CONNECT_TIMEOUT, CRASHED, DEATH_TIMEOUT, KEPT_RUNNING, SURVIVED, Outcome, ServerSpec,
    parse_connect, run_client, run_server, uses_placeholder,
)

EXIT_SURVIVES, EXIT_DOES_NOT, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
PROG = "sigpipe-lint prove"


def add_prove_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "prove", help="run your program against a peer that dies (and its fixed copy with --fix)",
        usage="sigpipe-lint prove [OPTIONS] -- CMD [ARGS...]",
        description=(
            "Run CMD against a peer on 127.0.0.1 that dies once CMD has connected and written "
            "(fin: it read everything, then closed; rst: it left data unread and reset), and say "
            "whether CMD crashed, survived or kept running. CMD gets the peer's address through "
            "{host}, {port} and {unix} in its arguments and through $SIGPIPE_LINT_HOST, "
            "$SIGPIPE_LINT_PORT and $SIGPIPE_LINT_UNIX. Exit status: 0 when the final version "
            "(the fixed copy with --fix) survives every variant, 1 when it does not, 2 on a usage "
            "or setup error."),
    )
    p.add_argument("--variant", choices=("fin", "rst", "both"), default="both",
                   help="how the peer dies (default: both, one run each)")
    p.add_argument("--unix", action="store_true",
                   help="a Unix socket instead of TCP: its path is {unix} / $SIGPIPE_LINT_UNIX")
    p.add_argument("--after-bytes", type=_positive_int, default=1, metavar="N",
                   help="clients: the peer dies once it has received N bytes (default: 1)")
    p.add_argument("--fix", action="store_true",
                   help="also run a fixed copy (made in a temporary folder with check --fix --unsafe-fixes) "
                        "and show both; your files are not changed")
    p.add_argument("--fix-path", action="append", default=[], metavar="PATH",
                   help="with --fix: a file or folder to copy and fix (repeatable; default: the .py files in CMD)")
    server = p.add_argument_group("servers (prove is the client that dies)")
    server.add_argument("--server", action="store_true", help="CMD is a server: prove connects, sends --request, "
                        "reads a little, dies, then checks that CMD answers a second client")
    server.add_argument("--connect", metavar="HOST:PORT", help="where the server listens (127.0.0.1 only); "
                        "default: a free port passed as {port} / $SIGPIPE_LINT_PORT")
    server.add_argument("--port-from-output", metavar="REGEX",
                        help=r"read the port from the server's stdout: group 1 of REGEX, e.g. 'listening (\d+)'")
    server.add_argument("--request", default=None, metavar="TEXT",
                        help=r"what the dying client sends, with \n \r escapes (default: 'GET / HTTP/1.0\r\n\r\n')")
    server.add_argument("--probe", default=None, metavar="TEXT",
                        help="what the second client sends (default: --request)")
    p.add_argument("--connect-timeout", type=_positive_float, default=CONNECT_TIMEOUT, metavar="SECONDS",
                   help=f"for the program to connect and write, or to listen (default: {CONNECT_TIMEOUT:g})")
    p.add_argument("--timeout", type=_positive_float, default=DEATH_TIMEOUT, metavar="SECONDS",
                   help=f"after the peer's death, before 'kept running' (default: {DEATH_TIMEOUT:g})")
    p.add_argument("--output-format", choices=("text", "json"), default="text")
    p.add_argument("--show-output", action="store_true",
                   help="text output: also print the end of each run's stdout and stderr")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="CMD", help="the program and its arguments, after --")
    return p


def _positive_float(text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n > 0:
        return n
    raise argparse.ArgumentTypeError("must be more than 0")


def _unescape(text: str) -> bytes:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")


class UsageError(Exception):
    pass


def _check_usage(args) -> List[str]:
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise UsageError("give the program to run after --, e.g. sigpipe-lint prove -- python client.py {port}")
    if not args.server:
        for opt in ("connect", "port_from_output", "request", "probe"):
            if getattr(args, opt) is not None:
                raise UsageError(f"--{opt.replace('_', '-')} is for --server")
        if args.unix and uses_placeholder(cmd, "port"):
            raise UsageError("with --unix the peer has no port: pass {unix}, not {port}")
    else:
        if args.connect and args.port_from_output:
            raise UsageError("--connect and --port-from-output both say where the server listens: give one")
        if args.unix and (args.connect or args.port_from_output):
            raise UsageError("--unix: the server listens on {unix}; --connect/--port-from-output are for TCP")
        if args.connect:
            try:
                parse_connect(args.connect)
            except ValueError as e:
                raise UsageError(str(e)) from None
        if args.port_from_output:
            import re

            try:
                re.compile(args.port_from_output)
            except re.error as e:
                raise UsageError(f"--port-from-output: not a regular expression: {e}") from None
    if args.fix_path and not args.fix:
        raise UsageError("--fix-path is for --fix")
    return cmd


def _run_version(cmd, args, variants, env=None) -> List[Outcome]:
    outcomes = []
    for variant in variants:
        if args.server:
            spec = ServerSpec(
                request=_unescape(args.request) if args.request is not None else ServerSpec.request,
                probe=_unescape(args.probe) if args.probe is not None else None,
                connect=args.connect, port_from_output=args.port_from_output, unix=args.unix,
            )
            outcomes.append(run_server(cmd, variant, spec, env=env, connect_timeout=args.connect_timeout,
                                       death_timeout=args.timeout))
        else:
            with DyingPeer(variant, after_bytes=args.after_bytes, unix=args.unix,
                           timeout=args.connect_timeout) as peer:
                outcomes.append(run_client(cmd, peer, env=env, connect_timeout=args.connect_timeout,
                                           death_timeout=args.timeout))
    return outcomes


def prove(args) -> int:
    """The `prove` subcommand; returns the exit status."""
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (an embedding caller): no handler then
        pass
    try:
        return _prove(args)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        from sigpipe_lint.prove.process import stop_all

        stop_all()
        print(f"{PROG}: interrupted; the program was stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
                signal.signal(signal.SIGINT, signal.default_int_handler)


def _terminate(signum, frame):
    raise KeyboardInterrupt


def _prove(args) -> int:
    cmd = _check_usage(args)
    variants = list(VARIANTS) if args.variant == "both" else [args.variant]
    versions: Dict[str, List[Outcome]] = {}
    fixed_files = []
    with tempfile.TemporaryDirectory(prefix="sigpipe-lint-prove-") as tmp:
        try:
            fixed_cmd = fixed_env = None
            if args.fix:
                from sigpipe_lint.prove.fixcopy import FixError, default_fix_paths, make_fixed_copy

                cwd = Path.cwd()
                paths = args.fix_path or default_fix_paths(cmd, cwd)
                if not paths:
                    raise UsageError("--fix: CMD names no .py file of yours; say which with --fix-path PATH")
                try:
                    fixed_cmd, fixed_env, fixed_files = make_fixed_copy(cmd, paths, cwd, Path(tmp))
                except FixError as e:
                    raise PeerError(f"--fix: {e}") from None
                if fixed_cmd == cmd:  # e.g. `python -m pkg`: the originals would run again
                    raise UsageError("--fix: CMD names none of the copied files, so the fixed copy would not "
                                     "run; name the script by its path in CMD and copy it too")
            versions["original"] = _run_version(cmd, args, variants)
            if fixed_cmd is not None:
                versions["fixed"] = _run_version(fixed_cmd, args, variants, env=fixed_env)
        except PeerError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return EXIT_ERROR
    final = versions["fixed" if "fixed" in versions else "original"]
    status = EXIT_SURVIVES if all(o.survived for o in final) else EXIT_DOES_NOT
    if args.output_format == "json":
        doc = {
            "command": cmd,
            "mode": "server" if args.server else "client",
            "transport": "unix" if args.unix else "tcp",
            "variants": variants,
            "runs": [dict(version=v, **o.to_dict()) for v, outs in versions.items() for o in outs],
            "fixed_files": [{"path": f.original, "changed": f.changed} for f in fixed_files],
            "survives": status == EXIT_SURVIVES,
            "exit_status": status,
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        _print_text(cmd, args, variants, versions, fixed_files, status)
        if args.show_output:
            sys.stdout.flush()
            _print_outputs(versions)
    return status


def _conclusion(versions, status) -> str:
    name = "the fixed copy" if "fixed" in versions else "the program"
    if status == EXIT_SURVIVES:
        return f"{name} survives every peer death"
    final = versions["fixed" if "fixed" in versions else "original"]
    bad = [f"{o.variant}: {o.verdict}" for o in final if not o.survived]
    return f"{name} does not survive ({'; '.join(bad)})"


def _print_text(cmd, args, variants, versions, fixed_files, status) -> None:
    mode = "server; prove is the client that dies" if args.server else "client; prove is the server that dies"
    title = f"{' '.join(cmd)}  ({mode}, {'Unix socket' if args.unix else '127.0.0.1'})"
    notes = []
    for f in fixed_files:
        notes.append(f"fixed copy of {f.original}: " + ("changed by check --fix --unsafe-fixes" if f.changed
                                                         else "nothing to fix, the copy is the original"))
    conclusion = _conclusion(versions, status)
    headers = ["variant"] + ["original" if v == "original" else "fixed copy" for v in versions]
    rows = [[variant] + [outs[i].summary() for outs in versions.values()] for i, variant in enumerate(variants)]
    if _is_terminal():
        from rich.console import Console
        from rich.table import Table

        console = Console(no_color=bool(os.environ.get("NO_COLOR")))
        table = Table(title=title, title_justify="left")
        for h in headers:
            table.add_column(h, overflow="fold")
        styles = {CRASHED: "red", SURVIVED: "green", KEPT_RUNNING: "yellow"}
        for i, variant in enumerate(variants):
            cells = [variant]
            for outs in versions.values():
                o = outs[i]
                cells.append(f"[{styles.get(o.verdict, 'yellow')}]{o.verdict}[/]: {_escape(o.how)}")
            table.add_row(*cells)
        console.print(table)
        for n in notes:
            console.print(_escape(n))
        console.print(f"[bold]{_escape(conclusion)}[/]")
        return
    widths = [max(len(r[c]) for r in rows + [headers]) for c in range(len(headers))]
    print(title)
    for r in [headers] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    for n in notes:
        print(n)
    print(conclusion)


def _print_outputs(versions, lines: int = 15) -> None:
    for version, outs in versions.items():
        for o in outs:
            for name, text in (("stdout", o.stdout), ("stderr", o.stderr)):
                tail = text.rstrip("\n").splitlines()[-lines:]
                if tail:
                    print(f"--- {version}, {o.variant}: {name} (last {len(tail)} lines) ---")
                    print("\n".join(tail))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
