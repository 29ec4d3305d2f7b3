"""The `sigpipe-lint` command: argument parsing and output only, no analysis."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence

from sigpipe_lint import __version__
from sigpipe_lint.config import ConfigError, Settings, load_settings, split_codes, validate_codes
from sigpipe_lint.discover import discover
from sigpipe_lint.report import FORMATS, render
from sigpipe_lint.rules import ALL_RULES, RULES_BY_CODE

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sigpipe-lint",
        description="Find the socket writes that crash a program when the peer dies.",
    )
    p.add_argument("--version", action="version", version=f"sigpipe-lint {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check files and folders")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    check.add_argument("--select", help="rule codes or prefixes to enable (replaces the defaults), e.g. SPL or SPL001,SPL004")
    check.add_argument("--extend-select", help="rule codes or prefixes to enable on top of the defaults")
    check.add_argument("--ignore", help="rule codes or prefixes to disable")
    check.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files and folders matching GLOB (repeatable)")
    check.add_argument("--output-format", choices=FORMATS, default="text")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--config", help="the pyproject.toml to read (default: the nearest one)")

    rule = sub.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("code", nargs="?")
    rule.add_argument("--all", action="store_true", help="list every rule")
    return p


def _settings(args) -> Settings:
    settings = load_settings(args.paths, args.config)
    if args.select is not None:
        settings.select = validate_codes(split_codes(args.select), "--select")
    if args.extend_select:
        settings.extend_select += validate_codes(split_codes(args.extend_select), "--extend-select")
    if args.ignore:
        settings.ignore += validate_codes(split_codes(args.ignore), "--ignore")
    settings.exclude += args.exclude
    return settings


def _check(args) -> int:
    from sigpipe_lint.runner import RunOptions, run

    settings = _settings(args)
    files, problems = discover(args.paths, settings.exclude)
    options = RunOptions(codes=tuple(settings.enabled_codes()))
    results = run(files, options)
    sys.stdout.write(render(args.output_format, results))
    status = EXIT_CLEAN
    for path, reason in problems:
        print(f"sigpipe-lint: error: {path}: {reason}", file=sys.stderr)
        status = EXIT_ERROR
    for r in results:
        if r.error:
            print(f"sigpipe-lint: error: {r.path}: {r.error}", file=sys.stderr)
            status = EXIT_ERROR
    if status == EXIT_CLEAN and any(r.findings for r in results) and not args.exit_zero:
        status = EXIT_FINDINGS
    return status


def _rule(args) -> int:
    if args.all:
        for r in ALL_RULES:
            state = "on " if r.default_enabled else "off"
            print(f"{r.code}  {state}  {r.name}: {r.summary}")
        return EXIT_CLEAN
    if not args.code:
        print("sigpipe-lint rule: give a rule code, or --all", file=sys.stderr)
        return EXIT_ERROR
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        print(f"sigpipe-lint rule: unknown rule {args.code!r}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule.page())
    return EXIT_CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(e.code or 0)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rule":
            return _rule(args)
        parser.print_help()
        return EXIT_ERROR
    except ConfigError as e:
        print(f"sigpipe-lint: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # our own output piped into `head`
        return EXIT_CLEAN
